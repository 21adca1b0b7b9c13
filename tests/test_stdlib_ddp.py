"""train_torch_ddp with world size 2 on CPU (gloo, torchrun --standalone).

Both ranks must end with identical parameters, only rank 0 may write the
model, and a run killed after an epoch must resume from its checkpoint.
"""

from __future__ import annotations

import json
import os

import pytest
import torch
from support.stdlib_helpers import artifact, write_dataset

from kfyaml.stdlib_steps.train_torch_ddp import train_torch_ddp

pytestmark = pytest.mark.slow  # end to end: runs pipelines, trains models or builds environments


def _run(tmp_path, name, monkeypatch, epochs=3, nodes=1, nproc=2, checkpoints="checkpoints", **env):
    debug = tmp_path / f"debug-{name}"
    debug.mkdir()
    monkeypatch.setenv("KFYAML_DDP_DEBUG_DIR", str(debug))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    data = artifact("dataset", tmp_path, "data.csv")
    data.path = str(write_dataset(tmp_path, "breast_cancer"))
    model, metrics = artifact("model", tmp_path, f"model-{name}"), artifact("metrics", tmp_path, f"metrics-{name}")
    out = train_torch_ddp(train=data, model=model, metrics=metrics, epochs=epochs, nproc_per_node=nproc, batch_size=32,
                          checkpoint_dir=str(tmp_path / checkpoints), seed=7, num_nodes=nodes)
    ranks = [json.loads((debug / f"rank-{r}.json").read_text()) for r in (0, 1)]
    return out, model, metrics, ranks


def test_two_ranks_train_the_same_model(tmp_path, monkeypatch):
    out, model, metrics, ranks = _run(tmp_path, "a", monkeypatch)
    assert out.world_size == 2
    assert ranks[0]["params"] == ranks[1]["params"]
    assert ranks[0]["param_sum"] == ranks[1]["param_sum"]
    assert [r["saved_model"] for r in ranks] == [True, False]      # rank 0 alone wrote
    assert os.listdir(model.path) == ["model.pt"]
    saved = torch.load(os.path.join(model.path, "model.pt"), weights_only=False)
    assert sorted(saved) == ["classes", "hidden_units", "input_dim", "mean", "state_dict", "std"]
    assert not any(k.startswith("module.") for k in saved["state_dict"])  # the module, not the DDP wrapper
    assert saved["classes"] == [0, 1]
    assert metrics.metadata["world_size"] == 2.0 and metrics.metadata["epochs"] == 3.0
    assert 0 < out.final_loss < 0.7


def test_killed_run_resumes_from_its_checkpoint(tmp_path, monkeypatch, capfd):
    with pytest.raises(RuntimeError, match=r"^torchrun exited with \d+; the processes' output is above$"):
        _run(tmp_path, "killed", monkeypatch, KFYAML_DDP_FAIL_AFTER_EPOCH="0")
    checkpoint = torch.load(tmp_path / "checkpoints" / "checkpoint.pt", weights_only=False)
    assert checkpoint["epoch"] == 0
    capfd.readouterr()
    monkeypatch.delenv("KFYAML_DDP_FAIL_AFTER_EPOCH")
    out, model, _, ranks = _run(tmp_path, "resumed", monkeypatch)
    printed = capfd.readouterr().out
    assert "resuming from epoch 1" in printed
    epochs_run = [json.loads(line)["epoch"] for line in printed.splitlines() if line.startswith('{"epoch"')]
    assert epochs_run == [1, 2]
    assert ranks[0]["param_sum"] == ranks[1]["param_sum"]
    assert torch.load(tmp_path / "checkpoints" / "checkpoint.pt", weights_only=False)["epoch"] == 2


def test_the_device_data_path_trains_exactly_as_the_dataloader_did(tmp_path, monkeypatch):
    """The fast path (table on the device, shards by index) is the same training, not an approximation."""
    (tmp_path / "fast").mkdir()
    (tmp_path / "loader").mkdir()
    _, _, _, fast = _run(tmp_path / "fast", "fast", monkeypatch)
    _, _, _, loader = _run(tmp_path / "loader", "loader", monkeypatch, KFYAML_DDP_DATA_PATH="loader")
    assert fast[0]["params"] == loader[0]["params"] and fast[0]["param_sum"] == loader[0]["param_sum"]


def test_two_nodes_of_one_process_train_exactly_as_one_node_of_two(tmp_path, monkeypatch):
    """Under `kfyaml run` (KFYAML_RUN=local) two torchrun agents meet at a c10d rendezvous on 127.0.0.1: world
    size 2 across nodes gives the parameters world size 2 on one node gives."""
    monkeypatch.setenv("KFYAML_RUN", "local")
    one, one_model, _, one_ranks = _run(tmp_path, "one-node", monkeypatch, nodes=1, nproc=2, checkpoints="c1")
    two, two_model, _, two_ranks = _run(tmp_path, "two-nodes", monkeypatch, nodes=2, nproc=1, checkpoints="c2")
    assert (two.world_size, one.world_size) == (2, 2)
    assert two.final_loss == one.final_loss
    assert sorted(r["param_sum"] for r in two_ranks) == sorted(r["param_sum"] for r in one_ranks)
    first = torch.load(os.path.join(one_model.path, "model.pt"), weights_only=False)["state_dict"]
    second = torch.load(os.path.join(two_model.path, "model.pt"), weights_only=False)["state_dict"]
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_a_failed_node_stops_the_others_and_resumes_from_the_checkpoint(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("KFYAML_RUN", "local")
    with pytest.raises(RuntimeError, match=r"^node \d's torchrun exited with \d+; the other nodes were stopped; "):
        _run(tmp_path, "killed", monkeypatch, nodes=2, nproc=1, KFYAML_DDP_FAIL_AFTER_EPOCH="0")
    assert torch.load(tmp_path / "checkpoints" / "checkpoint.pt", weights_only=False)["epoch"] == 0
    capfd.readouterr()
    monkeypatch.delenv("KFYAML_DDP_FAIL_AFTER_EPOCH")
    out, _, _, ranks = _run(tmp_path, "resumed", monkeypatch, nodes=2, nproc=1)
    assert "resuming from epoch 1" in capfd.readouterr().out
    assert out.world_size == 2 and ranks[0]["param_sum"] == ranks[1]["param_sum"]


def test_the_multi_node_example_trains_on_two_local_nodes_with_kfyaml_run(tmp_path):
    """examples/multi_node_training.yaml as a user runs it: its IR carries a TrainJob and a workspace path, and
    `kfyaml run` ignores both and starts two agents here."""
    from conftest import EXAMPLES
    from support.run_helpers import kfyaml_run

    code, result, stderr = kfyaml_run(EXAMPLES / "multi_node_training.yaml", tmp_path / "wd", "--param", "epochs=1")
    assert code == 0, stderr
    assert result["steps"]["train"]["outputs"]["world_size"] == 2
    log = open(result["steps"]["train"]["log"]).read()
    assert "train_torch_ddp: node 0 of 2:" in log and "train_torch_ddp: node 1 of 2:" in log
