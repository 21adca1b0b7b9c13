"""Validate manifests against the real CRDs in tests/data/crds/ (their sources: the README there).

A CRD's openAPIV3Schema is JSON Schema plus `x-kubernetes-*` keywords. The
API server silently prunes fields a structural schema does not declare; here
such a field is an error instead (`additionalProperties: false` wherever the
schema does not preserve unknown fields), so a misspelt field fails the test.
"""

from __future__ import annotations

import functools

import jsonschema
import yaml
from conftest import DATA


def _strict(node):
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
        if node.get("type") == "object" and "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields") \
                and "additionalProperties" not in node:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@functools.cache
def validator(crd_file: str, version: str) -> jsonschema.Draft7Validator:
    crd = yaml.load((DATA / "crds" / crd_file).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    schema = next(v for v in crd["spec"]["versions"] if v["name"] == version)["schema"]["openAPIV3Schema"]
    return jsonschema.Draft7Validator(_strict(schema))


def problems(manifest: dict) -> list[str]:
    crd_file = {"TrainJob": "trainer.kubeflow.org_trainjobs.yaml",
                "InferenceService": "serving.kserve.io_inferenceservices.yaml"}[manifest["kind"]]
    version = manifest["apiVersion"].split("/")[1]
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validator(crd_file, version).iter_errors(manifest))
