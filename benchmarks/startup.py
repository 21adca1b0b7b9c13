"""Start-up and scale of `kfyaml lint`/`compile`, against their floors and against an earlier kfyaml.

    python benchmarks/startup.py [--baseline REV] [--rounds 15]

Whole processes, as a user runs them, interleaved round by round so that
machine noise falls on every command alike; medians reported. Two ratios:

- `kfyaml lint` of a 3-step file / `python -c "import yaml, networkx"`: the
  floor any run of the design's libraries pays (target: at most 1.2);
- `kfyaml compile` of a 5000-step chain / the same with kfyaml at REV
  (default cb66aa0, before this work; target: under 0.5).

REV's sources are taken with `git archive` into a temporary folder and run
from there, and this working tree is run the same way, so both sides start
alike. Bytecode is written and each command run once before timing, as an
installed package has its bytecode compiled by pip (PYTHONDONTWRITEBYTECODE
is unset for the measured processes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from compile_chain import kfyaml_source  # noqa: E402

THREE = """name: three
steps:
  a: {image: alpine, command: [echo, a]}
  b: {image: alpine, command: [echo, b], needs: a}
  c: {image: alpine, command: [echo, c], needs: b}
"""
PACKAGES = ("compiler", "schemas", "stdlib_steps", "runner", "ir")
# As the `kfyaml` console script runs: `entry()` where the version has it, else `main()`.
BOOT = ("import sys; sys.path.insert(0, sys.argv.pop(1)); from kfyaml.compiler import cli; "
        "cli.entry() if hasattr(cli, 'entry') else sys.exit(cli.main())")


def package(tree: Path, into: Path) -> Path:
    """A `kfyaml` package folder whose parts are the tree's top-level folders."""
    root = into / "kfyaml"
    root.mkdir(parents=True)
    (root / "__init__.py").write_text("")
    for name in PACKAGES:
        if (tree / name).is_dir():
            os.symlink(tree / name, root / name)
    return into


def at_revision(rev: str, into: Path) -> Path:
    source = into / "src"
    source.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev, *[p for p in PACKAGES]], cwd=ROOT, capture_output=True)
    if archive.returncode != 0:  # an old revision may lack a folder (ir/ is new)
        archive = subprocess.run(["git", "archive", rev, "compiler", "schemas", "stdlib_steps", "runner"], cwd=ROOT,
                                 capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive.stdout, check=True)
    return package(source, into / "pkg")


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def median_times(commands: dict[str, list[str]], rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # writes the bytecode caches
        subprocess.run(command, check=True, capture_output=True, env=ENV)
    for _ in range(rounds):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=ENV)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="cb66aa0")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        three, chain = tmp / "three.yaml", tmp / "chain.yaml"
        three.write_text(THREE)
        chain.write_text(kfyaml_source(5000))
        now = package(ROOT, tmp / "now")
        then = at_revision(args.baseline, tmp / "then")
        small = median_times({
            "python -c pass": [py, "-c", "pass"],
            "python -c 'import yaml, networkx'": [py, "-c", "import yaml, networkx"],
            "kfyaml lint (3 steps)": [py, "-c", BOOT, str(now), "lint", str(three)],
            f"kfyaml@{args.baseline} lint (3 steps)": [py, "-c", BOOT, str(then), "lint", str(three)],
        }, args.rounds)
        large = median_times({
            "kfyaml compile (5000 steps)": [py, "-c", BOOT, str(now), "compile", str(chain), "-o", str(tmp / "a.yaml")],
            f"kfyaml@{args.baseline} compile (5000 steps)": [py, "-c", BOOT, str(then), "compile", str(chain), "-o",
                                                             str(tmp / "b.yaml")],
        }, max(3, args.rounds // 3))
        same = (tmp / "a.yaml").read_bytes() == (tmp / "b.yaml").read_bytes()
    for name, seconds in {**small, **large}.items():
        print(f"{name:<45} {seconds * 1000:8.0f} ms")
    lint_ratio = small["kfyaml lint (3 steps)"] / small["python -c 'import yaml, networkx'"]
    compile_ratio = large["kfyaml compile (5000 steps)"] / large[f"kfyaml@{args.baseline} compile (5000 steps)"]
    print(f"lint / import yaml, networkx: {lint_ratio:.2f} (target <= 1.2)")
    print(f"compile 5000 / kfyaml@{args.baseline}: {compile_ratio:.2f} (target < 0.5); same IR bytes: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
