"""Train a tabular classifier with PyTorch DistributedDataParallel.

On one node (`num_nodes: 1`) the step starts `torchrun --standalone
--nproc_per_node=N` inside its own pod (N: `nproc_per_node`, or one process per
GPU, or per CPU core without GPUs). Each process trains on its shard of the
rows (DistributedSampler, reshuffled every epoch with `set_epoch`), NCCL on
GPUs and gloo on CPUs. After every epoch rank 0 writes a checkpoint; a
restarted step (a KFP retry) resumes from the last one when `checkpoint_dir`
is on storage that outlives the pod. Rank 0 alone saves the trained weights
(the unwrapped module's state_dict, never the DDP wrapper).

Under `kfyaml run` (which sets KFYAML_RUN=local), `num_nodes` > 1 starts that
many torchrun agents on this machine, meeting at a c10d rendezvous on 127.0.0.1
as a cluster's nodes would: the same world size gives the same training, so a
laptop tests what the cluster runs. In a cluster, with `num_nodes` > 1 the step
does not schedule pods itself: it hands the job to Kubeflow Trainer v2 (v2.2
or later: it reads the cluster's TrainJob CRD first and refuses an older one).
`kfyaml compile` renders the TrainJob (`trainer.kubeflow.org/v1alpha1`, checked
against Trainer v2.3's CRD) into the step's `trainjob` input: each node gets the
step's `resources:`, and the step's own pod, which only follows the job, a
little CPU and no GPU. The step names the job, adds its command and the volume
the nodes share, creates it with the Kubernetes client, follows node 0's logs,
waits for `Complete` or `Failed` (or the timeout), deletes the TrainJob when
the run is cancelled, and copies the model rank 0 saved. The data and the model
travel through the run's workspace (`pipeline_config: {workspace: {size: 20Gi}}`,
ReadWriteMany), or through a claim you name: mount it on this step
(`kubernetes: {volumes: [{claim: C, mount: /mnt/shared}]}`) and pass
`shared_volume_claim: C`.

What compile renders is in the IR for review: the image, runtime, `numNodes`
and `numProcPerNode` (when written as numbers), each node's resources, the node
selector, the tolerations and the queue label; a field Trainer's CRD would
refuse is a KY318 error at its line. So these must be values, not expressions:
`trainer_image`, `runtime`, `node_selector`, `tolerations`, `queue_name`,
`shared_volume_claim` and `resources:`; `num_nodes` and `nproc_per_node` may
come from params (the step then sets them when it runs, and with `num_nodes`
from a param the step's pod keeps its resources, since a run with 1 trains
there). The run adds the job's name and namespace, the torchrun command and the
shared volume. The API is Trainer v2.3's (`runtimePatches`, which v2.2
introduced); a cluster with v2.1 (`podTemplateOverrides`) is refused before
anything is created.

The step asks for one GPU and a 2Gi in-memory /dev/shm by default; override
with `resources:` and `kubernetes:` on the step.

After every epoch rank 0 prints a `kfyaml:progress` line (epoch, loss, rows
per second), which `kfyaml run` shows live and keeps in the run folder. To try two
nodes here and then train again without preparing the data again:
`kfyaml run examples/multi_node_training.yaml`, then
`kfyaml run examples/multi_node_training.yaml --only train` (the `preprocess`
outputs come from the last run; `--from train` also runs what follows).

Args:
    train: Training rows as CSV, with the target column; other columns numeric.
    model: The trained network: a folder with model.pt (state_dict and metadata).
    metrics: Final loss, epochs, world size and seconds per epoch.
    target_column: The column to predict.
    epochs: Passes over the data.
    batch_size: Rows per batch, per process.
    learning_rate: Adam's learning rate.
    hidden_units: Width of the two hidden layers.
    nproc_per_node: Processes per node (0: one per GPU, or per CPU core).
    checkpoint_dir: Where to checkpoint and resume from (default: a folder beside the model).
    seed: Seed for the weights and the shuffling.
    num_nodes: Nodes to train on. Under `kfyaml run`, that many torchrun agents on this machine (a c10d
        rendezvous on 127.0.0.1); in a cluster, above 1, Kubeflow Trainer runs the job, each node with the
        step's `resources:`.
    namespace: Namespace of the TrainJob (default: this pod's namespace).
    trainer_image: Image of the TrainJob's nodes (needs torch and pandas).
    runtime: The ClusterTrainingRuntime to use.
    shared_volume_claim: PVC mounted on this step and on every node, for data and model (default: the run's
        workspace).
    shared_mount_path: Where this step mounts that claim.
    timeout_seconds: How long to wait for the TrainJob.
    node_selector: Node labels the TrainJob's nodes must have, e.g. {gpu-type: h100} (the cluster only).
    tolerations: Taints the TrainJob's nodes tolerate, as Kubernetes writes tolerations (the cluster only).
    queue_name: A Kueue LocalQueue for the TrainJob (the `kueue.x-k8s.io/queue-name` label); empty: none.
    trainjob: Set by `kfyaml compile`: the TrainJob it rendered (never written in `with:`).
    workspace_path: Set by `kfyaml compile`: where the run's workspace is mounted, when the nodes share it.

Returns:
    final_loss: Mean training loss of the last epoch, across all processes.
    world_size: Processes that trained.
"""

