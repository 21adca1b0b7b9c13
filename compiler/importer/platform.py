"""A task's PlatformSpec (kfp-kubernetes settings) back into `kubernetes:` and `timeout:`.

Field for field the inverse of compiler/lower/platform.py. A name read from
a param or a step output (`secretNameParameter`) is traced like any other
input; a field kfyaml has no key for is reported, never dropped.
"""

from __future__ import annotations

from .context import Frame, Importer
from .sources import binding_value, wrap

_KNOWN = {"nodeAffinity", "activeDeadlineSeconds", "secretAsEnv", "secretAsVolume", "configMapAsEnv", "configMapAsVolume",
          "pvcMount", "emptyDirMounts", "nodeSelector", "tolerations", "imagePullPolicy", "imagePullSecret"}


def settings(ctx: Importer, frame: Frame, label: str, path: tuple) -> dict:
    """`timeout` and `kubernetes` of a step whose executor is `label`."""
    config = ctx.ir.platform.get(label) or {}
    where = (1, "platforms", "kubernetes", "deploymentSpec", "executors", label)
    out: dict = {}
    k: dict = {}
    for field in sorted(set(config) - _KNOWN):
        ctx.problems.add(where + (field,), f"the kfp-kubernetes setting `{field}` has no kfyaml form yet")
    if "activeDeadlineSeconds" in config:
        out["timeout"] = int(config["activeDeadlineSeconds"])

    def name(entry: dict, field: str, at: tuple):
        param = entry.get(f"{field}Parameter")
        if param is None:
            return entry.get(field)
        return wrap(binding_value(ctx, frame, param, at))

    for kind, key_field, ours in (("secret", "secretKey", "secrets"), ("configMap", "configMapKey", "config_maps")):
        sources: dict = {}
        for i, entry in enumerate(config.get(f"{kind}AsEnv", [])):
            item = sources.setdefault(repr(name(entry, f"{kind}Name", where)), {"name": name(entry, f"{kind}Name", where + (f"{kind}AsEnv", i))})
            item.setdefault("env", {}).update({e["envVar"]: e[key_field] for e in entry.get("keyToEnv", [])})
            if entry.get("optional"):
                item["optional"] = True
        for i, entry in enumerate(config.get(f"{kind}AsVolume", [])):
            key = repr(name(entry, f"{kind}Name", where))
            item = sources.setdefault(key, {"name": name(entry, f"{kind}Name", where + (f"{kind}AsVolume", i))})
            if "mount" in item:
                ctx.problems.add(where + (f"{kind}AsVolume", i), f"one {kind} mounted at two paths")
            item["mount"] = entry.get("mountPath")
            if entry.get("optional"):
                item["optional"] = True
        if sources:
            k[ours] = list(sources.values())
    for i, entry in enumerate(config.get("pvcMount", [])):
        claim = entry.get("constant")
        if claim is None:
            param = entry.get("pvcNameParameter") or ({"componentInputParameter": entry["componentInputParameter"]}
                                                      if "componentInputParameter" in entry else None)
            claim = wrap(binding_value(ctx, frame, param, where + ("pvcMount", i))) if param else None
        volume = {"claim": claim, "mount": entry.get("mountPath")}
        if entry.get("subPath"):
            volume["sub_path"] = entry["subPath"]
        k.setdefault("volumes", []).append(volume)
    for i, entry in enumerate(config.get("emptyDirMounts", [])):
        if entry.get("mountPath") == "/dev/shm" and entry.get("medium") == "Memory":
            k["shm_size"] = entry.get("sizeLimit")
        else:
            ctx.problems.add(where + ("emptyDirMounts", i), "an emptyDir volume other than an in-memory /dev/shm")
    selector = config.get("nodeSelector")
    if selector:
        if "nodeSelectorJson" in selector:
            k["node_selector"] = wrap(binding_value(ctx, frame, selector["nodeSelectorJson"], where + ("nodeSelector",)))
        else:
            k["node_selector"] = dict(selector.get("labels", {}))
    for i, term in enumerate(config.get("nodeAffinity", [])):
        if "nodeAffinityJson" in term:
            if len(config["nodeAffinity"]) > 1:
                ctx.problems.add(where + ("nodeAffinity", i), "node affinity terms together with a JSON one: kfyaml takes one or the other")
            k["node_affinity"] = wrap(binding_value(ctx, frame, term["nodeAffinityJson"], where + ("nodeAffinity", i)))
            continue
        item: dict = {}
        for field, ours in (("matchExpressions", "expressions"), ("matchFields", "fields")):
            if term.get(field):
                item[ours] = [{key: e[key] for key in ("key", "operator", "values") if e.get(key)} for e in term[field]]
        if term.get("weight") is not None:
            item["weight"] = int(term["weight"])
        k.setdefault("node_affinity", []).append(item)
    for i, t in enumerate(config.get("tolerations", [])):
        if "tolerationJson" in t:
            k.setdefault("tolerations", []).append(wrap(binding_value(ctx, frame, t["tolerationJson"], where + ("tolerations", i))))
            continue
        item = {key: t[key] for key in ("key", "operator", "value", "effect") if t.get(key) not in (None, "")}
        if t.get("tolerationSeconds") is not None:
            item["seconds"] = int(t["tolerationSeconds"])
        k.setdefault("tolerations", []).append(item)
    if config.get("imagePullPolicy"):
        k["image_pull_policy"] = config["imagePullPolicy"]
    for i, entry in enumerate(config.get("imagePullSecret", [])):
        secret = entry.get("secretName")
        param = entry.get("secretNameParameter", {})
        if secret is None or ("runtimeValue" not in param and param):
            ctx.problems.add(where + ("imagePullSecret", i), "an image pull secret named by a param: kfyaml takes literal names")
            continue
        k.setdefault("image_pull_secrets", []).append(secret)
    if k:
        out["kubernetes"] = k
    return out
