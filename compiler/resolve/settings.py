"""Settings a step inherits (cache, retry, resources, env, timeout, kubernetes, debug_pause), and a whole run's.

A step's own settings override its group's, which override `defaults:`;
`resources`, `env` and `kubernetes` merge key by key, the others replace as
a whole. An error in an inherited setting is reported where it was written
(the step, a group, or `defaults:`), not at every step that inherits it.
"""

from __future__ import annotations

import math
from typing import Any

from ..codes import BAD_DURATION, BAD_RESOURCE, ENV_EXPRESSION, EXPRESSION_SYNTAX, MISPLACED_KEY
from ..expressions import has_expression
from ..load import Path
from ..model import Kubernetes, Resources, Retry, RunConfig, Source, Step, Template
from ..quantities import CPU, MEMORY, cpu_cores, duration_seconds, is_cpu, is_memory, memory_gb
from ..values import scalar_text, show
from . import debug_pause
from .context import Context

_INHERITED = ("cache", "retry", "resources", "env", "timeout", "kubernetes", "debug_pause")
_MERGED = ("resources", "env", "kubernetes")


def inherit(inherited: dict, spec: dict) -> dict:
    """Settings for a step: its own over its group's over `defaults:`."""
    out = dict(inherited)
    for key in _INHERITED:
        if key in spec:
            if key in _MERGED and isinstance(inherited.get(key), dict):
                out[key] = {**inherited[key], **spec[key]}
            else:
                out[key] = spec[key]
    return out


def _written_at(step: Step, key: str) -> Path:
    """Where an inherited setting was written: the step, a group, or `defaults:`."""
    for node in [step] + step.ancestors():
        if key in node.written:
            return node.path + (key,)
    return ("defaults", key)


def apply(ctx: Context, step: Step, s: dict, path: Path) -> None:
    """Set the step's settings from the merged `s`."""
    cache = s.get("cache", True)
    step.cache = cache is not False
    step.cache_key = cache.get("key") if isinstance(cache, dict) else None
    if "retry" in s:
        r = s["retry"]
        where = _written_at(step, "retry")
        backoff = duration(ctx, r.get("backoff", 0), where + ("backoff",))
        max_backoff = duration(ctx, r.get("max_backoff", 3600), where + ("max_backoff",))
        factor = float(r.get("factor", 2.0))
        if not math.isfinite(factor) or factor > MAX_FACTOR:
            ctx.error(where + ("factor",), BAD_DURATION, f"a backoff factor of {show(r.get('factor'))}; the largest "
                                                         f"that keeps waits meaningful is {MAX_FACTOR:g}")
            factor = 2.0
        step.retry = Retry(r.get("max", 0), backoff, factor, max_backoff)
    if "resources" in s:
        step.resources = resources(ctx, s["resources"], _written_at(step, "resources"))
    step.env = {}
    for name, value in (s.get("env") or {}).items():
        if isinstance(value, str) and has_expression(value):
            ctx.error(_written_at(step, "env") + (name,), ENV_EXPRESSION,
                      f'env "{name}" is an expression; KFP sets environment variables from literals only: '
                      "pass the value through `with:` and an input instead")
        step.env[name] = scalar_text(value)
    if "debug_pause" in s:  # after `env:`: KFP's set_debug_pause adds to the container's variables
        step.env.update(debug_pause.env(ctx, s["debug_pause"], _written_at(step, "debug_pause")))
    if "timeout" in s:
        seconds = duration(ctx, s["timeout"], _written_at(step, "timeout"))
        step.timeout_s = max(1, math.ceil(seconds))
    if "kubernetes" in s:
        step.kubernetes = kubernetes(ctx, s["kubernetes"], _written_at(step, "kubernetes"))


MAX_SECONDS = 315_576_000_000  # the longest protobuf Duration (10,000 years): KFP's backoff fields, and timeouts
MAX_FACTOR = 1000.0


def duration(ctx: Context, raw: Any, path: Path) -> float:
    seconds = duration_seconds(raw)
    if seconds is None:
        ctx.error(path, BAD_DURATION, f"{show(raw)} is not a duration; write seconds (`90`) or `30s`, `5m`, `2h`, `1d`")
        return 0
    if not math.isfinite(seconds) or seconds > MAX_SECONDS:
        ctx.error(path, BAD_DURATION, f"{show(raw)} is longer than any duration KFP accepts (at most "
                                      f"{MAX_SECONDS:,} seconds, 10,000 years)")
        return 0
    return seconds


