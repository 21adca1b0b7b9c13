"""The program every DDP process runs, under torchrun: train, checkpoint, save.

`train_torch_ddp` starts it with torchrun on this machine (world size =
processes here) or writes it into a Kubeflow Trainer TrainJob for several
nodes. Each epoch's state is checkpointed by rank 0 (written aside and
renamed, so a kill never leaves half a file) and a restarted job resumes from
the last complete epoch; rank 0 alone saves the unwrapped module. NCCL on
GPUs, gloo on CPUs, the same code.

The data path is built for a GPU: a tabular step is launch-bound, and a
DataLoader that indexes one row at a time and makes a host tensor per batch
keeps the device idle. Each rank's table is moved to the device once (pinned
host memory when it does not fit), every epoch's shard is the permutation
`DistributedSampler` would give (same seed, `set_epoch`, padding), and batches
are slices of it indexed on the device; the loss is summed on the device and
read once per epoch; Adam is fused where the device has it. `--data-path
loader` keeps the DataLoader path, for `benchmarks/ddp_epoch.py`.

The step's container runs without kfyaml installed, so `tools/build_stdlib.py`
embeds this file's text into the component it builds.
"""

import argparse
import json
import os
import signal
import time

import pandas as pd
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def shard(n: int, world: int, rank: int, seed: int, epoch: int) -> torch.Tensor:
    """This rank's indices for the epoch, exactly as DistributedSampler(shuffle=True) yields them."""
    generator = torch.Generator()
    generator.manual_seed(seed + epoch)
    indices = torch.randperm(n, generator=generator)
    per_rank = -(-n // world)
    padding = per_rank * world - n
    if padding:
        indices = torch.cat([indices, indices.repeat(-(-padding // n))[:padding]])
    return indices[rank:per_rank * world:world]


def _fits(tensors, device) -> bool:
    """Whether the table fits on the device with room to spare for the model's work."""
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return sum(t.element_size() * t.nelement() for t in tensors) < free // 2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--checkpoint-dir", required=True)
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--target", default="target")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--hidden-units", type=int, default=64)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-path", choices=["device", "loader"],
                        default=os.environ.get("KFYAML_DDP_DATA_PATH", "device"))  # benchmarks and tests compare
    args = parser.parse_args()

    cuda = torch.cuda.is_available()
    dist.init_process_group(backend="nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local_rank}") if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)

    frame = pd.read_csv(args.data)
    if args.target not in frame.columns:
        raise SystemExit(f"no target column {args.target!r} in {args.data}")
    classes = sorted(frame[args.target].unique().tolist(), key=str)
    index = {c: i for i, c in enumerate(classes)}
    features = torch.tensor(frame.drop(columns=[args.target]).to_numpy(dtype="float32"))
    mean, std = features.mean(0), features.std(0).clamp_min(1e-6)
    features = (features - mean) / std
    labels = torch.tensor([index[c] for c in frame[args.target]], dtype=torch.long)
    dataset = TensorDataset(features, labels)

    torch.manual_seed(args.seed)
    net = nn.Sequential(nn.Linear(features.shape[1], args.hidden_units), nn.ReLU(),
                        nn.Linear(args.hidden_units, args.hidden_units), nn.ReLU(),
                        nn.Linear(args.hidden_units, len(classes))).to(device)
    fused = cuda and args.data_path == "device"  # one kernel for the whole update
    optimizer = torch.optim.Adam(net.parameters(), lr=args.learning_rate, **({"fused": True} if fused else {}))
    checkpoint = os.path.join(args.checkpoint_dir, "checkpoint.pt")
    start = 0
    if os.path.exists(checkpoint):
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start = state["epoch"] + 1
        if rank == 0:
            print(f"resuming from epoch {start} ({checkpoint})", flush=True)
    model = DistributedDataParallel(net, device_ids=[local_rank] if cuda else None)
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)
    on_device = args.data_path == "device" and _fits((features, labels), device)
    if on_device:
        table_x, table_y = features.to(device), labels.to(device)
    else:
        table_x = features.pin_memory() if cuda else features
        table_y = labels.pin_memory() if cuda else labels
    loss_fn = nn.CrossEntropyLoss()
    fail_after = int(os.environ.get("KFYAML_DDP_FAIL_AFTER_EPOCH", "-1"))  # tests: kill rank 0 after this epoch
    seconds, loss = [], float("nan")
    for epoch in range(start, args.epochs):
        began = time.time()
        sampler.set_epoch(epoch)
        model.train()
        loss_sum, rows = torch.zeros((), device=device), 0
        if args.data_path == "loader":
            batches = ((xb.to(device), yb.to(device)) for xb, yb in loader)
        else:
            mine = shard(len(labels), world, rank, args.seed, epoch)
            mine = mine.to(device) if on_device else mine
            batches = ((table_x[b], table_y[b]) if on_device else
                       (table_x[b].to(device, non_blocking=True), table_y[b].to(device, non_blocking=True))
                       for b in mine.split(args.batch_size))
        for xb, yb in batches:
            optimizer.zero_grad(set_to_none=True)
            batch_loss = loss_fn(model(xb), yb)
            batch_loss.backward()
            optimizer.step()
            loss_sum += batch_loss.detach() * len(yb)
            rows += len(yb)
        totals = torch.stack([loss_sum, torch.tensor(float(rows), device=device)])
        dist.all_reduce(totals)
        loss = float(totals[0] / totals[1])
        seconds.append(time.time() - began)
        if rank == 0:
            os.makedirs(args.checkpoint_dir, exist_ok=True)
            partial = checkpoint + ".partial"
            torch.save({"epoch": epoch, "model": net.state_dict(), "optimizer": optimizer.state_dict()}, partial)
            os.replace(partial, checkpoint)  # a kill mid-write never leaves a torn checkpoint
            print(json.dumps({"epoch": epoch, "loss": round(loss, 6), "seconds": round(seconds[-1], 3),
                              "world_size": world, "device": str(device)}), flush=True)
            # kfyaml's progress line (runner/progress_lines.py): `kfyaml run` shows it live and keeps it
            print("kfyaml:progress " + json.dumps({"epoch": epoch + 1, "epochs": args.epochs, "loss": round(loss, 6),
                                                   "rows_per_second": round(float(totals[1]) / seconds[-1], 1)}),
                  flush=True)
            if epoch == fail_after:
                os.kill(os.getpid(), signal.SIGKILL)
        dist.barrier()

    saved = rank == 0
    if saved:
        os.makedirs(args.model_dir, exist_ok=True)
        torch.save({"state_dict": net.state_dict(), "classes": classes, "mean": mean, "std": std,
                    "input_dim": features.shape[1], "hidden_units": args.hidden_units},
                   os.path.join(args.model_dir, "model.pt"))
        with open(args.metrics, "w") as fh:
            json.dump({"final_loss": loss, "epochs": args.epochs, "world_size": world,
                       "seconds_per_epoch": sum(seconds) / len(seconds) if seconds else 0.0,
                       "device": str(device), "backend": dist.get_backend()}, fh)
    debug = os.environ.get("KFYAML_DDP_DEBUG_DIR")  # tests: every rank records what it ended with
    if debug:
        flat = torch.cat([p.detach().flatten().cpu() for p in net.parameters()])
        with open(os.path.join(debug, f"rank-{rank}.json"), "w") as fh:
            json.dump({"rank": rank, "world": world, "saved_model": saved, "params": [round(float(v), 6) for v in flat[:64]],
                       "param_sum": float(flat.double().sum()), "model_files": sorted(os.listdir(args.model_dir))
                       if os.path.isdir(args.model_dir) else []}, fh)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
