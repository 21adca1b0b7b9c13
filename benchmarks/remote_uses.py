"""Lint and compile of a pipeline with 50 remote components, cold and warm, beside the same 50 as local files.

    python benchmarks/remote_uses.py [--components 50] [--repeat 3]

A bare git repository on disk (`git+file://`) holds N KFP component files
at tag v1; the pipeline has one step per component. Reported (medians, whole
`kfyaml` processes):

- cold: an empty cache and no kfyaml.lock, so `kfyaml compile` fetches and locks all N on the way;
- `kfyaml lock` alone on an empty cache;
- warm: `kfyaml lint --frozen` and `kfyaml compile --frozen` with the lock and the cache in place;
- local: the same pipeline with the N files beside it (`uses: ./components/cK.yaml`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMPONENT = """name: C{k}
inputs:
- {{name: msg, type: String}}
implementation:
  container:
    image: alpine
    command: [echo, {{inputValue: msg}}, "{k}"]
"""


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.email=b@example.com", "-c", "user.name=b", *args], cwd=cwd, check=True,
                   capture_output=True)


def kfyaml(*args: str, cwd: Path, env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"kfyaml {' '.join(args)} failed:\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kfyaml-remote-bench-"))
    work, bare, project = root / "work", root / "steps.git", root / "project"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    (project / "components").mkdir(parents=True)
    (project / ".kfyaml.yaml").write_text("{}\n")
    for k in range(args.components):
        (work / f"c{k}.yaml").write_text(COMPONENT.format(k=k))
        (project / "components" / f"c{k}.yaml").write_text(COMPONENT.format(k=k))
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "components", cwd=work)
    git("tag", "v1", cwd=work)
    git("push", "-q", str(bare), "main", "--tags", cwd=work)
    steps = "".join(f"  s{k}:\n    uses: git+file://{bare}//c{k}.yaml@v1\n    with: {{msg: hi}}\n"
                    for k in range(args.components))
    (project / "remote.yaml").write_text("name: remote\nsteps:\n" + steps)
    local = "".join(f"  s{k}:\n    uses: ./components/c{k}.yaml\n    with: {{msg: hi}}\n" for k in range(args.components))
    (project / "local.yaml").write_text("name: local\nsteps:\n" + local)
    env = {**os.environ, "XDG_CACHE_HOME": str(root / "cache")}
    figures: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        shutil.rmtree(root / "cache", ignore_errors=True)
        (project / "kfyaml.lock").unlink(missing_ok=True)
        figures.setdefault("cold: compile (fetch and lock)", []).append(kfyaml("compile", "remote.yaml", cwd=project, env=env))
        shutil.rmtree(root / "cache", ignore_errors=True)
        (project / "kfyaml.lock").unlink(missing_ok=True)
        figures.setdefault("kfyaml lock, empty cache", []).append(kfyaml("lock", "remote.yaml", cwd=project, env=env))
        figures.setdefault("warm: lint --frozen", []).append(kfyaml("lint", "remote.yaml", "--frozen", cwd=project, env=env))
        figures.setdefault("warm: compile --frozen", []).append(kfyaml("compile", "remote.yaml", "--frozen", cwd=project, env=env))
        figures.setdefault("local files: lint", []).append(kfyaml("lint", "local.yaml", cwd=project, env=env))
        figures.setdefault("local files: compile", []).append(kfyaml("compile", "local.yaml", cwd=project, env=env))
    print(f"{args.components} components, median of {args.repeat}:")
    for name, values in figures.items():
        print(f"  {name:34} {statistics.median(values) * 1000:7.0f} ms")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
