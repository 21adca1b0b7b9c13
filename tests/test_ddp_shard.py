"""The DDP step's shards are DistributedSampler's, index for index (every size, world, rank, epoch)."""

from __future__ import annotations

import importlib.util

import torch
from conftest import ROOT
from torch.utils.data import TensorDataset
from torch.utils.data.distributed import DistributedSampler


def test_shards_are_distributed_samplers():
    spec = importlib.util.spec_from_file_location("ddp_worker", ROOT / "stdlib_steps" / "ddp_worker.py")
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)
    for n in (1, 3, 7, 10, 11, 1000):
        for world in (1, 2, 3, 4):
            for rank in range(world):
                for epoch in (0, 1, 5):
                    sampler = DistributedSampler(TensorDataset(torch.zeros(n)), num_replicas=world, rank=rank,
                                                 shuffle=True, seed=7)
                    sampler.set_epoch(epoch)
                    assert worker.shard(n, world, rank, 7, epoch).tolist() == list(sampler), (n, world, rank, epoch)
