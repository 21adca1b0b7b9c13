"""Silencing warnings: inline comments and the project's configuration (.kfyaml.yaml, pyproject.toml)."""

from __future__ import annotations

import textwrap

from conftest import run_cli

from kfyaml.compiler import api

PIPELINE = """\
name: p
params:
  unused: {type: string, default: x}
steps:
  a: {image: alpine, command: [echo, hi]}
  b: {image: alpine, command: [echo, hi], needs: a}
  c: {image: alpine, command: [echo, hi], needs: [a, b]}
"""
WARNINGS = [
    "pipeline.yaml:3:3: warning: param \"unused\" is never used; remove it or read it with ${{ params.unused }} [KY405]",
    "pipeline.yaml:7:51: warning: \"a\" in `needs:` is redundant: it already runs before \"b\", which \"c\" waits for [KY404]",
]


def project(tmp_path, pipeline: str = PIPELINE, files: dict[str, str] | None = None):
    (tmp_path / ".git").mkdir()  # the configuration search stops at the repository root
    (tmp_path / "pipeline.yaml").write_text(pipeline)
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path / "pipeline.yaml"


def lint(path) -> list[str]:
    return [d.format() for d in api.check_file(str(path), display="pipeline.yaml").diagnostics]


def test_without_configuration_both_warnings_are_reported(tmp_path):
    assert lint(project(tmp_path)) == WARNINGS


def test_comment_on_the_line_above_and_at_the_end_of_the_line(tmp_path):
    text = PIPELINE.replace("  unused:", "  # kfyaml: ignore[KY405]\n  unused:").replace(
        "needs: [a, b]}", "needs: [a, b]}  # kfyaml: ignore[KY404]")
    assert lint(project(tmp_path, text)) == []


def test_comment_names_only_some_codes(tmp_path):
    text = PIPELINE.replace("needs: [a, b]}", "needs: [a, b]}  # kfyaml: ignore[KY405]")
    assert lint(project(tmp_path, text)) == WARNINGS


def test_comment_inside_a_quoted_string_is_not_a_comment(tmp_path):
    text = PIPELINE.replace("command: [echo, hi], needs: [a, b]", "command: [echo, 'x#kfyaml: ignore[KY404]'], needs: [a, b]")
    assert [d.split(": warning")[0] for d in lint(project(tmp_path, text))] == ["pipeline.yaml:3:3", "pipeline.yaml:7:74"]


def test_kfyaml_yaml_ignores_codes_for_the_project(tmp_path):
    path = project(tmp_path, files={".kfyaml.yaml": "ignore: [KY404]\n"})
    assert lint(path) == WARNINGS[:1]


def test_configuration_is_found_in_a_folder_above(tmp_path):
    project(tmp_path, files={".kfyaml.yaml": "ignore: [KY404, KY405]\n"})
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "pipeline.yaml").write_text(PIPELINE)
    assert lint(tmp_path / "pipelines" / "pipeline.yaml") == []


def test_pyproject_table(tmp_path):
    path = project(tmp_path, files={"pyproject.toml": """\
        [project]
        name = "x"

        [tool.kfyaml]
        ignore = ["KY405"]
        """})
    assert lint(path) == WARNINGS[1:]


def test_pyproject_without_our_table_is_not_a_configuration(tmp_path):
    path = project(tmp_path, files={"pyproject.toml": "[project]\nname = 'x'\n"})
    assert lint(path) == WARNINGS


def test_problems_in_the_configuration_are_reported_where_they_are(tmp_path):
    path = project(tmp_path, files={".kfyaml.yaml": """\
        ignore: [KY404, KY999, KY503]
        fail_on_warning: false
        """})
    assert lint(path) == [
        ".kfyaml.yaml:1:17: warning: \"KY999\" is not a kfyaml code; see docs/checks.md [KY112]",
        ".kfyaml.yaml:1:24: warning: KY503 is an error, and errors cannot be ignored: fix it instead [KY112]",
        ".kfyaml.yaml:2:1: warning: unknown configuration key \"fail_on_warning\"; the keys are ignore, "
        "fail_on_warnings, root [KY112]",
        WARNINGS[0],
    ]


def test_pyproject_problems_are_located(tmp_path):
    path = project(tmp_path, files={"pyproject.toml": """\
        [tool.kfyaml]
        ignore = ["KY40"]
        """})
    assert "pyproject.toml:2:12: warning: \"KY40\" is not a kfyaml code; see docs/checks.md [KY112]" in lint(path)


def test_broken_configuration_is_a_diagnostic_not_a_traceback(tmp_path):
    path = project(tmp_path, files={".kfyaml.yaml": "ignore: [KY404\n"})
    out = lint(path)
    assert out[0].startswith(".kfyaml.yaml:2:1: error: ") and out[0].endswith("[KY101]")


def test_fail_on_warnings_false_lets_lint_pass_and_still_prints(tmp_path):
    path = project(tmp_path, files={".kfyaml.yaml": "fail_on_warnings: false\n"})
    proc = run_cli("lint", "pipeline.yaml", cwd=path.parent)
    assert proc.returncode == 0
    assert [line for line in proc.stdout.splitlines() if not line.startswith(" ")] == WARNINGS


def test_fail_on_warnings_lists_the_warnings_that_fail(tmp_path):
    path = project(tmp_path, files={".kfyaml.yaml": "fail_on_warnings: [KY404]\n"})
    assert run_cli("lint", "pipeline.yaml", cwd=path.parent).returncode == 1
    path.write_text(PIPELINE.replace("needs: [a, b]", "needs: [b]"))
    assert run_cli("lint", "pipeline.yaml", cwd=path.parent).returncode == 0


def test_compile_honours_suppressions(tmp_path):
    path = project(tmp_path, files={".kfyaml.yaml": "ignore: [KY404, KY405]\n"})
    proc = run_cli("compile", "pipeline.yaml", cwd=path.parent)
    assert proc.returncode == 0 and proc.stderr == ""
