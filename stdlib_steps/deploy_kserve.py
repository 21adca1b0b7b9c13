"""Serve a model with KServe: render, apply and wait for an InferenceService.

Renders a `serving.kserve.io/v1beta1` InferenceService whose predictor loads
the model from its storage URI (`predictor.model.modelFormat` and
`storageUri`; the model artifact's URI by default, which for train_sklearn is
a folder holding model.joblib, what KServe's sklearn server loads).

- `dry_run: true` renders the manifest (the `manifest` output) and, when the
  step runs on a cluster, has the API server validate it (server-side dry
  run) without changing anything.
- Otherwise the service is created, or patched when it exists; the previous
  spec is kept as the `previous` artifact for a manual rollback. The step
  waits until the service is Ready and outputs its URL.
- `canary_traffic_percent` (1-99) sends that share of traffic to the new
  revision and the rest to the previous one.
- When the new revision does not become Ready in time, the previous spec is
  restored (or the new service deleted) and the step fails.

Args:
    model: The model to serve.
    manifest: The rendered InferenceService, as YAML.
    previous: The spec that was replaced (empty when the service is new).
    service_name: The InferenceService's name.
    namespace: Its namespace (default: this pod's namespace).
    model_format: KServe model format: sklearn, xgboost, pytorch, onnx, ...
    storage_uri: Where KServe loads the model from (default: the model artifact's URI).
    dry_run: Render and validate only.
    canary_traffic_percent: Share of traffic for the new revision (0: all of it).
    min_replicas: Fewest predictor replicas.
    max_replicas: Most predictor replicas (0: KServe's default).
    service_account: Service account with access to the storage, if needed.
    timeout_seconds: How long to wait for Ready.

Returns:
    url: The service's URL (empty for a dry run).
    applied: Whether the cluster was changed.
"""

from typing import NamedTuple

from kfp.dsl import Artifact, Input, Model, Output

VERSION = "1.0.0"
PACKAGES = ["kubernetes>=28.1", "PyYAML>=6.0"]


def deploy_kserve(
    model: Input[Model],
    manifest: Output[Artifact],
    previous: Output[Artifact],
    service_name: str,
    namespace: str = "",
    model_format: str = "sklearn",
    storage_uri: str = "",
    dry_run: bool = False,
    canary_traffic_percent: int = 0,
    min_replicas: int = 1,
    max_replicas: int = 0,
    service_account: str = "",
    timeout_seconds: int = 600,
) -> NamedTuple("Outputs", [("url", str), ("applied", bool)]):
    import collections

    import yaml

    if not 0 <= canary_traffic_percent < 100:
        raise ValueError(f"canary_traffic_percent must be 0 (no canary) to 99, not {canary_traffic_percent}")
    namespace = namespace or _pod_namespace()
    rendered = render_inferenceservice(service_name, namespace, model_format, storage_uri or model.uri,
                                       canary_traffic_percent, min_replicas, max_replicas, service_account)
    with open(manifest.path, "w") as fh:
        yaml.safe_dump(rendered, fh, sort_keys=False)
    with open(previous.path, "w") as fh:
        fh.write("")
    print(yaml.safe_dump(rendered, sort_keys=False), flush=True)
    outputs = collections.namedtuple("Outputs", ["url", "applied"])
    api = _custom_objects_api(required=not dry_run)
    if dry_run:
        if api is not None:
            _apply(api, rendered, namespace, service_name, dry_run=True)
            print("deploy_kserve: server-side dry run accepted the InferenceService")
        else:
            print("deploy_kserve: dry run without a cluster: manifest rendered only")
        return outputs("", False)
    before = _apply(api, rendered, namespace, service_name, dry_run=False)
    if before is not None:
        with open(previous.path, "w") as fh:
            yaml.safe_dump(before, fh, sort_keys=False)
    try:
        url = _wait_ready(api, namespace, service_name, timeout_seconds)
    except RuntimeError:
        _roll_back(api, namespace, service_name, before)
        raise
    print(f"deploy_kserve: {namespace}/{service_name} is ready at {url}")
    return outputs(url, True)


