"""`kfyaml test`: the examples' tests pass; failures are located; mocks of values and artifacts;
branch expectations; a JUnit XML report that a JUnit reader takes."""

from __future__ import annotations

import shutil
import textwrap

import pytest
from conftest import EXAMPLES, run_cli

pytestmark = pytest.mark.slow  # runs pipelines


def test_the_examples_tests_pass(tmp_path):
    proc = run_cli("test", str(EXAMPLES / "conditional_deploy.test.yaml"), str(EXAMPLES / "training_pipeline.test.yaml"),
                   "--workdir", str(tmp_path / "w"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line.split(" (")[0] for line in proc.stdout.splitlines()]
    assert lines == [
        str(EXAMPLES / "conditional_deploy.test.yaml"),
        "  deploys_an_accurate_model PASSED", "  holds_back_a_model_below_the_threshold PASSED",
        str(EXAMPLES / "training_pipeline.test.yaml"),
        "  trains_each_algorithm_and_deploys_the_best PASSED", "  does_not_deploy_below_the_threshold PASSED",
        "4 cases: 4 passed, 0 failed"]


def test_failed_expectations_and_bad_mocks_are_reported_at_their_lines(tmp_path):
    for name in ("conditional_deploy.yaml",):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    shutil.copytree(EXAMPLES / "testdata", tmp_path / "testdata")
    (tmp_path / "conditional_deploy.test.yaml").write_text(textwrap.dedent("""\
        x-mocks: &mocks
          preprocess: {train: testdata/rows.csv, test: testdata/rows.csv, train_rows: 2, test_rows: 1, features: [a]}
          train: {model: testdata/model, metrics: testdata/metrics.json, train_accuracy: 0.97}
          evaluate: {accuracy: 0.7, f1: 0.7, metrics: testdata/metrics.json, classification_metrics: testdata/metrics.json}
          deploy: {applied: true, url: u, manifest: testdata/manifest.yaml, previous: testdata/manifest.yaml}
        cases:
          wrong:
            mocks: *mocks
            expect:
              ran: [deploy]
              outputs: {accuracy: 0.9}
              inputs:
                evaluate: {model: nothing}
          bad_mock:
            mocks:
              nothere: {x: 1}
          missing_artifact:
            mocks:
              preprocess: {train: testdata/none.csv, test: testdata/rows.csv, train_rows: 2, test_rows: 1, features: []}
        """))
    proc = run_cli("test", "conditional_deploy.test.yaml", "--workdir", "w", cwd=tmp_path)
    assert proc.returncode == 1
    out = proc.stdout.splitlines()
    assert out[1].startswith("  wrong FAILED")
    assert out[2] == '    conditional_deploy.test.yaml:10:13: expected "deploy" to have run, but it skipped (if: false)'
    assert out[3] == '    conditional_deploy.test.yaml:11:27: output "accuracy" is 0.7, expected 0.9'
    assert out[4] == ('    conditional_deploy.test.yaml:13:27: "evaluate" received the wrong model: nothing does not exist '
                      "(paths are relative to the pipeline's folder, as mocks' are)")
    assert out[5].startswith("  bad_mock FAILED")
    assert out[6] == '    conditional_deploy.test.yaml:16:7: no step "nothere" in the pipeline'
    assert out[7].startswith("  missing_artifact FAILED")
    assert "preprocess: the mock's artifact 'train' names testdata/none.csv, which does not exist" in proc.stdout
    assert out[-1] == "3 cases: 0 passed, 3 failed"


def _junit_schema(tmp_path):
    """The JUnit schema CI systems read (Jenkins xunit's junit-10.xsd), as pytest's own source
    distribution ships it for its tests: fetched from the package registry, not copied here."""
    import subprocess
    import sys
    import tarfile

    version = pytest.__version__
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
                           f"pytest=={version}", "-d", str(tmp_path / "sdist")], capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        pytest.skip(f"pytest's source distribution (for junit-10.xsd) could not be downloaded: {proc.stderr[-200:]}")
    with tarfile.open(next((tmp_path / "sdist").glob("pytest-*.tar.gz"))) as archive:
        member = f"pytest-{version}/testing/example_scripts/junit-10.xsd"
        archive.extract(member, tmp_path / "xsd", filter="data")
    return tmp_path / "xsd" / member


