"""`debug_pause:` (KFP's set_debug_pause) and `kfyaml run --pause-on-error` (issue 22, part 4).

The IR side is compared with what KFP 2.17's own compiler writes for the same
calls; the run side re-enters a failed step through the script kfyaml keeps,
in a shell, as it ran, and under pdb.
"""

from __future__ import annotations

import os
import subprocess
import textwrap

import pytest
import yaml
from support.round_trip import check, imported
from support.run_helpers import kfyaml_run

from kfyaml.compiler import api

STEP = "    image: alpine\n    command: [echo, hi]\n"


def _env(text: str) -> dict[str, list]:
    result = api.compile_bytes(text.encode(), "pipeline.yaml")
    assert result.ok, [d.format() for d in result.diagnostics]
    spec = result.pipeline_spec
    return {task: spec["deploymentSpec"]["executors"][spec["components"][t["componentRef"]["name"]]["executorLabel"]][
        "container"].get("env") for t in spec["root"]["dag"]["tasks"].values() for task in [t["taskInfo"]["name"]]}


def test_each_form_is_what_kfps_set_debug_pause_writes(tmp_path):
    from kfp import compiler, dsl

    @dsl.container_component
    def echo():
        return dsl.ContainerSpec(image="alpine", command=["echo", "hi"])

    @dsl.pipeline(name="pause")
    def pause():
        echo().set_display_name("default").set_debug_pause()
        echo().set_display_name("before").set_debug_pause(before=True, after=False)
        echo().set_display_name("on-error").set_debug_pause(on_error=True)
        echo().set_display_name("both").set_debug_pause(before=True)
        echo().set_display_name("env-first").set_env_variable("X", "1").set_debug_pause(on_error=True)

    compiler.Compiler().compile(pause, str(tmp_path / "kfp.yaml"))
    kfp = yaml.safe_load((tmp_path / "kfp.yaml").read_text())
    theirs = {t["taskInfo"]["name"]: kfp["deploymentSpec"]["executors"][
        kfp["components"][t["componentRef"]["name"]]["executorLabel"]]["container"]["env"]
        for t in kfp["root"]["dag"]["tasks"].values()}
    ours = _env("name: pause\nsteps:\n"
                f"  default:\n{STEP}    debug_pause: true\n"
                f"  before:\n{STEP}    debug_pause: before\n"
                f"  on_error:\n{STEP}    debug_pause: on_error\n"
                f"  both:\n{STEP}    debug_pause: {{before: true}}\n"
                f"  env_first:\n{STEP}    env: {{X: '1'}}\n    debug_pause: {{on_error: true}}\n")
    assert ours == theirs
    assert ours["on-error"] == [{"name": "ARGO_DEBUG_PAUSE_ON_ERROR", "value": "true"}]
    # kfyaml import of KFP's IR gives `debug_pause:` back, and compiles to what KFP wrote
    (tmp_path / "imported").mkdir()
    check(tmp_path / "kfp.yaml", tmp_path / "imported")
    steps = yaml.safe_load((tmp_path / "imported" / "pipeline.yaml").read_text())["steps"]
    assert {name: (step.get("debug_pause"), step.get("env")) for name, step in steps.items()} == {
        "default": (True, None), "before": ("before", None), "on_error": ("on_error", None),
        "both": ({"before": True}, None), "env_first": ("on_error", {"X": "1"})}


def test_a_standard_library_steps_env_and_pause_survive_import(tmp_path):
    text = "name: st\nsteps:\n  v:\n    uses: stdlib/validate_data\n    with: {source: x.csv}\n" \
           "    env: {A: '1'}\n    debug_pause: {before: true, on_error: true}\n"
    result = api.compile_bytes(text.encode(), "p.yaml")
    (tmp_path / "ir.yaml").write_text(result.ir_text())
    (tmp_path / "back").mkdir()
    step = yaml.safe_load(imported(tmp_path / "ir.yaml", tmp_path / "back").read_text())["steps"]["v"]
    assert (step["env"], step["debug_pause"]) == ({"A": "1"}, {"before": True, "on_error": True})
    (tmp_path / "again").mkdir()
    check(tmp_path / "ir.yaml", tmp_path / "again")


def test_defaults_and_groups_pass_it_down_and_false_turns_it_off():
    result = api.compile_bytes(("name: pause\ndefaults: {debug_pause: on_error}\nsteps:\n"
                                f"  a:\n{STEP}"
                                f"  b:\n{STEP}    debug_pause: false\n"
                                "  g:\n    debug_pause: after\n    steps:\n"
                                "      c:\n        image: alpine\n        command: [echo, hi]\n").encode(), "p.yaml")
    assert result.ok, [d.format() for d in result.diagnostics]
    executors = result.pipeline_spec["deploymentSpec"]["executors"]
    assert {label: e["container"].get("env") for label, e in executors.items()} == {
        "exec-a": [{"name": "ARGO_DEBUG_PAUSE_ON_ERROR", "value": "true"}], "exec-b": None,
        "exec-c": [{"name": "ARGO_DEBUG_PAUSE_AFTER", "value": "true"}]}