def run_config(ctx: Context, spec: dict) -> RunConfig:
    """`pipeline_config:`, durations in whole seconds as Kubernetes counts them."""
    path = ("pipeline_config",)

    def seconds(key: str) -> int | None:
        if key not in spec:
            return None
        return math.ceil(duration(ctx, spec[key], path + (key,)))

    workspace = spec.get("workspace") or {}
    if workspace and not is_memory(str(workspace["size"])):
        ctx.error(path + ("workspace", "size"), BAD_RESOURCE, f'{show(workspace["size"])} is not a size Kubernetes '
                                                              "accepts; write a quantity such as `10Gi` or `500Mi`")
    return RunConfig(seconds("timeout"), seconds("ttl_after_finished"), seconds("ttl_after_success"),
                     seconds("ttl_after_failure"), workspace.get("size"), workspace.get("pvc_spec_patch"))


def kubernetes(ctx: Context, k: dict, path: Path) -> Kubernetes:
    def name(raw: str, where: Path):
        value = ctx.value(raw, where)
        if isinstance(value, Template) and value.whole is None:
            ctx.error(where, EXPRESSION_SYNTAX, "a name is either literal text or one expression, not a mix")
        return value

    def sources(key: str) -> tuple[Source, ...]:
        out = []
        for i, entry in enumerate(k.get(key, [])):
            where = path + (key, i)
            if "env" not in entry and "mount" not in entry:
                ctx.error(where, MISPLACED_KEY, f"`{key}` entry \"{entry['name']}\" needs `env:`, `mount:` or both")
            out.append(Source(name(entry["name"], where + ("name",)), tuple((entry.get("env") or {}).items()),
                              entry.get("mount"), bool(entry.get("optional", False))))
        return tuple(out)

    shm = k.get("shm_size")
    if shm is not None and not is_memory(str(shm)):
        ctx.error(path + ("shm_size",), BAD_RESOURCE, f'shm_size "{shm}" is not a memory amount; write a whole number '
                                                      "with an optional unit: 512Mi, 2Gi")
    return Kubernetes(
        node_selector=(ctx.template(k["node_selector"], path + ("node_selector",)) or ()
                       if isinstance(k.get("node_selector"), str) else tuple((k.get("node_selector") or {}).items())),
        node_affinity=(ctx.template(k["node_affinity"], path + ("node_affinity",)) or ()
                       if isinstance(k.get("node_affinity"), str) else tuple(k.get("node_affinity") or ())),
        tolerations=tuple(ctx.template(t, path + ("tolerations", i)) or {} if isinstance(t, str) else t
                          for i, t in enumerate(k.get("tolerations", []))),
        secrets=sources("secrets"),
        config_maps=sources("config_maps"),
        volumes=tuple((name(v["claim"], path + ("volumes", i, "claim")), v["mount"], v.get("sub_path"))
                      for i, v in enumerate(k.get("volumes", []))),
        shm_size=shm,
        image_pull_policy=k.get("image_pull_policy"),
        image_pull_secrets=tuple(k.get("image_pull_secrets", [])),
    )


def resources(ctx: Context, r: dict, path: Path) -> Resources:
    out: dict = {}
    for key, raw in r.items():  # `${{ params.x }}` values are checked by the types pass
        if isinstance(raw, str) and has_expression(raw):
            template = ctx.template(raw, path + (key,))
            if template is not None:
                out[key] = template
    literal = {k: v for k, v in r.items() if k not in out and not (isinstance(v, str) and has_expression(v))}
    for key in ("cpu", "cpu_request"):
        if key in literal:
            text = scalar_text(literal[key])
            if not is_cpu(text):
                ctx.error(path + (key,), BAD_RESOURCE,
                          f'{key} "{text}" is not a CPU amount; write cores (`2`, `0.5`) or millicores (`500m`)')
            out[key] = text
    for key in ("memory", "memory_request"):
        if key in literal:
            text = scalar_text(literal[key])
            if not is_memory(text):
                ctx.error(path + (key,), BAD_RESOURCE, f'{key} "{text}" is not a memory amount; write a whole number '
                                                       "with an optional unit: 512Mi, 8Gi, 2G")
            out[key] = text
    for key in ("gpu", "gpu_type"):
        if key in literal:
            out[key] = literal[key]
    if "gpu_type" in out and not out.get("gpu"):
        ctx.error(path + ("gpu_type",), BAD_RESOURCE, "gpu_type is set but gpu is not; set `gpu:` to the number of GPUs",
                  key=True)
    for limit, request, valid, amount in (("cpu", "cpu_request", CPU, cpu_cores), ("memory", "memory_request", MEMORY, memory_gb)):
        a, b = out.get(limit), out.get(request)
        if isinstance(a, str) and isinstance(b, str) and valid.match(a) and valid.match(b) and amount(b) > amount(a):
            ctx.error(path + (request,), BAD_RESOURCE, f"{request} {b} is more than the {limit} limit {a}")
    return Resources(**out)