from typing import NamedTuple

from kfp.dsl import Dataset, Input, Metrics, Model, Output

VERSION = "1.2.0"
PACKAGES = ["pandas>=2.0", "kubernetes>=28.1"]
IMAGE = "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"
SETTINGS = {"resources": {"gpu": 1, "cpu": "4", "memory": "16Gi"}, "kubernetes": {"shm_size": "2Gi"}}

# The program every process runs, under torchrun (here) or under the TrainJob's torchrun: ddp_worker.py.
WORKER = ""  # tools/build_stdlib.py puts ddp_worker.py's text here in the component it builds


def _worker() -> str:
    """The worker program: embedded in the built component, read from ddp_worker.py beside this file otherwise."""
    if WORKER:
        return WORKER
    from importlib import resources

    return resources.files("kfyaml.stdlib_steps").joinpath("ddp_worker.py").read_text("utf-8")


def train_torch_ddp(
    train: Input[Dataset],
    model: Output[Model],
    metrics: Output[Metrics],
    target_column: str = "target",
    epochs: int = 10,
    batch_size: int = 64,
    learning_rate: float = 0.001,
    hidden_units: int = 64,
    nproc_per_node: int = 0,
    checkpoint_dir: str = "",
    seed: int = 42,
    num_nodes: int = 1,
    namespace: str = "",
    trainer_image: str = "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime",
    runtime: str = "torch-distributed",
    shared_volume_claim: str = "",
    shared_mount_path: str = "/mnt/shared",
    timeout_seconds: int = 86400,
    node_selector: dict = None,
    tolerations: list = None,
    queue_name: str = "",
    trainjob: dict = None,
    workspace_path: str = "",
) -> NamedTuple("Outputs", [("final_loss", float), ("world_size", int)]):
    import collections
    import json
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    if epochs < 1 or batch_size < 1:
        raise ValueError("epochs and batch_size must be at least 1")
    work = tempfile.mkdtemp(prefix="ddp-")
    result = os.path.join(work, "metrics.json")
    worker_args = ["--target", target_column, "--epochs", str(epochs), "--batch-size", str(batch_size),
                   "--learning-rate", str(learning_rate), "--hidden-units", str(hidden_units), "--seed", str(seed)]

    if num_nodes < 1:
        raise ValueError("num_nodes must be at least 1")
    local = os.environ.get("KFYAML_RUN") == "local"  # `kfyaml run` sets it for the steps it starts
    if num_nodes > 1 and not local:
        # trainer_image, runtime, node_selector, tolerations and queue_name are in the compiled `trainjob`
        _run_trainjob(train.path, model.path, result, worker_args, trainjob, num_nodes, nproc_per_node, namespace,
                      shared_volume_claim, shared_mount_path, workspace_path, timeout_seconds)
    else:
        import torch

        nproc = nproc_per_node or torch.cuda.device_count() or (os.cpu_count() or num_nodes) // num_nodes or 1
        script = os.path.join(work, "worker.py")
        with open(script, "w") as fh:
            fh.write(_worker())
        program = [script, "--data", train.path, "--model-dir", model.path, "--metrics", result,
                   "--checkpoint-dir", checkpoint_dir or model.path.rstrip("/") + ".checkpoints"] + worker_args
        if num_nodes > 1:
            _run_local_nodes(num_nodes, nproc, program)
        else:
            command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
            print("train_torch_ddp:", " ".join(command + program), flush=True)  # torchrun is torch.distributed.run
            finished = subprocess.run(command + program)
            if finished.returncode != 0:
                raise RuntimeError(f"torchrun exited with {finished.returncode}; the processes' output is above")
    with open(result) as fh:
        figures = json.load(fh)
    for name in ("final_loss", "epochs", "world_size", "seconds_per_epoch"):
        metrics.log_metric(name, float(figures[name]))
    model.metadata.update({"framework": "pytorch", "world_size": figures["world_size"], "device": figures["device"]})
    shutil.rmtree(work, ignore_errors=True)
    return collections.namedtuple("Outputs", ["final_loss", "world_size"])(figures["final_loss"], figures["world_size"])


