"""A leaf task's executor as a kfyaml step body: inline container, `python:` step or importer.

KFP's placeholders in a command become `${{ inputs.x }}`/`${{ outputs.y }}`;
a lightweight Python component is recognised by the exact prelude KFP
writes (the same text kfyaml writes, from `kfyaml.ir.prelude`) and becomes
a `python:` step with its code and packages; resources and images read from
params become `${{ }}` again. Anything else in a command (`IfPresent`,
`Concat`, the whole executor input) has no inline form and is reported.
"""

from __future__ import annotations

import ast
import json
import re

from kfyaml.ir import placeholders as ph
from kfyaml.ir import prelude
from kfyaml.ir.debug_pause import AFTER, BEFORE, ON_ERROR
from kfyaml.ir.types import ARTIFACT_TYPE, FINAL_STATUS, INTEGER, VALUE_TYPE

from .. import python_step
from ..python_step import DEFAULT_IMAGE
from . import component_files
from .context import Frame, Importer
from .sources import Expr, binding_value, placeholder_source, wrap

INLINE_LINES = 20  # Python code longer than this goes to a file beside the pipeline
_PIP_INDEX_FLAGS = ("--index-url", "--extra-index-url", "--trusted-host")
_IMPORTER_FIELDS = {"artifactUri", "typeSchema", "metadata", "reimport"}
_PVC_STUBS = {"argostub/createpvc": "CreatePVC", "argostub/deletepvc": "DeletePVC"}  # kfp-kubernetes' stand-in images
_RESOURCES = (("cpu", "resourceCpuLimit", "cpuLimit"), ("cpu_request", "resourceCpuRequest", "cpuRequest"),
              ("memory", "resourceMemoryLimit", "memoryLimit"), ("memory_request", "resourceMemoryRequest", "memoryRequest"))


def leaf_body(ctx: Importer, frame: Frame, node_id: str, task: dict, path: tuple) -> dict:
    """The kind keys of a leaf step (and its env and resources)."""
    comp = ctx.component(task)
    comp_name = task.get("componentRef", {}).get("name", "")
    label = comp.get("executorLabel", "")
    executor = ctx.executors.get(label)
    where = (0, "deploymentSpec", "executors", label)
    if executor is None:
        ctx.problems.add(path + ("componentRef",), f"the component's executor `{label}` is not in deploymentSpec")
        return {}
    if "importer" in executor:
        return _importer(ctx, frame, task, executor["importer"], where + ("importer",), path)
    container = executor.get("container")
    if container is None:
        ctx.problems.add(where, f"an executor of kind `{next(iter(executor), '?')}`: kfyaml runs containers and importers")
        return {}
    stub = _PVC_STUBS.get(container.get("image", ""))
    if stub:
        ctx.problems.add(where + ("container", "image"),
                         f"kfp-kubernetes `{stub}` (a task that {'creates' if stub == 'CreatePVC' else 'deletes'} a "
                         "PersistentVolumeClaim, run by the backend itself): kfyaml has no form for it yet. Create the "
                         "claim outside the pipeline and mount it by name with `kubernetes: {volumes: [{claim: ..., "
                         "mount: ...}]}`")
        return {}
    library = _stdlib_step(container)
    if library:
        body = {"uses": f"stdlib/{library}"}
    elif prelude.install_script(container.get("command", [])):
        body = _python(ctx, node_id, container, where)
    elif component_files.needs_file(container):
        body = {"uses": component_files.write(ctx, comp_name, comp, container, where)}
    else:
        body = _inline(ctx, frame, task, comp, container, where)
    image = container.get("image", "")
    if ph.INPUT_PARAMETER.fullmatch(image) and "uses" not in body:
        body["image"] = wrap(placeholder_source(ctx, frame, task, image, path))
    if "uses" in body and body["uses"].startswith("stdlib/"):
        body.pop("image", None)
    if body.get("image") == DEFAULT_IMAGE and "python" in body:
        del body["image"]
    env = {e["name"]: e.get("value", "") for e in container.get("env") or []}
    pause = debug_pause(env)
    if env and ("uses" not in body or body["uses"].startswith("stdlib/")):  # a component file carries its own
        body["env"] = env
    if pause is not None:
        body["debug_pause"] = pause
    resources = _resources(ctx, frame, task, container.get("resources") or {}, where + ("container", "resources"), path)
    if resources:
        body["resources"] = resources
    return body


def debug_pause(env: dict) -> object:
    """`debug_pause:` from the variables KFP's set_debug_pause sets, taken out of `env`; None when there are none."""
    before, after, on_error = (env.get(name) == "true" and env.pop(name) == "true" for name in (BEFORE, AFTER, ON_ERROR))
    if on_error:
        return {"before": True, "on_error": True} if before else "on_error"
    if before:
        return {"before": True} if after else "before"
    return True if after else None


