"""Mocks are checked against the step's interface at their place in the test file, before anything
runs (issue 19, point 2): never an internal error blamed on a condition deep in the run."""

from __future__ import annotations

import shutil

from conftest import EXAMPLES, run_cli


def test_mock_values_of_the_wrong_type_or_name_are_located_errors(tmp_path):
    shutil.copy(EXAMPLES / "conditional_deploy.yaml", tmp_path / "conditional_deploy.yaml")
    (tmp_path / "conditional_deploy.test.yaml").write_text("""cases:
  bad_mocks:
    params: {threshold: 0.9}
    mocks:
      preprocess: {train: rows.csv, test: rows.csv, train_rows: 2, test_rows: [1, 2], features: [a]}
      train: {model: m, metrics: m.json, train_accuracy: 0.9, epochs: 3}
      evaluate: {accuracy: high, f1: 0.9, metrics: 7, classification_metrics: m.json}
      deploy:
        outputs: {applied: true, manifest: m.yaml}
    expect:
      ran: [deploy]
""")
    proc = run_cli("test", "conditional_deploy.test.yaml", "--workdir", "w", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[1:] == [
        "  bad_mocks FAILED (0.0s)",
        '    conditional_deploy.test.yaml:5:79: output "test_rows" of "preprocess" is an int, but the mock gives [1, 2]',
        '    conditional_deploy.test.yaml:6:63: "train" has no output "epochs"; its outputs: metrics, model, '
        "train_accuracy",
        '    conditional_deploy.test.yaml:7:28: output "accuracy" of "evaluate" is a float, but the mock gives "high"',
        '    conditional_deploy.test.yaml:7:52: output "metrics" of "evaluate" is a metrics artifact: give the path of '
        "a file or folder (relative to the pipeline), not 7",
        '    conditional_deploy.test.yaml:9:9: the mock of "deploy" gives no value for its output "url" (string)',
        "1 case: 0 passed, 1 failed"]
    assert not (tmp_path / "w").exists()  # nothing ran