def _run_local_nodes(num_nodes: int, nproc: int, program: list) -> None:
    """`num_nodes` torchrun agents on 127.0.0.1, meeting at one c10d rendezvous as a cluster's nodes would: each
    agent starts `nproc` workers with the RANK, LOCAL_RANK, GROUP_RANK and WORLD_SIZE torchrun gives them. When an
    agent fails the others are stopped at once (their workers would wait on a dead peer), and the step fails."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import uuid

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    job = f"kfyaml-{uuid.uuid4().hex[:12]}"
    # One machine stands for several: each worker gets its share of the cores, as on its own node (torchrun
    # sets OMP_NUM_THREADS=1 only for several workers per agent; two agents of one would oversubscribe the CPU).
    threads = str(max(1, (os.cpu_count() or 1) // (num_nodes * nproc)))
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", threads)}
    agents = []
    for node in range(num_nodes):
        command = [sys.executable, "-m", "torch.distributed.run", f"--nnodes={num_nodes}", f"--nproc_per_node={nproc}",
                   "--rdzv_backend=c10d", f"--rdzv_endpoint=127.0.0.1:{port}", f"--rdzv_id={job}",
                   "--max_restarts=0"] + program
        print(f"train_torch_ddp: node {node} of {num_nodes}:", " ".join(command), flush=True)
        agents.append(subprocess.Popen(command, env=env))
    failed = None
    while failed is None and any(agent.poll() is None for agent in agents):
        failed = next((i for i, agent in enumerate(agents) if agent.poll() not in (None, 0)), None)
        time.sleep(0.2)
    failed = failed if failed is not None else next((i for i, a in enumerate(agents) if a.returncode != 0), None)
    if failed is not None:
        for agent in agents:
            if agent.poll() is None:
                agent.terminate()
        for agent in agents:
            try:
                agent.wait(timeout=30)
            except subprocess.TimeoutExpired:
                agent.kill()
        raise RuntimeError(f"node {failed}'s torchrun exited with {agents[failed].returncode}; the other nodes were "
                           "stopped; the processes' output is above")


def _run_trainjob(data, model_dir, result, worker_args, manifest, num_nodes, nproc_per_node, namespace, claim, mount,
                  workspace_path, timeout_seconds):
    """Hand the compiled TrainJob to Kubeflow Trainer, follow it, and collect what rank 0 saved on the shared volume.
    Whatever ends this step early (a cancelled run's SIGTERM, Ctrl-C, an error, the timeout) deletes the job first."""
    import copy
    import os
    import shlex
    import shutil
    import signal
    import time
    import uuid

    from kubernetes import client, config

    if not manifest:
        raise ValueError("num_nodes > 1 on a cluster runs the TrainJob that `kfyaml compile` renders into the "
                         "`trainjob` input, and this task has none: compile the pipeline with kfyaml")
    if not claim and not workspace_path:
        raise ValueError("num_nodes > 1 needs a volume the nodes share, for data and model: give the pipeline a "
                         "workspace (pipeline_config: {workspace: {size: 20Gi}}) or pass shared_volume_claim")
    here = mount if claim else workspace_path
    if not os.path.isdir(here):
        raise ValueError(f"{mount} is not mounted in this step: add kubernetes: {{volumes: [{{claim: {claim}, "
                         f"mount: {mount}}}]}} to the step" if claim else f"the run's workspace {here} is not mounted")
    try:
        config.load_incluster_config()
    except config.ConfigException:  # the client reads KUBECONFIG when imported; read it now
        config.load_kube_config(config_file=os.environ.get("KUBECONFIG"))
    if not namespace:
        path = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
        namespace = open(path).read().strip() if os.path.exists(path) else "default"
    core = client.CoreV1Api()
    claim = claim or _workspace_claim(core, namespace)
    name = f"kfyaml-ddp-{uuid.uuid4().hex[:10]}"
    job_dir = os.path.join(here, name)
    os.makedirs(job_dir)
    shutil.copy(data, os.path.join(job_dir, "train.csv"))
    with open(os.path.join(job_dir, "worker.py"), "w") as fh:
        fh.write(_worker())
    node_dir = f"/mnt/shared/{name}"
    run = ["torchrun", f"{node_dir}/worker.py", "--data", f"{node_dir}/train.csv", "--model-dir", f"{node_dir}/model",
           "--checkpoint-dir", f"{node_dir}/checkpoints", "--metrics", f"{node_dir}/metrics.json"] + worker_args
    manifest = copy.deepcopy(manifest)  # as compile rendered it; the run adds its name, command and volume
    manifest["metadata"].update(name=name, namespace=namespace)
    trainer = manifest["spec"]["trainer"]
    trainer["numNodes"] = num_nodes
    if nproc_per_node:
        trainer["numProcPerNode"] = nproc_per_node
    trainer["command"] = ["bash", "-c", "pip install --quiet pandas && exec " + shlex.join(run)]
    pod = _node_pod(manifest)
    pod.setdefault("volumes", []).append({"name": "shared", "persistentVolumeClaim": {"claimName": claim}})
    pod.setdefault("containers", []).append({"name": "node", "volumeMounts": [{"name": "shared",
                                                                                "mountPath": "/mnt/shared"}]})
    _check_trainer(client)
    api = client.CustomObjectsApi()
    trainjobs = ("trainer.kubeflow.org", "v1alpha1", namespace, "trainjobs")
    api.create_namespaced_custom_object(*trainjobs, manifest)
    print(f"train_torch_ddp: created TrainJob {namespace}/{name} ({num_nodes} nodes)", flush=True)

    def stop(signum, frame):
        raise SystemExit(128 + signum)  # unwinds to the cleanup below

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    deadline = time.monotonic() + timeout_seconds
    printed = 0
    state = None
    try:
        while time.monotonic() < deadline:
            job = api.get_namespaced_custom_object(*trainjobs, name)
            conditions = {c.get("type"): c for c in (job.get("status") or {}).get("conditions", [])}
            printed = _print_node0_logs(core, namespace, name, printed)
            for kind in ("Complete", "Failed"):
                if conditions.get(kind, {}).get("status") == "True":
                    state = (kind, conditions[kind].get("message", ""))
            if state:
                break
            time.sleep(float(os.environ.get("KFYAML_POLL_SECONDS", "10")))
        if state is None:
            raise TimeoutError(f"TrainJob {name} did not finish within {timeout_seconds}s; it was deleted")
    except BaseException as exc:
        api.delete_namespaced_custom_object(*trainjobs, name)
        why = "the step was stopped" if isinstance(exc, SystemExit) else "the step failed"
        print(f"train_torch_ddp: {why}; deleted TrainJob {namespace}/{name}", flush=True)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if state[0] == "Failed":
        raise RuntimeError(f"TrainJob {name} failed: {state[1]}")
    shutil.copytree(os.path.join(job_dir, "model"), model_dir, dirs_exist_ok=True)
    shutil.copy(os.path.join(job_dir, "metrics.json"), result)


def _node_pod(manifest: dict) -> dict:
    """The pod spec of the TrainJob's nodes in kfyaml's runtime patch (made here when compile wrote none)."""
    patches = manifest["spec"].setdefault("runtimePatches", [])
    patch = next((p for p in patches if p.get("manager") == "kfyaml"), None)
    if patch is None:
        patch = {"manager": "kfyaml", "trainingRuntimeSpec": {"template": {"spec": {"replicatedJobs": [
            {"name": "node", "template": {"spec": {"template": {"spec": {}}}}}]}}}}
        patches.append(patch)
    return patch["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]


def _workspace_claim(core, namespace: str) -> str:
    """The PVC of the run's workspace: KFP mounts it on this pod as the `kfp-workspace` volume; its name
    (`<workflow>-kfp-workspace`) is known only to the run."""
    import os

    pod = core.read_namespaced_pod(os.environ.get("HOSTNAME", ""), namespace)
    for volume in pod.spec.volumes or []:
        if volume.name == "kfp-workspace" and volume.persistent_volume_claim is not None:
            return volume.persistent_volume_claim.claim_name
    raise RuntimeError("this pod has no kfp-workspace volume, so the TrainJob's nodes cannot share the run's "
                       "workspace (KFP 2.14 or later mounts it); or pass shared_volume_claim")


def _check_trainer(client) -> None:
    """The cluster's Trainer must take what `kfyaml compile` renders: `runtimePatches` came in Trainer v2.2 (v2.1 had
    `podTemplateOverrides`); the patch names the runtime's own `node` job, which v2.2 and v2.3 merge alike."""
    import json

    try:
        raw = client.ApiextensionsV1Api().read_custom_resource_definition("trainjobs.trainer.kubeflow.org",
                                                                         _preload_content=False)
    except client.ApiException as exc:
        if exc.status == 404:
            raise RuntimeError("Kubeflow Trainer is not installed on this cluster (no TrainJob CRD): install Trainer "
                               "v2.2 or later, or train on one node (num_nodes: 1)") from None
        if exc.status in (401, 403):
            print("train_torch_ddp: this step may not read CustomResourceDefinitions; assuming Kubeflow Trainer v2.2 "
                  "or later", flush=True)
            return
        raise
    crd = json.loads(raw.data)
    spec = {}
    for version in crd.get("spec", {}).get("versions", []):
        if version.get("name") == "v1alpha1":
            spec = version.get("schema", {}).get("openAPIV3Schema", {}).get("properties", {}).get("spec", {})
    fields = spec.get("properties", {})
    if "runtimePatches" not in fields:
        had = "podTemplateOverrides, as Trainer v2.1 has" if "podTemplateOverrides" in fields else "no runtimePatches"
        raise RuntimeError(f"this cluster's Kubeflow Trainer is older than v2.2 (its TrainJob has {had}); "
                           "train_torch_ddp writes TrainJobs for Trainer v2.2 and later (runtimePatches): upgrade "
                           "Trainer, deleting its old CRDs first as its chart does not replace them")


def _print_node0_logs(core, namespace, name, printed):
    """Print what node 0 logged since the last call; returns how much has been printed."""
    pods = core.list_namespaced_pod(namespace, label_selector=f"jobset.sigs.k8s.io/jobset-name={name},"
                                                              "batch.kubernetes.io/job-completion-index=0")
    if not pods.items:
        return printed
    try:
        log = core.read_namespaced_pod_log(pods.items[0].metadata.name, namespace)
    except Exception:  # the container may not have started yet
        return printed
    if len(log) > printed:
        print(log[printed:], end="", flush=True)
    return len(log)
