"""Step mocks for `kfyaml test`: a step's outputs given, its code not run.

A mock names output values (typed as the component declares them) and, for
artifact outputs, a file or folder whose content becomes the artifact (and,
for `kfyaml run --only`, the metadata the artifact had). The
step's record says `succeeded (mocked)`, so expectations and the summary see
it like any other step.
"""

from __future__ import annotations

import os
import shutil

from .params import typed
from .records import RunError


def fake(mock: dict, output_defs: dict, out_artifacts: dict, base_dir: str, label: str) -> dict:
    """Write the mock's artifacts where the step's would go; its output parameter values."""
    declared_params = output_defs.get("parameters", {})
    declared_artifacts = output_defs.get("artifacts", {})
    values = {}
    for name, value in (mock.get("outputs") or {}).items():
        if name in declared_params:
            values[name] = typed(value, declared_params[name]["parameterType"])
        elif name in declared_artifacts:
            source = os.path.join(base_dir, str(value))
            target = out_artifacts[name]["uri"]
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.isdir(source):
                shutil.copytree(source, target, dirs_exist_ok=True)
            elif os.path.exists(source):
                shutil.copyfile(source, target)
            else:
                raise RunError(f"{label}: the mock's artifact {name!r} names {value}, which does not exist")
            out_artifacts[name]["metadata"] = dict((mock.get("metadata") or {}).get(name) or {})
        else:
            raise RunError(f"{label}: the mock sets {name!r}, which is not an output of the step "
                           f"(its outputs: {', '.join(list(declared_params) + list(declared_artifacts)) or 'none'})")
    for name in [n for n in mock.get("without_file") or [] if n in out_artifacts]:  # metadata, and no file
        out_artifacts[name]["metadata"] = dict((mock.get("metadata") or {}).get(name) or {})
    missing = [n for n in declared_params if n not in values]
    if missing:
        raise RunError(f"{label}: the mock gives no value for the output {missing[0]!r}")
    return values
