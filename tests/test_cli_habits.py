"""The command line's habits: --version, `-` for stdin, -o FOLDER, colour, -q/-v, help with examples, extras."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import EXAMPLES, FIXTURES, ROOT, run_cli

from kfyaml.compiler import __version__

GOLDEN_BASIC = (ROOT / "tests" / "golden" / "basic.ir.yaml").read_text()
BAD = FIXTURES / "err" / "KY506_unknown_param.yaml"


def test_version():
    proc = run_cli("--version")
    assert (proc.returncode, proc.stdout) == (0, f"kfyaml {__version__}\n")


def test_compile_reads_standard_input():
    proc = run_cli("compile", "-", input=(EXAMPLES / "basic.yaml").read_text())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == GOLDEN_BASIC.replace("# Source: basic.yaml", "# Source: <stdin>")


def test_lint_reads_standard_input_and_names_it():
    proc = run_cli("lint", "-", input=BAD.read_text())
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0] == '<stdin>:6:9: error: no param "treshold"; did you mean "threshold"? [KY506]'


def test_stdin_resolves_paths_from_the_current_folder():
    proc = run_cli("lint", "-", input=(EXAMPLES / "reuse.yaml").read_text(), cwd=EXAMPLES)
    assert (proc.returncode, proc.stdout) == (0, "")


def test_output_into_a_folder(tmp_path):
    proc = run_cli("compile", str(EXAMPLES / "basic.yaml"), "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "basic.ir.yaml").read_text() == GOLDEN_BASIC


def test_output_into_the_current_folder(tmp_path):
    proc = run_cli("compile", str(EXAMPLES / "basic.yaml"), "-o", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "basic.ir.yaml").read_text() == GOLDEN_BASIC


def test_output_into_a_missing_folder_makes_it_with_a_slash_and_says_why_without(tmp_path):
    """`-o build/` (docs/migrating.md) names a folder: it is made. `-o build/x.yaml` names a file in a
    folder that is not there: most likely a typo, so nothing is made and the message says so."""
    proc = run_cli("compile", str(EXAMPLES / "basic.yaml"), "-o", str(tmp_path / "build") + "/")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "build" / "basic.ir.yaml").read_text() == GOLDEN_BASIC
    proc = run_cli("compile", str(EXAMPLES / "basic.yaml"), "-o", str(tmp_path / "missing" / "x.yaml"))
    assert (proc.returncode, proc.stderr) == (2, f"kfyaml: cannot write {tmp_path}/missing/x.yaml: the folder "
                                                 f"{tmp_path}/missing does not exist\n")


def test_colour_follows_color_and_no_color():
    plain = run_cli("lint", str(BAD)).stdout
    assert "\033[" not in plain  # not a terminal
    forced = run_cli("lint", "--color", "always", str(BAD)).stdout
    assert forced.splitlines()[0] == (f"\033[1m{BAD}:6:9:\033[0m \033[1;31merror\033[0m: no param \"treshold\"; "
                                      "did you mean \"threshold\"? \033[2m[KY506]\033[0m")
    assert run_cli("--color", "never", "lint", str(BAD)).stdout == plain  # before the command too


def test_no_color_turns_auto_off_on_a_terminal(tmp_path):
    import os
    import pty

    def on_terminal(env):
        leader, follower = pty.openpty()
        subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", "lint", str(BAD)], stdout=follower,
                       stderr=follower, env=env, check=False, timeout=60)
        os.close(follower)
        chunks = []
        try:
            while chunk := os.read(leader, 65536):
                chunks.append(chunk)
        except OSError:
            pass
        os.close(leader)
        return b"".join(chunks).decode()

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\033[1;31merror" in on_terminal(env)
    assert "\033[" not in on_terminal({**env, "NO_COLOR": "1"})


def test_quiet_drops_the_source_lines_and_verbose_adds_counts(tmp_path):
    assert run_cli("lint", "-q", str(BAD)).stdout.splitlines() == [
        f'{BAD}:6:9: error: no param "treshold"; did you mean "threshold"? [KY506]']
    verbose = run_cli("lint", "-v", str(BAD), str(EXAMPLES / "basic.yaml")).stdout.splitlines()
    assert verbose[-2:] == [f"{BAD}: 1 error", f"{EXAMPLES / 'basic.yaml'}: no problems"]
    out = tmp_path / "b.yaml"
    proc = run_cli("compile", "-v", str(EXAMPLES / "basic.yaml"), "-o", str(out))
    assert proc.stderr == f"{EXAMPLES / 'basic.yaml'}: no problems; wrote {out} ({len(GOLDEN_BASIC.encode())} bytes)\n"
    assert run_cli("lint", "-q", "-v", str(BAD)).returncode == 2


@pytest.mark.parametrize("command", ["compile", "lint", "schema", "run", "submit"])
def test_each_command_has_a_description_and_examples(command):
    proc = run_cli(command, "--help")
    assert proc.returncode == 0
    description = proc.stdout.split("\n\n")[1]
    assert len(description) > 40
    examples = proc.stdout.split("examples:\n")[1].splitlines()
    assert examples and all(line.startswith(f"  kfyaml {command}") or "| kfyaml" in line or "kfyaml " in line
                            for line in examples)


def test_top_help_lists_each_command_with_a_line():
    out = run_cli("--help").stdout
    for line in ("compile   check a pipeline and write its KFP IR", "lint      check pipelines without writing anything",
                 "run       compile and run a pipeline on this machine"):
        assert line in " ".join(out.split()) or line.split()[0] in out


def test_param_format_is_documented():
    assert "JSON for a list or dict" in " ".join(run_cli("run", "--help").stdout.split())


def test_a_missing_extra_is_one_line_naming_the_install():
    code = ("import sys\nsys.modules['kfp'] = None\nfrom kfyaml.compiler.cli import main\n"
            f"sys.exit(main(['submit', {str(EXAMPLES / 'basic.yaml')!r}, '--host', 'http://127.0.0.1:9']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == ("kfyaml: kfyaml submit needs the KFP SDK (kfp), which is not installed: "
                           "pip install 'kfyaml[kfp]'\n")