def ports(ctx: Importer, definitions: dict, where: tuple, inputs: bool) -> dict:
    """`inputs:`/`outputs:` of an inline step from a component's definitions."""
    out = {}
    for name, spec in sorted((definitions.get("parameters") or {}).items()):
        kind = spec.get("parameterType", "STRING")
        port: dict = {"type": VALUE_TYPE.get(kind, "string") if kind != FINAL_STATUS else "dict"}
        if "defaultValue" in spec:
            port["default"] = _typed(spec["defaultValue"], kind)
        elif spec.get("isOptional") and kind != FINAL_STATUS:
            port["default"] = None
        if spec.get("description"):
            port["description"] = spec["description"]
        out[name] = port
    for name, spec in sorted((definitions.get("artifacts") or {}).items()):
        title = spec.get("artifactType", {}).get("schemaTitle", "")
        if title not in ARTIFACT_TYPE:
            ctx.problems.add(where + ("artifacts", name), f"the artifact type `{title}`: kfyaml has the system.* types only")
            continue
        port = {"type": ARTIFACT_TYPE[title]}
        if spec.get("isArtifactList"):
            port["list"] = True
        if spec.get("isOptional") and inputs:
            port["optional"] = True
        if spec.get("description"):
            port["description"] = spec["description"]
        out[name] = port
    return {name: (port["type"] if len(port) == 1 else port) for name, port in out.items()}


def _stdlib_step(container: dict) -> str | None:
    """The standard-library step whose executor this is (IR that kfyaml compiled), if any: its
    interface (with descriptions from the library's docstrings) comes back with `uses:`."""
    from kfyaml.stdlib_steps import catalog

    key = [container.get(k) for k in ("image", "command", "args")]
    for name, step in catalog().items():
        if [step["executor"]["container"].get(k) for k in ("image", "command", "args")] == key:
            return name
    return None


def _typed(value, kind: str):
    """A default as kfyaml writes it: an int param's `3.0` is `3`."""
    if kind == INTEGER and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _importer(ctx: Importer, frame: Frame, task: dict, spec: dict, where: tuple, path: tuple) -> dict:
    title = spec.get("typeSchema", {}).get("schemaTitle", "")
    if title not in ARTIFACT_TYPE:
        ctx.problems.add(where + ("typeSchema",), f"the artifact type `{title}`: kfyaml has the system.* types only")
        return {}
    uri = spec.get("artifactUri", {})
    if "constant" in uri:
        value = uri["constant"]
    else:
        binding = task.get("inputs", {}).get("parameters", {}).get("uri", {})
        value = wrap(binding_value(ctx, frame, binding, path + ("inputs", "parameters", "uri")))
    out: dict = {"uri": value, "type": ARTIFACT_TYPE[title]}
    if spec.get("metadata"):
        if ph.PATTERN.search(json.dumps(spec["metadata"])):
            ctx.problems.add(where + ("metadata",), "importer metadata read from params or outputs: kfyaml takes literal metadata")
        out["metadata"] = _ints(spec["metadata"])
    if spec.get("reimport"):
        out["reimport"] = True
    unknown = sorted(set(spec) - _IMPORTER_FIELDS)
    for field in unknown:
        cause = ("`dsl.importer(download_to_workspace=True)`, which copies the artifact into the run's workspace "
                 "(`dsl.PipelineConfig(workspace=...)`)" if field == "downloadToWorkspace" else f"the field `{field}`")
        ctx.problems.add(where + (field,), f"an importer with {cause}: kfyaml's `importer:` has no form for it yet")
    return {"importer": out}


