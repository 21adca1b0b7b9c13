"""`stdlib/train_torch_ddp`'s data path: rows per second, the DataLoader path against the device path.

    python benchmarks/ddp_epoch.py [--rows 200000] [--features 32] [--batch-size 1024] [--epochs 4]

Writes a synthetic table (rows x features, two classes), then runs the step's
worker program (stdlib_steps/ddp_worker.py) under torchrun with each data path,
in the same run: on the CPU with gloo and world size 2, and, where CUDA is
available, on the GPUs with NCCL. Reports seconds per epoch (the first epoch,
warm-up, left out) and rows per second, and the ratio device/loader.

`--nodes` then compares one node of two processes with two nodes of one
(two torchrun agents at a c10d rendezvous on 127.0.0.1, as `kfyaml run`
starts them for `num_nodes: 2`), on the device path: CPU, and GPUs where
there are two.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "stdlib_steps" / "ddp_worker.py"


def _table(path: Path, rows: int, features: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, features), dtype=np.float32)
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(features)])
    frame["target"] = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    frame.to_csv(path, index=False)


def _epochs(data: Path, work: Path, path: str, world: int, cpu: bool, args) -> list[float]:
    env = {**os.environ, "KFYAML_DDP_DATA_PATH": path}
    if cpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
    out = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={world}",
                          str(WORKER), "--data", str(data), "--model-dir", str(work / f"model-{path}"),
                          "--checkpoint-dir", str(work / f"ckpt-{path}-{cpu}"), "--metrics", str(work / "m.json"),
                          "--epochs", str(args.epochs), "--batch-size", str(args.batch_size)],
                         capture_output=True, text=True, env=env, check=True).stdout
    seconds = [json.loads(line)["seconds"] for line in out.splitlines() if line.startswith('{"epoch"')]
    return seconds[1:] or seconds


def _epochs_nodes(data: Path, work: Path, nodes: int, nproc: int, cpu: bool, args) -> list[float]:
    """Seconds per epoch with `nodes` torchrun agents of `nproc` workers each, meeting on 127.0.0.1."""
    import socket

    env = {**os.environ, "KFYAML_DDP_DATA_PATH": "device",
           "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // (nodes * nproc)))}  # as train_torch_ddp sets it
    if cpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    program = [str(WORKER), "--data", str(data), "--model-dir", str(work / f"model-n{nodes}"),
               "--checkpoint-dir", str(work / f"ckpt-n{nodes}-{nproc}-{cpu}"), "--metrics", str(work / "m.json"),
               "--epochs", str(args.epochs), "--batch-size", str(args.batch_size)]
    agents = [subprocess.Popen([sys.executable, "-m", "torch.distributed.run", f"--nnodes={nodes}",
                                f"--nproc-per-node={nproc}", "--rdzv-backend=c10d", f"--rdzv-endpoint=127.0.0.1:{port}",
                                f"--rdzv-id=bench-{nodes}-{nproc}-{port}"] + program,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
              for _ in range(nodes)]
    outs = [agent.communicate()[0] for agent in agents]
    if any(agent.returncode for agent in agents):
        raise SystemExit(f"a node failed with {[a.returncode for a in agents]}")
    seconds = [json.loads(line)["seconds"] for out in outs for line in out.splitlines() if line.startswith('{"epoch"')]
    return seconds[1:] or seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--nodes", action="store_true", help="also compare 1 node x 2 processes with 2 nodes x 1")
    args = parser.parse_args()
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "table.csv"
        _table(data, args.rows, args.features)
        setups = [("cpu (gloo, world 2)", 2, True)]
        if torch.cuda.is_available():
            setups.append((f"gpu ({torch.cuda.get_device_name(0)}, nccl, world {torch.cuda.device_count()})",
                           torch.cuda.device_count(), False))
        else:
            print("no CUDA device here: CPU only")
        print(f"{args.rows} rows x {args.features} features, batch {args.batch_size}, {args.epochs} epochs "
              "(the first left out)")
        for name, world, cpu in setups:
            timings = {}
            for path in ("loader", "device"):
                timings[path] = statistics.median(_epochs(data, work, path, world, cpu, args))
                print(f"  {name:<40} {path:<7} {timings[path]:7.3f} s/epoch  {args.rows / timings[path]:>12,.0f} rows/s")
            print(f"  {name:<40} device is {timings['loader'] / timings['device']:.1f}x the loader's rows/s")
        if args.nodes:
            shapes = [("cpu", True)] + ([("gpu", False)] if torch.cuda.device_count() >= 2 else [])
            if torch.cuda.device_count() < 2:
                print("  nodes: fewer than 2 GPUs here: CPU only")
            for device, cpu in shapes:
                for nodes, nproc in ((1, 2), (2, 1)):
                    seconds = statistics.median(_epochs_nodes(data, work, nodes, nproc, cpu, args))
                    print(f"  {device} {nodes} node(s) x {nproc} process(es){'':<16} {seconds:7.3f} s/epoch  "
                          f"{args.rows / seconds:>12,.0f} rows/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
