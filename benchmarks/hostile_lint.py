"""`kfyaml lint` of the worst inputs under 1 MiB: time and peak memory against the budget (2 s, 500 MiB).

    python benchmarks/hostile_lint.py

Each input is one that once cost minutes or gigabytes (issue 12's adversarial
pass) or probes a limit: an alias bomb, a matrix of nine ten-value axes, an
inline Python step just under 1 MiB, 800 steps and one needing all of them, a
1000-wide fan-out, 2000 unknown names, expressions at and beyond the nesting
and operator limits, deep YAML, a file of huge integers. Each runs as its own
`kfyaml lint` process; the peak resident memory is that process's.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

BUDGET_S, BUDGET_MIB, MAX_SIZE = 2.0, 500, 1 << 20


def inputs() -> dict[str, str]:
    out = {}
    out["alias bomb"] = "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"b{i}: &b{i} [{', '.join(['*' + ('a' if i == 0 else f'b{i - 1}')] * 10)}]\n" for i in range(9)) + \
        "name: x\nsteps: {a: {image: alpine}}\n"
    out["matrix of 10^9 cells"] = "name: x\nsteps:\n  s:\n    matrix:\n" + "".join(
        f"      a{i}: [0,1,2,3,4,5,6,7,8,9]\n" for i in range(9)) + "    image: alpine\n"
    body = "".join(f"    v{i} = {i} + {i}\n" for i in range(40_000))
    code = "def big():\n" + body[: MAX_SIZE - 280_000].rsplit("\n", 1)[0]
    out["inline Python near 1 MiB"] = "name: x\nsteps:\n  a:\n    python: |\n" + "".join(
        "      " + line + "\n" for line in code.splitlines())
    out["800 steps, one needing all"] = "name: x\nsteps:\n" + "".join(
        f"  s{i}: {{image: alpine}}\n" for i in range(800)) + \
        "  last:\n    image: alpine\n    needs: [" + ", ".join(f"s{i}" for i in range(800)) + "]\n"
    out["1000-wide fan-out"] = "name: x\nsteps:\n  root: {image: alpine, command: [echo, \"${{ outputs.o }}\"], " \
        "outputs: {o: string}}\n" + "".join(
            f"  s{i}: {{image: alpine, command: [echo, \"${{{{ inputs.x }}}}\"], inputs: {{x: string}}, "
            f"with: {{x: \"${{{{ steps.root.outputs.o }}}}\"}}}}\n" for i in range(1000))
    out["2000 unknown names"] = "name: x\nsteps:\n" + "".join(
        f"  s{i}:\n    image: alpine\n    needs: [u{i}]\n" for i in range(2000))
    out["expression at the limits"] = "name: x\nsteps:\n  a:\n    image: alpine\n    if: \"${{ " + "(" * 32 + \
        " or ".join(["1 == 1"] * 31) + ")" * 32 + " }}\"\n"
    out["1000-term or"] = "name: x\nsteps:\n  a:\n    image: alpine\n    if: \"${{ " + \
        " or ".join(["1 == 1"] * 1000) + " }}\"\n"
    out["YAML 200 deep"] = "name: x\nsteps:\n  a:\n    image: alpine\n    env: " + "[" * 200 + "]" * 200 + "\n"
    out["10,000 huge integers"] = "name: x\nx-numbers: [" + ", ".join(["9" * 99] * 10_000) + "]\n" \
        "steps: {a: {image: alpine}}\n"
    return out


def measure(path: Path) -> tuple[float, float, int]:
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "p = subprocess.run([sys.executable, '-m', 'kfyaml.compiler.cli', 'lint', '-q', sys.argv[1]], "
             "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)")
    out = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True).stdout
    seconds, kib, code = out.split()
    return float(seconds), int(kib) / 1024, int(code)


def main() -> int:
    worst_s = worst_mib = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'input':<28} {'size':>9} {'time':>7} {'peak':>9}  exit")
        for name, text in inputs().items():
            path = Path(tmp) / "hostile.yaml"
            path.write_text(text)
            size = path.stat().st_size
            assert size < MAX_SIZE, (name, size)
            seconds, mib, code = measure(path)
            worst_s, worst_mib = max(worst_s, seconds), max(worst_mib, mib)
            print(f"{name:<28} {size / 1024:>7.0f}KiB {seconds:>6.2f}s {mib:>6.0f}MiB  {code}")
    ok = worst_s <= BUDGET_S and worst_mib <= BUDGET_MIB
    print(f"worst: {worst_s:.2f} s, {worst_mib:.0f} MiB; budget {BUDGET_S:g} s, {BUDGET_MIB} MiB: "
          f"{'within' if ok else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
