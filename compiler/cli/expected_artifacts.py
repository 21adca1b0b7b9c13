"""`kfyaml test`: what an expectation on an artifact input means.

A step receives an artifact as a path in the run's folder, with a timestamp in
it, which no test can know in advance. So an expectation names what the
artifact should be instead: a file or folder (relative to the pipeline's
folder, as mocks are: typically the mock's own file), compared by content; or
another step's output, `steps.<id>.outputs.<name>`, compared by identity (the
step received exactly what that step wrote). A list input takes a list of
these, in order.
"""

from __future__ import annotations

import filecmp
import os
import re

# `steps.train.outputs.model`, bare or as the pipeline writes it, `${{ steps.train.outputs.model }}`
_OUTPUT = re.compile(r"^\s*(?:\$\{\{\s*)?steps\.([A-Za-z_][A-Za-z0-9_]*)\.outputs\.([A-Za-z_][A-Za-z0-9_]*)\s*(?:\}\}\s*)?$")


def mismatch(got: list[str], wanted, base: str, produced) -> str | None:
    """Why the artifact(s) a step received are not `wanted`; None when they are. `produced(step, output)`
    gives the paths a step wrote for an output (None when it names no step)."""
    wanted_items = wanted if isinstance(wanted, list) else [wanted]
    if not all(isinstance(w, str) for w in wanted_items):
        return "an artifact input is expected as a file or folder, or `steps.<id>.outputs.<name>`"
    expected: list[tuple[str, str]] = []  # (kind, path): "same" (the very artifact) or "content"
    for item in wanted_items:
        match = _OUTPUT.match(item)
        if match:
            paths = produced(match.group(1), match.group(2))
            if paths is None:
                return f"`{item}` names no step output that was written in this case"
            expected += [("same", p) for p in paths]
        else:
            path = os.path.join(base, item)
            if not os.path.exists(path):
                return f"{item} does not exist (paths are relative to the pipeline's folder, as mocks' are)"
            expected.append(("content", path))
    if len(got) != len(expected):
        return f"it received {len(got)} artifact(s), expected {len(expected)}"
    for received, (kind, path) in zip(got, expected, strict=True):
        if kind == "same" and os.path.realpath(received) != os.path.realpath(path):
            return f"it received {received}, not that output ({path})"
        if kind == "content" and not _same_content(received, path):
            return f"the artifact it received ({received}) differs from {os.path.relpath(path, base)}"
    return None


def _same_content(a: str, b: str) -> bool:
    if os.path.isdir(a) != os.path.isdir(b):
        return False
    if not os.path.isdir(a):
        return filecmp.cmp(a, b, shallow=False)
    compared = filecmp.dircmp(a, b)
    if compared.left_only or compared.right_only or compared.funny_files:
        return False
    _, mismatched, errors = filecmp.cmpfiles(a, b, compared.common_files, shallow=False)
    return not mismatched and not errors and all(_same_content(os.path.join(a, d), os.path.join(b, d))
                                                 for d in compared.common_dirs)
