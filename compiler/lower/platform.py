"""`kubernetes:` and `timeout:` as the PlatformSpec, field for field as kfp-kubernetes writes them.

A name read from a param (a secret, a config map, a PVC) is bound like any
other value the task reads, so it works in loops and conditions too.
"""

from __future__ import annotations

from ..model import Literal, Step, Template
from .channels import bind, source_of
from .state import Lowering, Scope


def platform(lw: Lowering, step: Step, scope: Scope) -> dict:
    """The step's PlatformSpec executor config; empty when it has none."""
    k = step.kubernetes
    out: dict = {}
    if step.timeout_s:
        out["activeDeadlineSeconds"] = str(step.timeout_s)

    def name_parameter(value) -> dict:
        if isinstance(value, Literal):
            return {"runtimeValue": {"constant": value.value}}
        binding, _ = bind(lw, scope, source_of(lw, value.whole))
        return binding

    def named(value, field: str) -> dict:
        entry = {f"{field}Parameter": name_parameter(value)}
        if isinstance(value, Literal):
            entry[field] = value.value
        return entry

    for sources, kind, key_field in ((k.secrets, "secret", "secretKey"), (k.config_maps, "configMap", "configMapKey")):
        for src in sources:
            if src.env:
                out.setdefault(f"{kind}AsEnv", []).append({
                    **named(src.name, f"{kind}Name"), "optional": src.optional,
                    "keyToEnv": [{key_field: key, "envVar": var} for var, key in src.env]})
            if src.mount:
                out.setdefault(f"{kind}AsVolume", []).append({
                    **named(src.name, f"{kind}Name"), "mountPath": src.mount, "optional": src.optional})
    for claim, mount, sub_path in k.volumes:
        entry = {"mountPath": mount, "pvcNameParameter": name_parameter(claim)}
        if sub_path:
            entry["subPath"] = sub_path
        if isinstance(claim, Literal):
            entry["constant"] = claim.value
        else:
            entry["componentInputParameter"] = entry["pvcNameParameter"]["componentInputParameter"]
        out.setdefault("pvcMount", []).append(entry)
    if k.shm_size:
        out["emptyDirMounts"] = [{"volumeName": "dshm", "mountPath": "/dev/shm", "medium": "Memory",
                                  "sizeLimit": k.shm_size}]
    if isinstance(k.node_selector, Template):  # KFP's add_node_selector_json
        out["nodeSelector"] = {"nodeSelectorJson": name_parameter(k.node_selector)}
    elif k.node_selector:
        out["nodeSelector"] = {"labels": dict(k.node_selector)}
    if isinstance(k.node_affinity, Template):  # KFP's add_node_affinity_json
        out["nodeAffinity"] = [{"nodeAffinityJson": name_parameter(k.node_affinity)}]
    elif k.node_affinity:
        out["nodeAffinity"] = [_affinity_term(t) for t in k.node_affinity]
    if k.tolerations:
        out["tolerations"] = [{"tolerationJson": name_parameter(t)} if isinstance(t, Template) else _toleration(t)
                              for t in k.tolerations]
    if k.image_pull_policy:
        out["imagePullPolicy"] = k.image_pull_policy
    if k.image_pull_secrets:
        out["imagePullSecret"] = [{"secretName": s, "secretNameParameter": {"runtimeValue": {"constant": s}}}
                                  for s in k.image_pull_secrets]
    return out


def _affinity_term(term: dict) -> dict:
    """A term as kfp-kubernetes' `add_node_affinity` writes it (the weight a Struct number)."""
    out: dict = {}
    for ours, field in (("expressions", "matchExpressions"), ("fields", "matchFields")):
        if term.get(ours):
            out[field] = [{"key": e["key"], "operator": e["operator"], **({"values": list(e["values"])} if e.get("values") else {})}
                          for e in term[ours]]
    if term.get("weight") is not None:
        out["weight"] = float(term["weight"])
    return out


def _toleration(t: dict) -> dict:
    out = {"operator": t["operator"]}
    for key in ("key", "value", "effect"):
        if t.get(key) is not None:
            out[key] = t[key]
    if t.get("seconds") is not None:
        out["tolerationSeconds"] = str(t["seconds"])
    return out
