"""Fields that take literal text only: a `${{ }}` there is an error, never passed through.

Expressions are evaluated in `with:`, `if:`, `for_each:`, `image:`, `command:`,
`args:`, an importer's `uri:`, resources, the names of Kubernetes secrets, config maps and volume
claims, branch and pipeline outputs. Anywhere else (a display name, a node
selector, a toleration, an image pull secret, a mount path, a param's
default...) KFP has no way to fill it in, so the text would reach the IR
as written; it is reported where it stands instead.
"""

from __future__ import annotations

from typing import Any

from ..codes import EXPRESSION_NOT_ALLOWED
from ..expressions import has_expression
from ..load import Path
from .context import Context

_EVALUATED = {"with", "if", "for_each", "image", "command", "args", "resources"}
_OWN_CHECKS = {"env", "python"}  # env: ENV_EXPRESSION; python: code, not YAML text
_KUBERNETES_NAMES = {("secrets", "name"), ("config_maps", "name"), ("volumes", "claim")}
_FREE_NAMES = {"node_selector", "params", "inputs", "outputs", "matrix", "env"}  # mappings of the user's names


def check(ctx: Context) -> None:
    data = ctx.doc.data
    for key, value in data.items():
        if key.startswith("x-") or key == "outputs":
            continue  # anchors to reuse; pipeline outputs are expressions
        if key in ("steps", "finally"):
            for sid, spec in (value or {}).items():
                _step(ctx, spec, (key, sid))
        elif key == "components":
            for name, spec in (value or {}).items():
                _step(ctx, spec, (key, name))
        elif key == "defaults":
            _settings(ctx, value or {}, (key,))
        else:
            _literal(ctx, value, (key,))


def _step(ctx: Context, spec: Any, path: Path) -> None:
    if not isinstance(spec, dict):
        return _literal(ctx, spec, path)
    for key, value in spec.items():
        where = path + (key,)
        if key == "for_each" and isinstance(value, list):
            _literal(ctx, value, where, "a `for_each:` list is looped over as written: KFP cannot loop over a list "
                                        "built from values. Loop over one expression that holds a list "
                                        "(`${{ params.sizes }}`, `${{ steps.split.outputs.parts }}`) instead")
            continue
        if key in _EVALUATED or key in _OWN_CHECKS:
            continue
        if key in ("steps", "finally"):
            for sid, child in (value or {}).items():
                _step(ctx, child, where + (sid,))
        elif key == "branches":
            for i, branch in enumerate(value or []):
                for bkey, bvalue in (branch or {}).items():
                    if bkey == "steps":
                        for sid, child in (bvalue or {}).items():
                            _step(ctx, child, where + (i, "steps", sid))
                    elif bkey not in ("if", "elif", "outputs"):
                        _literal(ctx, bvalue, where + (i, bkey))
        elif key == "kubernetes":
            _kubernetes(ctx, value, where)
        elif key == "importer" and isinstance(value, dict):
            for field, item in value.items():
                if field != "uri":
                    _literal(ctx, item, where + (field,))
        else:
            _literal(ctx, value, where)


def _settings(ctx: Context, spec: dict, path: Path) -> None:
    for key, value in spec.items():
        if key == "kubernetes":
            _kubernetes(ctx, value, path + (key,))
        elif key not in ("resources", "env"):
            _literal(ctx, value, path + (key,))


def _kubernetes(ctx: Context, spec: Any, path: Path) -> None:
    if not isinstance(spec, dict):
        return _literal(ctx, spec, path)
    for key, value in spec.items():
        if key in ("node_selector", "node_affinity") and isinstance(value, str):
            continue  # one expression naming a dict: evaluated (KFP's nodeSelectorJson, nodeAffinityJson)
        if key == "tolerations" and isinstance(value, list):
            for i, entry in enumerate(value):
                if not isinstance(entry, str):
                    _literal(ctx, entry, path + (key, i))
            continue
        if key in ("secrets", "config_maps", "volumes") and isinstance(value, list):
            for i, entry in enumerate(value):
                for field, text in (entry.items() if isinstance(entry, dict) else ()):
                    if (key, field) not in _KUBERNETES_NAMES:
                        _literal(ctx, text, path + (key, i, field))
        else:
            _literal(ctx, value, path + (key,))


def _literal(ctx: Context, value: Any, path: Path, message: str | None = None) -> None:
    """Report every `${{ }}` in a value that must be literal, at any depth, keys included."""
    if isinstance(value, str):
        if has_expression(value):
            ctx.unparsed += 1  # the names in it are not read: no "unused param" warning for them
            names = [p for p in path if isinstance(p, str)]
            field = ".".join(names[-2:]) if len(names) > 1 and names[-2] in _FREE_NAMES else names[-1]
            ctx.error(path, EXPRESSION_NOT_ALLOWED, message or (
                      f"`${{{{ }}}}` is not evaluated in `{field}`: write the value itself. Expressions work in "
                      "with:, if:, for_each:, image:, command:, args:, resources, and the names of Kubernetes "
                      "secrets, config maps and volume claims"))
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and has_expression(key):
                ctx.unparsed += 1
                ctx.error(path + (key,), EXPRESSION_NOT_ALLOWED, "`${{ }}` is not evaluated in a key: write the key "
                                                                 "itself", key=True)
            _literal(ctx, item, path + (key,), message)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _literal(ctx, item, path + (i,), message)