def _ints(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def _python(ctx: Importer, node_id: str, container: dict, where: tuple) -> dict | None:
    """A `python:` step, when the container is exactly what `@dsl.component` writes; None otherwise."""
    command, args = container.get("command", []), container.get("args", [])
    if not (len(command) == 7 and command[3:6] == ["sh", "-ec", prelude.RUN_SCRIPT]
            and len(args) == 4 and args[:3] == ["--executor_input", ph.EXECUTOR_INPUT, "--function_to_execute"]):
        ctx.problems.add(where + ("container", "command"), "a Python component in a form other than the one "
                         "`@dsl.component` writes (a custom runner script or arguments); kfyaml cannot read its code")
        return {}
    installs = prelude.installs(command[2])
    code = prelude.user_code(command[6])
    if installs is None and "venv" in command[2]:
        ctx.problems.add(where + ("container", "command", 2),
                         "a Python component made with `use_venv=True` (it installs into a virtualenv of its own in "
                         "the container): kfyaml's python steps install into the image's Python; import it again "
                         "without the argument")
        return {}
    if installs is None or code is None:
        ctx.problems.add(where + ("container", "command", 2 if installs is None else 6),
                         "the Python component's install script or module header is not the one `@dsl.component` "
                         "writes (pip index URLs or trusted hosts, or another kfp version's layout)")
        return {}
    flags = sorted({word for group in installs for word in group if word in _PIP_INDEX_FLAGS})
    if flags:
        ctx.problems.add(where + ("container", "command", 2),
                         f"a Python component that installs from a custom pip index ({', '.join(flags)}: "
                         "`pip_index_urls=`/`pip_trusted_hosts=`); kfyaml's `packages:` install from the index pip "
                         "is configured with, so set it in the image (pip.conf or PIP_INDEX_URL) and import again "
                         "without the argument")
        return {}
    if installs and installs[-1][1:] == list(prelude.KFP_RUNTIME_EXTRAS) and installs[-1][0].startswith("kfp=="):
        installs = installs[:-1]
    else:
        ctx.problems.add(where + ("container", "command", 2),
                         "a Python component made with `install_kfp_package=False` (its image brings kfp); kfyaml's "
                         "python steps always install kfp's runtime, so the step would not be the same")
        return {}
    if len(installs) > 1:
        ctx.problems.add(where + ("container", "command", 2), "a Python component that installs in several steps")
        return {}
    packages = installs[0] if installs else []
    function = args[3]
    try:
        tree = ast.parse(code)
    except SyntaxError:
        ctx.problems.add(where + ("container", "command", 6), "the Python component's code does not parse")
        return {}
    try:  # what kfyaml cannot read in the function (an annotation it has no type for) is said here, at the IR
        python_step.analyse(code, function, ())
    except python_step.PythonStepError as exc:
        ctx.problems.add(where + ("container", "command", 6), f"the Python component `{function}`: {exc.message}")
        return {}
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    only = functions == [function] and all(isinstance(n, ast.FunctionDef) for n in tree.body)
    body: dict = {}
    if code.count("\n") > INLINE_LINES:
        rel = f"steps/{node_id}.py"
        ctx.out.files[rel] = code
        body["python"] = {"file": ("../" if ctx.folder else "") + rel, "function": function}
    elif only:
        body["python"] = code
    else:
        body["python"] = {"code": code, "function": function}
    if packages:
        body["packages"] = packages
    body["image"] = container.get("image", DEFAULT_IMAGE)
    return body


def _inline(ctx: Importer, frame: Frame, task: dict, comp: dict, container: dict, where: tuple) -> dict:
    body: dict = {"image": container.get("image", "")}
    for field in ("command", "args"):
        items = container.get(field) or []
        if items:
            lists = {name for name, spec in ((comp.get("inputDefinitions") or {}).get("artifacts") or {}).items()
                     if spec.get("isArtifactList")}
            body[field] = [_command_item(ctx, item, where + ("container", field, i), lists) for i, item in enumerate(items)]
    inputs = ports(ctx, comp.get("inputDefinitions") or {}, (0, "components"), True)
    outputs = ports(ctx, comp.get("outputDefinitions") or {}, (0, "components"), False)
    if inputs:
        body["inputs"] = inputs
    if outputs:
        body["outputs"] = outputs
    return body


_OTHER_PLACEHOLDER = re.compile(r"\{\{\$[^}]*\}\}")


def _command_item(ctx: Importer, item, where: tuple, artifact_lists: set[str] = frozenset()):
    if not isinstance(item, str):
        return item
    if "${{" in item:
        ctx.problems.add(where, "the command holds `${{`, which kfyaml would read as an expression")

    def one(match: re.Match) -> str:
        side, kind, name, attr = match.groups()
        if side is None:
            ctx.problems.add(where, "the command reads the whole executor input (`{{$}}`), which only Python steps do")
            return match.group(0)
        if kind == "artifacts" and side == "inputs" and name in artifact_lists:
            ctx.problems.add(where, f"the command reads `{name}`, a list of artifacts (`Input[List[...]]`), as KFP's "
                             "JSON of the list: an inline step has no form for it yet (a `python:` step receives the "
                             "list as objects)")
            return ""  # reported; nothing is written
        if kind == "artifacts":
            suffix = ".uri" if attr == "uri" else ""
            return f"${{{{ {side}.{name}{suffix} }}}}"
        return f"${{{{ {side}.{name} }}}}"

    text = ph.PATTERN.sub(one, item)
    for other in _OTHER_PLACEHOLDER.findall(text):
        ctx.problems.add(where, f"the placeholder {other} has no kfyaml form in a command")
    return text


def _resources(ctx: Importer, frame: Frame, task: dict, spec: dict, where: tuple, path: tuple) -> dict:
    out: dict = {}

    def value(text, field):
        if isinstance(text, str) and ph.INPUT_PARAMETER.fullmatch(text):
            source = placeholder_source(ctx, frame, task, text, path)
            return wrap(source) if isinstance(source, Expr) else source.value
        return text

    for ours, text_field, number_field in _RESOURCES:
        if spec.get(text_field) not in (None, ""):
            out[ours] = value(spec[text_field], text_field)
        elif spec.get(number_field) not in (None, 0):
            ctx.problems.add(where + (number_field,), f"`{number_field}` without `{text_field}` (an IR from kfp before 2.0)")
    accelerator = spec.get("accelerator") or {}
    if accelerator:
        count = accelerator.get("resourceCount", accelerator.get("count"))
        count = value(count, "resourceCount")
        out["gpu"] = int(count) if isinstance(count, str) and count.isdigit() else count
        kind = value(accelerator.get("resourceType", accelerator.get("type")), "resourceType")
        if kind and kind != "nvidia.com/gpu":
            out["gpu_type"] = kind
    return out