def render_inferenceservice(name: str, namespace: str, model_format: str, storage_uri: str,
                            canary_traffic_percent: int = 0, min_replicas: int = 1, max_replicas: int = 0,
                            service_account: str = "") -> dict:
    """The InferenceService manifest: a predictor that loads `storage_uri` as `model_format`."""
    predictor = {"model": {"modelFormat": {"name": model_format}, "storageUri": storage_uri},
                 "minReplicas": min_replicas}
    if max_replicas:
        predictor["maxReplicas"] = max_replicas
    if canary_traffic_percent:
        predictor["canaryTrafficPercent"] = canary_traffic_percent
    if service_account:
        predictor["serviceAccountName"] = service_account
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "kfyaml"}},
            "spec": {"predictor": predictor}}


def _pod_namespace() -> str:
    import os

    path = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
    return open(path).read().strip() if os.path.exists(path) else "default"


def _custom_objects_api(required: bool):
    """The API client, from the pod's service account or a kubeconfig; None when there is no cluster."""
    import os

    from kubernetes import client, config

    try:
        config.load_incluster_config()
    except config.ConfigException:
        try:  # the client reads KUBECONFIG when imported; read it now
            config.load_kube_config(config_file=os.environ.get("KUBECONFIG"))
        except (config.ConfigException, FileNotFoundError, TypeError):
            if required:
                raise RuntimeError("no Kubernetes cluster to deploy to: not in a pod and no kubeconfig") from None
            return None
    return client.CustomObjectsApi()


_GROUP, _VERSION, _PLURAL = "serving.kserve.io", "v1beta1", "inferenceservices"


def _apply(api, manifest: dict, namespace: str, name: str, dry_run: bool):
    """Create or patch; returns the spec that was there before (None when the service is new)."""
    from kubernetes.client.rest import ApiException

    extra = {"dry_run": "All"} if dry_run else {}
    try:
        existing = api.get_namespaced_custom_object(_GROUP, _VERSION, namespace, _PLURAL, name)
    except ApiException as exc:
        if exc.status != 404:
            raise
        api.create_namespaced_custom_object(_GROUP, _VERSION, namespace, _PLURAL, manifest, **extra)
        return None
    api.patch_namespaced_custom_object(_GROUP, _VERSION, namespace, _PLURAL, name, {"spec": manifest["spec"]}, **extra)
    return {"apiVersion": manifest["apiVersion"], "kind": manifest["kind"],
            "metadata": {"name": name, "namespace": namespace}, "spec": existing.get("spec", {})}


def _wait_ready(api, namespace: str, name: str, timeout_seconds: int) -> str:
    import os
    import time

    deadline = time.monotonic() + timeout_seconds
    message = "no status yet"
    while time.monotonic() < deadline:
        service = api.get_namespaced_custom_object(_GROUP, _VERSION, namespace, _PLURAL, name)
        status = service.get("status") or {}
        ready = next((c for c in status.get("conditions", []) if c.get("type") == "Ready"), None)
        if ready and ready.get("status") == "True":
            return status.get("url", "")
        if ready:
            message = ready.get("message") or ready.get("reason") or message
        time.sleep(float(os.environ.get("KFYAML_POLL_SECONDS", "5")))
    raise RuntimeError(f"InferenceService {namespace}/{name} was not Ready after {timeout_seconds}s: {message}")


def _roll_back(api, namespace: str, name: str, before):
    if before is None:
        api.delete_namespaced_custom_object(_GROUP, _VERSION, namespace, _PLURAL, name)
        print(f"deploy_kserve: deleted {namespace}/{name}, which never became ready")
    else:  # replace, not patch: a merge patch would keep fields the failed spec added
        current = api.get_namespaced_custom_object(_GROUP, _VERSION, namespace, _PLURAL, name)
        current["spec"] = before["spec"]
        api.replace_namespaced_custom_object(_GROUP, _VERSION, namespace, _PLURAL, name, current)
        print(f"deploy_kserve: rolled {namespace}/{name} back to its previous spec")
