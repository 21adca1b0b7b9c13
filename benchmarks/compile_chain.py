"""kfyaml compile against KFP's compiler on an N-step chain of container steps.

    python benchmarks/compile_chain.py [--sizes 10 100 1000] [--repeat 3]

Both sides run as whole processes, as a user or CI would run them: the
kfyaml pipeline.yaml through the `kfyaml` console script, the equivalent KFP
Python DSL pipeline (container components) through `python pipeline.py`,
which calls `kfp.compiler.Compiler().compile`. Reports the median wall time
of each, the speed-up, IR bytes, and components/executors written.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

KFYAML_STEP = """  s{i}:
    image: alpine
    command: [sh, -c, 'echo "$0" > "$1"', "${{{{ inputs.x }}}}", "${{{{ outputs.y }}}}"]
    inputs: {{x: string}}
    outputs: {{y: string}}
    with: {{x: "{arg}"}}
"""

KFP_PIPELINE = '''
import sys
from kfp import compiler, dsl

@dsl.container_component
def step(x: str, y: dsl.OutputPath(str)):
    return dsl.ContainerSpec(image="alpine", command=["sh", "-c", 'echo "$0" > "$1"', x, y])

@dsl.pipeline(name="chain")
def chain():
    previous = step(x="hello")
    for _ in range({n} - 1):
        previous = step(x=previous.outputs["y"])

compiler.Compiler().compile(chain, sys.argv[1])
'''


def kfyaml_source(n: int) -> str:
    steps = [KFYAML_STEP.format(i=i, arg="hello" if i == 0 else "${{ steps.s%d.outputs.y }}" % (i - 1))
             for i in range(n)]
    return "name: chain\nsteps:\n" + "".join(steps)


def timed(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def counts(path: Path) -> tuple[int, int, int]:
    text = path.read_text()
    spec = next(yaml.safe_load_all(text))
    return len(text.encode()), len(spec["components"]), len(spec["deploymentSpec"]["executors"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    kfyaml = [sys.executable, "-m", "kfyaml.compiler.cli"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in args.sizes:
            source, script = tmp / f"chain{n}.yaml", tmp / f"chain{n}.py"
            ours, theirs = tmp / f"ours{n}.yaml", tmp / f"kfp{n}.yaml"
            source.write_text(kfyaml_source(n))
            script.write_text(KFP_PIPELINE.format(n=n))
            t_ours = timed(kfyaml + ["compile", str(source), "-o", str(ours)], args.repeat)
            t_kfp = timed([sys.executable, str(script), str(theirs)], args.repeat)
            rows.append((n, t_ours, t_kfp, counts(ours), counts(theirs)))
    print(f"{'N':>5} | {'kfyaml s':>8} | {'KFP s':>7} | {'speed-up':>8} | {'kfyaml bytes':>12} | {'KFP bytes':>10} | "
          f"{'ratio':>5} | {'comp/exec kfyaml':>16} | {'comp/exec KFP':>13}")
    for n, t_ours, t_kfp, (b_ours, c_ours, e_ours), (b_kfp, c_kfp, e_kfp) in rows:
        print(f"{n:>5} | {t_ours:>8.3f} | {t_kfp:>7.3f} | {t_kfp / t_ours:>7.1f}x | {b_ours:>12,} | {b_kfp:>10,} | "
              f"{b_ours / b_kfp:>5.2f} | {f'{c_ours}/{e_ours}':>16} | {f'{c_kfp}/{e_kfp}':>13}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
