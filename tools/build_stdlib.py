"""Generate the standard library's catalog and its documentation.

    python tools/build_stdlib.py

writes `stdlib_steps/catalog.json` (what `uses: stdlib/<name>` compiles to:
each step's typed interface, default settings and the container KFP runs) and
`docs/steps.md` (from the steps' docstrings). Both come from reading the step
files with `ast`: nothing is imported, so neither this script nor the compiler
needs torch, scikit-learn or pandas. Tests fail when either file is stale.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STDLIB = ROOT / "stdlib_steps"
# Files a step's module reads at run time, embedded as text where the module says `NAME = ""`:
# the component's container has the module's source only, not the package around it.
EMBEDDED = {"train_torch_ddp": {"WORKER": "ddp_worker.py"}}
STEPS = ("validate_data", "preprocess_csv", "train_sklearn", "evaluate_classifier", "compare_models",
         "validate_model", "train_torch_ddp", "deploy_kserve", "notify")
DEFAULT_IMAGE = "python:3.11-slim"


def _constants(tree: ast.Module) -> dict:
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def _sections(doc: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The docstring's prose, and its `Args:` and `Returns:` entries."""
    prose, args, returns = [], {}, {}
    current, target = None, prose
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped in ("Args:", "Returns:"):
            target = args if stripped == "Args:" else returns
            current = None
            continue
        if target is prose:
            prose.append(line)
            continue
        match = re.match(r"^    (\w+): (.*)$", line)
        if match:
            current = match.group(1)
            target[current] = match.group(2).strip()
        elif current and stripped:
            target[current] += " " + stripped
    return "\n".join(prose).strip(), args, returns


def _port(port, description: str | None) -> dict:
    t = port.type
    entry = {"type": t.item.name if t.name == "list" and t.item is not None else t.name}
    if t.name == "list" and t.item is not None:
        entry["list"] = True
    if port.has_default:
        entry["optional"] = True
        if port.default is not None:
            entry["default"] = port.default
    if description:
        entry["description"] = description
    return entry


def step_source(name: str) -> str:
    """The step's module as its component embeds it, with the files it reads written in."""
    code = (STDLIB / f"{name}.py").read_text(encoding="utf-8")
    for constant, file in EMBEDDED.get(name, {}).items():
        text = (STDLIB / file).read_text(encoding="utf-8")
        marker = f'{constant} = ""'
        if marker not in code or "'''" in text or text.endswith("\\"):
            raise SystemExit(f"{name}.py: cannot embed {file} at `{marker}`")
        code = code.replace(marker, f"{constant} = r'''\n{text}'''", 1)
    return code


def build_catalog() -> dict:
    sys.path.insert(0, str(ROOT))
    from kfyaml.compiler.python_step import analyse, executor

    steps = {}
    for name in STEPS:
        code = step_source(name)
        tree = ast.parse(code)
        constants = _constants(tree)
        prose, args, returns = _sections(ast.get_docstring(tree) or "")
        fn = analyse(code, name, ())
        image = constants.get("IMAGE", DEFAULT_IMAGE)
        docs = {**args, **returns}
        steps[name] = {
            "version": constants["VERSION"],
            "summary": prose.split("\n\n")[0].replace("\n", " "),
            "description": prose,
            "image": image,
            "packages": constants.get("PACKAGES", []),
            "settings": constants.get("SETTINGS", {}),
            "inputs": {n: _port(p, docs.get(n)) for n, p in fn.inputs.items()},
            "outputs": {n: _port(p, docs.get(n)) for n, p in fn.outputs.items()},
            "executor": executor(fn, image, constants.get("PACKAGES", [])),
        }
    return {"steps": steps}


def render_docs(catalog: dict) -> str:
    out = ["# Standard library steps", "",
           "`uses: stdlib/<name>` runs one of these. Each is a typed KFP lightweight Python component "
           "(`stdlib_steps/<name>.py`); this page is generated from their docstrings by "
           "`python tools/build_stdlib.py`.", "",
           "| step | version | what it does |", "| --- | --- | --- |"]
    out += [f"| [`{n}`](#{n}) | {s['version']} | {s['summary']} |" for n, s in catalog["steps"].items()]
    for name, step in catalog["steps"].items():
        out += ["", f"## {name}", "", step["description"], "", f"Image `{step['image']}`"
                + (f", installs {', '.join(f'`{p}`' for p in step['packages'])}" if step["packages"] else "") + "."]
        if step["settings"]:
            settings = ", ".join(f"`{k}: {json.dumps(v, separators=(', ', ': '))}`" for k, v in step["settings"].items())
            out += ["", f"Default settings (a step's own settings override them): {settings}."]
        for title, ports in (("Inputs (`with:`)", step["inputs"]), ("Outputs", step["outputs"])):
            out += ["", f"{title}:", "", "| name | type | default | description |", "| --- | --- | --- | --- |"]
            for port_name, port in ports.items():
                kind = port["type"] + ("[]" if port.get("list") else "")
                if "default" in port:
                    default = f"`{json.dumps(port['default'])}`"
                else:
                    default = "optional" if port.get("optional") else "required" if title.startswith("Inputs") else ""
                out.append(f"| `{port_name}` | {kind} | {default} | {port.get('description', '')} |")
        example = ", ".join(f"{n}: ..." for n, p in step["inputs"].items() if not p.get("optional"))
        out += ["", "```yaml", f"  {name}:", f"    uses: stdlib/{name}", f"    with: {{{example}}}", "```"]
    return "\n".join(out).rstrip("\n") + "\n"


def main() -> int:
    catalog = build_catalog()
    (STDLIB / "catalog.json").write_text(json.dumps(catalog, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    docs = ROOT / "docs" / "steps.md"
    docs.write_text(render_docs(catalog), encoding="utf-8")
    print(f"wrote {STDLIB / 'catalog.json'} and {docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