def test_branch_expectations_and_a_junit_report(tmp_path):
    junitparser = pytest.importorskip("junitparser")
    test = tmp_path / "tour.test.yaml"
    test.write_text(textwrap.dedent(f"""\
        pipeline: {EXAMPLES / "language_tour.yaml"}
        cases:
          accepts:
            params: {{threshold: 0.1}}
            mocks: {{best: {{Output: 0.9}}}}
            expect: {{branches: {{decide: 0}}, outputs: {{best: 0.9}}}}
          rejects:
            params: {{threshold: 0.99}}
            mocks: {{best: {{Output: 0.9}}}}
            expect: {{branches: {{decide: 0}}}}
        """))
    report = tmp_path / "report.xml"
    proc = run_cli("test", str(test), "--workdir", str(tmp_path / "w"), "--junit-xml", str(report))
    assert proc.returncode == 1
    assert f"    {test}:10:33: expected branch 0 of \"decide\", but branch 'else' ran" in proc.stdout.splitlines()
    xml = junitparser.JUnitXml.fromfile(str(report))
    (suite,) = list(xml)
    assert (suite.tests, suite.failures, suite.errors) == (2, 1, 0)
    cases = {case.name: case for case in suite}
    assert cases["accepts"].is_passed and not cases["rejects"].is_passed
    assert "expected branch 0" in cases["rejects"].result[0].message
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(_junit_schema(tmp_path)))
    assert [e.reason for e in schema.iter_errors(str(report))] == []
    broken = report.read_text().replace('classname=', 'class=', 1)
    assert not schema.is_valid(broken)  # the check can fail


@pytest.mark.parametrize("text, expected", [
    ("cases:\n  a: [1, 2]\n", "t.test.yaml:2:6: a case is a mapping with params, mocks and expect"),
    ("cases:\n  a: {mocks: {train: 1}}\n", "t.test.yaml:2:22: a mock is a mapping of the step's outputs to their values (or files)"),
    ("cases:\n  a: {expect: {ran: train}}\n", "t.test.yaml:2:21: `ran` is a list of step ids"),
    ("cases:\n  a: {expect: {inputs: [x]}}\n", "t.test.yaml:2:24: `inputs` is a mapping"),
])
def test_a_malformed_test_file_is_reported_not_a_traceback(tmp_path, text, expected):
    shutil.copy(EXAMPLES / "basic.yaml", tmp_path / "t.yaml")
    (tmp_path / "t.test.yaml").write_text(text)
    proc = run_cli("test", "t.test.yaml", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"    {expected}" in proc.stdout.splitlines()


def test_artifact_input_expectations_name_a_file_or_a_step_output(tmp_path):
    """An artifact input is a run-folder path no test knows in advance (issue 19, point 3): the expectation
    names the file it should hold (compared by content) or the step output it should be (by identity)."""
    shutil.copy(EXAMPLES / "conditional_deploy.yaml", tmp_path / "conditional_deploy.yaml")
    shutil.copytree(EXAMPLES / "testdata", tmp_path / "testdata")
    (tmp_path / "conditional_deploy.test.yaml").write_text(textwrap.dedent("""\
        x-mocks: &mocks
          preprocess: {train: testdata/rows.csv, test: testdata/rows.csv, train_rows: 2, test_rows: 1, features: [a]}
          train: {model: testdata/model, metrics: testdata/metrics.json, train_accuracy: 0.97}
          evaluate: {accuracy: 0.93, f1: 0.9, metrics: testdata/metrics.json, classification_metrics: testdata/metrics.json}
          deploy: {applied: true, url: u, manifest: testdata/manifest.yaml, previous: testdata/manifest.yaml}
        cases:
          right:
            params: {threshold: 0.9}
            mocks: *mocks
            expect:
              inputs:
                evaluate: {model: testdata/model, test: "${{ steps.preprocess.outputs.test }}"}
                deploy: {model: steps.train.outputs.model}
          wrong:
            params: {threshold: 0.9}
            mocks: *mocks
            expect:
              inputs:
                evaluate: {model: testdata/metrics.json, test: steps.train.outputs.model}
                deploy: {model: testdata/nothing-here}
        """))
    proc = run_cli("test", "conditional_deploy.test.yaml", "--workdir", "w", cwd=tmp_path)
    assert proc.returncode == 1
    lines = [line.split(" (")[0] if "PASSED" in line or "FAILED" in line else line for line in proc.stdout.splitlines()]
    assert len(list((tmp_path / "w" / "runs").iterdir())) == 2
    assert lines[1:3] == ["  right PASSED", "  wrong FAILED"]
    failures = [line.strip() for line in lines[3:-1]]
    assert failures[0].startswith('conditional_deploy.test.yaml:19:27: "evaluate" received the wrong model: the '
                                  "artifact it received (")
    assert failures[0].endswith("/outputs/train/model) differs from testdata/metrics.json")
    assert failures[1].startswith('conditional_deploy.test.yaml:19:56: "evaluate" received the wrong test: it received ')
    assert failures[1].endswith("/outputs/train/model)") and "/outputs/preprocess/test, not that output (" in failures[1]
    assert failures[2] == ('conditional_deploy.test.yaml:20:25: "deploy" received the wrong model: testdata/nothing-here '
                           "does not exist (paths are relative to the pipeline's folder, as mocks' are)")
