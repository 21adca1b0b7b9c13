"""A step's Kubernetes settings (its PlatformSpec) on this machine.

`timeout` is enforced as the pod's deadline would be. Secrets and config maps
read as environment variables get their values from what the user gave
(`--secret NAME=FILE`, `--config-map NAME=FILE`, env files of `KEY=VALUE`
lines) or, failing that, from a variable of the same name in kfyaml's own
environment. Mounts are links: a claim mapped with `--volume CLAIM=DIR` is
linked at its mount path to DIR, a mapped secret or config map has its keys
written as files (readable by the user alone) into the run's folder, linked at
its mount path (see `mounts`). What has no local counterpart (an unmapped
mount, a node selector) is said once per run, never dropped silently. Secret
values go into the step's environment and files only: never into a log or the IR.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

_UNMAPPED = {"emptyDirMounts": "emptyDir mounts (/dev/shm)", "nodeSelector": "node selectors", "nodeAffinity": "node affinity", "tolerations": "tolerations",
             "imagePullSecret": "image pull secrets", "imagePullPolicy": "image pull policies"}


class LocalValueError(ValueError):
    """A --secret or --config-map file that cannot be read; the message says which and why."""


def read_env_file(path: str) -> dict[str, str]:
    """`KEY=VALUE` lines (blank lines and `#` comments skipped; quotes around a value dropped)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise LocalValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    out = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise LocalValueError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value
    return out


@dataclasses.dataclass(frozen=True)
class Local:
    """What the user mapped: secret and config map names to their keys' values."""

    secrets: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    config_maps: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    environ: dict[str, str] = dataclasses.field(default_factory=dict)
    volumes: dict[str, str] = dataclasses.field(default_factory=dict)  # claim -> local folder


@dataclasses.dataclass(frozen=True)
class StepPlatform:
    timeout_s: float | None
    env: tuple[tuple[str, str], ...]
    links: tuple[tuple[str, str], ...]  # (mount path, local folder)


def settings(config: dict, params: dict, local: Local, note_once: Callable[[str, str], None],
             files_dir: Path) -> StepPlatform:
    """The step's timeout, the environment variables its secrets and config maps give, and its mounts
    as links to local folders (mapped secrets' and config maps' files written under `files_dir`)."""
    timeout = float(config["activeDeadlineSeconds"]) if config.get("activeDeadlineSeconds") else None
    env: dict[str, str] = {}
    links: list[tuple[str, str]] = []
    for entry in config.get("pvcMount", []):
        claim = _claim(entry, params)
        if claim in local.volumes:  # `subPath`: that folder inside the volume (made when missing, as Kubernetes does)
            folder = local.volumes[claim]
            if entry.get("subPath"):
                folder = os.path.join(folder, entry["subPath"])
                os.makedirs(folder, exist_ok=True)
            links.append((entry["mountPath"], folder))
        else:
            note_once(f"pvc-{claim}", f"the volume claim {claim!r} (mounted at {entry.get('mountPath')}) is not "
                                      f"mapped here; give it a folder with --volume {claim}=DIR")
    for field, kind, known in (("secretAsVolume", "secret", local.secrets),
                               ("configMapAsVolume", "config map", local.config_maps)):
        for entry in config.get(field, []):
            name = _name(entry, "secretName" if kind == "secret" else "configMapName", params)
            if name in known:
                links.append((entry["mountPath"], _written(files_dir / f"{kind.replace(' ', '-')}-{name}", known[name])))
            elif not entry.get("optional"):
                note_once(f"{field}-{name}", f"the {kind} {name!r} (mounted at {entry.get('mountPath')}) is not "
                                             f"mapped here; give its keys with --{kind.replace(' ', '-')} {name}=FILE")
    for field, kind, key_field, known in (("secretAsEnv", "secret", "secretKey", local.secrets),
                                          ("configMapAsEnv", "config map", "configMapKey", local.config_maps)):
        for entry in config.get(field, []):
            name = _name(entry, "secretName" if kind == "secret" else "configMapName", params)
            values = known.get(name)
            for pair in entry.get("keyToEnv", []):
                var, key = pair["envVar"], pair[key_field]
                if values is not None and key in values:
                    env[var] = values[key]
                elif var in local.environ:
                    note_once(f"{kind}-environ", f"{kind} values not given with --{kind.replace(' ', '-')} are taken "
                                                 f"from variables of the same name in this environment ({var}, ...)")
                elif not entry.get("optional"):
                    note_once(f"{kind}-{name}-{key}", f"{kind} {name!r} has no key {key!r} here (for {var}); give it "
                                                      f"with --{kind.replace(' ', '-')} {name}=FILE or set {var}")
    for field, what in _UNMAPPED.items():
        if config.get(field):
            note_once(field, f"{what} have no counterpart on this machine and are not applied")
    return StepPlatform(timeout, tuple(env.items()), tuple(links))


def _written(folder: Path, values: dict[str, str]) -> str:
    """A secret's or config map's keys as files, as Kubernetes mounts them; readable by this user only."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for key, value in values.items():
        path = folder / key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(value)
    return str(folder)


def _claim(entry: dict, params: dict) -> str:
    if entry.get("constant"):
        return str(entry["constant"])
    binding = entry.get("pvcNameParameter") or {}
    if "runtimeValue" in binding:
        return str(binding["runtimeValue"].get("constant"))
    source = binding.get("componentInputParameter") or entry.get("componentInputParameter")
    return str(params.get(source, source))


def _name(entry: dict, field: str, params: dict) -> str:
    """The secret's name: literal, or a param's value."""
    binding = entry.get(f"{field}Parameter") or {}
    if "runtimeValue" in binding:
        return str(binding["runtimeValue"].get("constant"))
    if "componentInputParameter" in binding:
        return str(params.get(binding["componentInputParameter"], entry.get(field, "")))
    return str(entry.get(field, ""))
