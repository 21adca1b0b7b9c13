"""What the live view costs: `kfyaml run` on a terminal against the same run through a pipe.

    python benchmarks/run_view.py [--steps 200] [--repeat 3]

A chain of trivial container steps (each waits for the one before), run
with `--no-cache` as a whole process, once with stderr on a pseudo-terminal
(the live rich view) and once into a pipe (a line per state change),
alternately; medians reported. Target: the terminal run within 1.2x of the
piped one.
"""

from __future__ import annotations

import argparse
import os
import pty
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def chain(n: int) -> str:
    steps = [f"  s{i}:\n    image: alpine\n    command: [sh, -c, 'true']\n" + (f"    needs: s{i - 1}\n" if i else "")
             for i in range(n)]
    return "name: view-chain\nsteps:\n" + "".join(steps)


def on_terminal(command: list[str]) -> float:
    leader, follower = pty.openpty()
    os.set_blocking(leader, True)
    drained = threading.Thread(target=_drain, args=(leader,), daemon=True)
    drained.start()
    start = time.perf_counter()
    env = {**os.environ, "COLUMNS": "120", "LINES": "50", "TERM": "xterm-256color"}
    subprocess.run(command, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, check=True, env=env)
    seconds = time.perf_counter() - start
    os.close(follower)
    drained.join(5)
    os.close(leader)
    return seconds


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def piped(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = Path(tmp) / "chain.yaml"
        pipeline.write_text(chain(args.steps))
        command = [sys.executable, "-m", "kfyaml.compiler.cli", "run", str(pipeline), "--no-cache",
                   "--workdir", str(Path(tmp) / "work")]
        piped(command)  # the host steps' environment is made once, outside the timings
        terminal, pipe = [], []
        for _ in range(args.repeat):
            terminal.append(on_terminal(command))
            pipe.append(piped(command))
    t, p = statistics.median(terminal), statistics.median(pipe)
    print(f"{args.steps}-step chain: terminal (live view) {t:.2f} s, pipe {p:.2f} s, ratio {t / p:.2f} (target <= 1.2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
