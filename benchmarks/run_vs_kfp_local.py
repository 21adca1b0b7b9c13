"""`kfyaml run` against `kfp.local` on the seed's parallel-training pipeline.

    python benchmarks/run_vs_kfp_local.py [--repeat 3]

Compiles examples/parallel_training.yaml once and runs that same IR three
ways on this machine, on scikit-learn's breast-cancer data written to CSV:
kfp.local's SubprocessRunner, `kfyaml run` with an empty cache, and
`kfyaml run` again with the cache from the previous run. Prints the median
wall times, the ratio kfyaml/kfp.local, and checks that both gave the same
outputs. Step environments are prepared once before timing, for both sides
alike (kfp.local pip-installs into the current environment; kfyaml into a
cached venv).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KFP_LOCAL = """
import json, sys
from kfp import components, local
local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=sys.argv[2])
task = components.load_component_from_file(sys.argv[1])(input_path=sys.argv[3])
print(json.dumps({k: v for k, v in task.outputs.items() if isinstance(v, (str, int, float, bool, list, dict))}))
"""


def timed(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{command[:3]} failed:\n{proc.stderr[-3000:]}")
    return elapsed, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from sklearn.datasets import load_breast_cancer

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data.csv"
        load_breast_cancer(as_frame=True).frame.to_csv(data, index=False)
        ir = tmp / "parallel.ir.yaml"
        subprocess.run([sys.executable, "-m", "kfyaml.compiler.cli", "compile", str(ROOT / "examples" / "parallel_training.yaml"),
                        "-o", str(ir)], check=True)
        kfyaml = [sys.executable, "-m", "kfyaml.compiler.cli", "run", str(ROOT / "examples" / "parallel_training.yaml"),
                  "--param", f"input_path={data}", "--json"]
        local = [sys.executable, "-c", KFP_LOCAL, str(ir), str(tmp / "kfp-local-root"), str(data)]
        timed(kfyaml + ["--workdir", str(tmp / "warm")])  # creates the step venvs once
        timed(local)                                       # pip installs the steps' packages once
        times = {"kfp.local": [], "kfyaml run": [], "kfyaml run, cached": []}
        for i in range(args.repeat):
            work = tmp / f"w{i}"
            t, local_out = timed(local)
            times["kfp.local"].append(t)
            t, ours_out = timed(kfyaml + ["--workdir", str(work)])
            times["kfyaml run"].append(t)
            t, cached_out = timed(kfyaml + ["--workdir", str(work)])
            times["kfyaml run, cached"].append(t)
            ours = json.loads(ours_out)
            assert all(s["state"] == "cached" for s in json.loads(cached_out)["steps"].values())
        theirs = json.loads(local_out.strip().splitlines()[-1])  # kfp.local logs to stdout too
        same = theirs["best_algorithm"] == ours["outputs"]["parameters"]["best_algorithm"]
        medians = {k: statistics.median(v) for k, v in times.items()}
        for name, value in medians.items():
            print(f"{name:>20}: {value:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in times[name])})")
        print(f"{'ratio':>20}: {medians['kfyaml run'] / medians['kfp.local']:.2f} (kfyaml run / kfp.local; target <= 0.6)")
        print(f"{'same outputs':>20}: {same} (best algorithm {ours['outputs']['parameters']['best_algorithm']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