@pytest.mark.parametrize(("value", "message"), [
    ("{after: false, on_error: true}", "`on_error: true` pauses after a failed run of the step, and `after: false` "
                                       "says not to pause after it: drop `after: false` [KY319]"),
    ("{before: false, after: false}", "with `before: false` and `after: false` there is nothing to pause on: set one "
                                      "of them, or write `debug_pause: false` [KY319]"),
])
def test_what_kfp_refuses_is_a_located_error(value, message):
    result = api.compile_bytes(f"name: pause\nsteps:\n  a:\n{STEP}    debug_pause: {value}\n".encode(), "p.yaml")
    assert [d.format().splitlines()[0] for d in result.diagnostics] == [f"p.yaml:6:18: error: {message}"]
    assert result.pipeline_spec is None


def test_a_word_kfp_does_not_have_is_a_schema_error():
    result = api.compile_bytes(f"name: pause\nsteps:\n  a:\n{STEP}    debug_pause: always\n".encode(), "p.yaml")
    assert [d.code for d in result.diagnostics] == ["KY201"] and "debug_pause" in result.diagnostics[0].message


FAILING = textwrap.dedent("""\
    name: fails
    steps:
      prep:
        python: |
          def prep(n: int = 3) -> int:
              return n * 2
      boom:
        python: |
          def boom(x: int) -> int:
              values = [1, 2]
              return values[x]
        with: {x: "${{ steps.prep.outputs.Output }}"}
        kubernetes:
          secrets: [{name: db-creds, env: {DB_PASSWORD: password}}]
    """)


@pytest.mark.slow
def test_pause_on_error_keeps_the_failed_step_to_reenter_as_it_ran(tmp_path):
    (tmp_path / "pipeline.yaml").write_text(FAILING)
    (tmp_path / "db.env").write_text("password=hunter2-secret\n")
    code, result, stderr = kfyaml_run(tmp_path / "pipeline.yaml", tmp_path / "wd", "--pause-on-error",
                                      "--secret", f"db-creds={tmp_path / 'db.env'}")
    assert code == 1
    boom, prep = result["steps"]["boom"], result["steps"]["prep"]
    script = boom["reenter"]
    assert prep["reenter"] is None and script == os.path.join(result["run_dir"], "outputs", "boom", "reenter.sh")
    assert f"step boom failed; its folder is kept. To stand where it ran:\n  sh {script}        a shell" in stderr
    text = open(script).read()
    assert "hunter2" not in text and ': "${DB_PASSWORD?set DB_PASSWORD first: ' in text
    assert oct(os.stat(script).st_mode & 0o777) == "0o700"
    env = {**os.environ, "DB_PASSWORD": "from-my-shell", "SHELL": "/bin/sh"}
    shell = subprocess.run(["sh", script], input='echo "cwd=$(pwd) run=$KFYAML_RUN db=$DB_PASSWORD"\n',
                           capture_output=True, text=True, env=env, timeout=60)
    assert shell.stdout == f"cwd={tmp_path} run=local db=from-my-shell\n"
    again = subprocess.run(["sh", script, "run"], capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 1 and again.stderr.rstrip().endswith("IndexError: list index out of range")
    debug = subprocess.run(["sh", script, "debug"], input="p x\np values\n", capture_output=True, text=True, env=env,
                           timeout=120)
    assert "Uncaught exception. Entering post mortem debugging" in debug.stdout
    assert "-> return values[x]\n(Pdb) 6\n(Pdb) [1, 2]\n" in debug.stdout
    missing = subprocess.run(["sh", script], input="", capture_output=True, text=True,
                             env={k: v for k, v in env.items() if k != "DB_PASSWORD"}, timeout=60)
    assert missing.returncode != 0 and "set DB_PASSWORD first" in missing.stderr


@pytest.mark.slow
def test_debug_pause_keeps_its_step_under_kfyaml_run_and_nothing_else_is_kept(tmp_path):
    text = FAILING.replace("    kubernetes:\n      secrets: [{name: db-creds, env: {DB_PASSWORD: password}}]\n",
                           "    debug_pause: on_error\n")
    text = text.replace("  prep:\n", "  prep:\n    debug_pause: true\n")
    (tmp_path / "pipeline.yaml").write_text(text)
    code, result, stderr = kfyaml_run(tmp_path / "pipeline.yaml", tmp_path / "wd")
    assert code == 1
    assert result["steps"]["boom"]["reenter"].endswith("/outputs/boom/reenter.sh")
    assert result["steps"]["prep"]["reenter"].endswith("/outputs/prep/reenter.sh")
    assert "step prep paused after it ran (debug_pause); its folder is kept." in stderr
    plain = FAILING.replace("    kubernetes:\n      secrets: [{name: db-creds, env: {DB_PASSWORD: password}}]\n", "")
    (tmp_path / "plain.yaml").write_text(plain)
    code, result, stderr = kfyaml_run(tmp_path / "plain.yaml", tmp_path / "wd")
    assert code == 1 and result["steps"]["boom"]["reenter"] is None and "its folder is kept" not in stderr
