"""The command line: exit codes, output places and formats, a fast start."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import EXAMPLES, FIXTURES, ROOT, run_cli


def test_compile_to_stdout():
    proc = run_cli("compile", str(EXAMPLES / "basic.yaml"))
    assert proc.returncode == 0
    assert proc.stderr == ""
    assert proc.stdout == (ROOT / "tests" / "golden" / "basic.ir.yaml").read_text()


def test_compile_to_file(tmp_path):
    out = tmp_path / "basic.ir.yaml"
    proc = run_cli("compile", str(EXAMPLES / "basic.yaml"), "-o", str(out))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert out.read_text() == (ROOT / "tests" / "golden" / "basic.ir.yaml").read_text()


def test_compile_prints_warnings_and_still_writes(tmp_path):
    out = tmp_path / "o.yaml"
    proc = run_cli("compile", str(FIXTURES / "err" / "KY405_unused_param.yaml"), "-o", str(out))
    assert proc.returncode == 0
    assert proc.stderr.splitlines()[0].endswith(
        'KY405_unused_param.yaml:4:3: warning: param "unused" is never used; remove it or read it with ${{ params.unused }} [KY405]')
    assert out.exists()


def test_lint_clean_files_exit_zero():
    proc = run_cli("lint", *map(str, sorted(p for p in EXAMPLES.glob("*.yaml") if not p.name.endswith(".test.yaml"))))
    assert (proc.returncode, proc.stdout) == (0, "")


def test_lint_problems_exit_one_with_caret():
    path = FIXTURES / "err" / "KY506_unknown_param.yaml"
    proc = run_cli("lint", str(path))
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f'{path}:6:9: error: no param "treshold"; did you mean "threshold"? [KY506]',
        "  6 |     if: ${{ params.treshold > 0.1 }}",
        "    |         ^",
    ]


def test_lint_warnings_alone_are_problems():
    proc = run_cli("lint", str(FIXTURES / "err" / "KY405_unused_param.yaml"))
    assert proc.returncode == 1


def test_lint_json():
    path = FIXTURES / "err" / "KY402_unknown_step.yaml"
    proc = run_cli("lint", "--format", "json", str(path))
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == [
        {"file": str(path), "line": 7, "column": 13, "severity": "error", "code": "KY402",
         "message": '`needs:` names no step "trian"; did you mean "train"?'},
        {"file": str(path), "line": 10, "column": 16, "severity": "error", "code": "KY402",
         "message": 'no step "preprocess"'},
    ]


def test_usage_errors_exit_two():
    assert run_cli().returncode == 2
    assert run_cli("compile").returncode == 2
    assert run_cli("lint", "--format", "xml", "x.yaml").returncode == 2
    assert run_cli("frobnicate").returncode == 2


def test_unwritable_output_is_a_usage_error(tmp_path):
    proc = run_cli("compile", str(EXAMPLES / "basic.yaml"), "-o", str(tmp_path / "missing" / "out.yaml"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("kfyaml: cannot write ")


def test_schema_command_prints_the_schema():
    proc = run_cli("schema")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == json.loads((ROOT / "schemas" / "pipeline.schema.json").read_text())


def test_console_script_is_installed():
    proc = subprocess.run(["kfyaml", "lint", str(EXAMPLES / "basic.yaml")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_compile_and_lint_import_no_heavy_packages():
    """kfp (and through it protobuf), torch, sklearn and pandas stay off the start-up path."""
    code = (
        "import sys\n"
        "from kfyaml.compiler import cli\n"
        f"cli.main(['compile', {str(EXAMPLES / 'production.yaml')!r}, '-o', '/dev/null'])\n"
        f"cli.main(['lint', {str(EXAMPLES / 'parallel_training.yaml')!r}])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'kfp', 'torch', 'sklearn', 'pandas', 'google', 'numpy', 'kubernetes'})\n"
        "print(heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_compile_keeps_the_mode_of_the_file_it_replaces_and_gives_new_files_the_umask_mode(tmp_path):
    out = tmp_path / "basic.ir.yaml"
    out.write_text("old")
    out.chmod(0o644)
    assert run_cli("compile", str(EXAMPLES / "basic.yaml"), "-o", str(out)).returncode == 0
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    new = tmp_path / "new.ir.yaml"
    code = "import os, sys; os.umask(0o022); from kfyaml.compiler.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", code, "compile", str(EXAMPLES / "basic.yaml"), "-o", str(new)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert oct(new.stat().st_mode & 0o777) == "0o644"
