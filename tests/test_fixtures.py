"""actionlint-style fixtures: ok/ compiles clean, err/X.yaml gives exactly X.out."""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES

from kfyaml.compiler import api
from kfyaml.compiler.codes import CODES

OK = sorted((FIXTURES / "ok").glob("*.yaml"))
ERR = sorted((FIXTURES / "err").glob("*.yaml"))
# Codes that only a generated input or the file system can produce; each has
# its own test in test_hostile_inputs.py.
GENERATED = {"KY105": "test_twenty_megabytes", "KY108": "test_missing_file", "KY900": "test_internal_error",
             # `kfyaml import` reads KFP IR, not pipeline files: tests/test_import.py asserts its exact output.
             "KY601": "test_files_that_are_not_ir_are_refused_with_their_place",
             "KY602": "test_what_kfyaml_cannot_say_is_reported_where_it_is_and_nothing_is_written",
             # `--source` is Python: tests/test_import_names.py asserts the exact report.
             "KY603": "test_a_source_that_is_not_the_pipelines_python_is_a_located_error_and_nothing_is_written",
             # a digest mismatch needs a lock and a changed cache: tests/test_remote_uses.py makes both.
             "KY317": "test_tampered_content_is_refused_with_both_digests"}


@pytest.mark.parametrize("path", OK, ids=lambda p: p.name)
def test_ok_fixture_is_clean(path):
    result = api.compile_file(str(path), display=path.name)
    assert [d.format() for d in result.diagnostics] == []
    assert result.pipeline_spec is not None


@pytest.mark.parametrize("path", ERR, ids=lambda p: p.name)
def test_err_fixture_gives_exact_diagnostics(path):
    expected = path.with_suffix(".out").read_text(encoding="utf-8")
    result = api.check_file(str(path), display=path.name)
    assert "".join(d.format() + "\n" for d in result.diagnostics) == expected
    # Every fixture holds at least one diagnostic of the code it is named for.
    code = path.name.split("_")[0]
    assert f"[{code}]" in expected


@pytest.mark.parametrize("path", ERR, ids=lambda p: p.name)
def test_err_fixture_does_not_compile(path):
    result = api.compile_file(str(path), display=path.name)
    if any(d.severity.value == "error" for d in result.diagnostics):
        assert result.pipeline_spec is None


def test_every_code_has_a_fixture_or_a_generated_test():
    covered = {p.name.split("_")[0] for p in ERR} | set(GENERATED)
    assert covered == set(CODES)


def test_out_files_match_the_diagnostic_format():
    line = re.compile(r"^[\w./]+:\d+:\d+: (error|warning): .+ \[KY\d{3}\]$")
    for out in (FIXTURES / "err").glob("*.out"):
        for text in out.read_text().splitlines():
            assert line.match(text), (out.name, text)


def test_cli_reports_every_err_fixture_and_exits_one():
    """One `kfyaml lint` over all of err/: exit 1, exactly the .out lines, no traceback."""
    from conftest import run_cli

    proc = run_cli("lint", *(p.name for p in ERR), cwd=FIXTURES / "err")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    reported = [line for line in proc.stdout.splitlines() if not line.startswith(" ")]
    expected = [line for p in ERR for line in p.with_suffix(".out").read_text().splitlines()]
    assert reported == expected
