"""`kfyaml import` round trip: compile(import(kfp_ir)) must mean what kfp_ir means.

Every differential test calls this on the IR that `kfp.compiler` wrote (see
`_kfp_ir` in test_differential.py), so the whole differential suite is also
the import's test suite, under the same normalizer.
"""

from __future__ import annotations

import pprint
from pathlib import Path

import yaml

from kfyaml.compiler import api
from kfyaml.compiler.importer import import_ir
from support.normalize_ir import normalize, root_outputs


def imported(ir_path: Path, folder: Path) -> Path:
    """Import the IR file into `folder`; the path of the pipeline written there."""
    result = import_ir(ir_path.read_text(), str(ir_path))
    assert result.ok, "kfyaml import failed:\n" + "\n".join(d.format() for d in result.diagnostics)
    for rel, text in result.files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    return folder / "pipeline.yaml"


def check(ir_path: Path, folder: Path) -> None:
    pipeline = imported(ir_path, folder)
    result = api.compile_file(str(pipeline))
    assert result.ok, "the imported pipeline does not compile:\n" + pipeline.read_text() + \
        "\n".join(d.format() for d in result.diagnostics)
    ours = list(yaml.safe_load_all(result.ir_text()))
    theirs = list(yaml.safe_load_all(ir_path.read_text()))
    a = normalize(ours[0], ours[1] if len(ours) > 1 else None)
    b = normalize(theirs[0], theirs[1] if len(theirs) > 1 else None)
    assert sorted(a) == sorted(b), f"round trip: tasks differ\n{pipeline.read_text()}"
    for leaf in a:
        assert a[leaf] == b[leaf], (f"round trip: task {leaf} differs:\nimported: {pprint.pformat(a[leaf])}\n"
                                    f"kfp:      {pprint.pformat(b[leaf])}\n{pipeline.read_text()}")
    assert root_outputs(ours[0]) == root_outputs(theirs[0])
    assert ours[0]["root"].get("inputDefinitions") == theirs[0]["root"].get("inputDefinitions")
