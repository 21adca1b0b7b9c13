"""Pass 2, schema: the document against schemas/pipeline.schema.json.

The schema is the one editors use, so anything it rejects is already
underlined in the user's editor; this pass gives the same verdict with a
file:line:col, one message per real problem (anyOf failures reduced to their
best match) and a "did you mean" for misspelt keys.

Most files are valid, so the verdict comes first from `schema_check`, code
generated from the schema at build time; `jsonschema` (about a quarter of
the start-up of `kfyaml lint`) is imported only to word the errors of a
file that fails.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from .codes import BAD_DURATION, SCHEMA, UNKNOWN_KEY
from .diagnostics import Diagnostic, make, suggest
from .load import Document

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError

_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "null"}


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    from kfyaml.schemas import pipeline_schema

    schema = pipeline_schema()
    defs = schema["$defs"]
    fast = _inline(schema, defs)
    fast["$defs"] = {name: _inline(sub, defs) for name, sub in defs.items()}
    return jsonschema.Draft202012Validator(fast)


_RECURSIVE = {"step", "steps"}


def _inline(node, defs):
    """The schema with its non-recursive `$ref`s expanded in place.

    Same meaning, but jsonschema resolves a `$ref` on every visit, which is
    a third of the validation time for a large pipeline.
    """
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/") and ref.rsplit("/", 1)[1] not in _RECURSIVE:
            merged = {k: _inline(v, defs) for k, v in node.items() if k != "$ref"}
            merged.update(_inline(defs[ref.rsplit("/", 1)[1]], defs))
            return merged
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def validate(doc: Document) -> list[Diagnostic]:
    from .schema_check import valid

    if valid(doc.data):
        return []
    diags: list[Diagnostic] = []
    for error in _validator().iter_errors(doc.data):
        diags.extend(_to_diagnostics(doc, error))
    return diags


def _describe(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:37] + "..."
        return f'the string "{short}"'
    return "a list" if isinstance(value, list) else "a mapping"


def _where(path) -> str:
    keys = [p for p in path if isinstance(p, str)]
    return f'"{keys[-1]}"' if keys else "the document"


def _to_diagnostics(doc: Document, error: ValidationError) -> list[Diagnostic]:
    if error.validator in ("anyOf", "oneOf") and error.context:
        want = _alternatives(error)
        if want:
            line, col = doc.locate(tuple(error.absolute_path))
            return [make(doc.file, line, col, SCHEMA,
                         f"{_where(error.absolute_path)} must be {want}, not {_describe(error.instance)}")]
        error = _deepest(error)
    path = tuple(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
        out = []
        keys = list(error.instance)
        for i, key in enumerate(keys):
            if key not in allowed and not any(p.search(key) for p in patterns):
                line, col = doc.locate(path + (key,), key=True)
                above = _open_mapping_above(doc, path, keys[i - 1], error.schema) if i else None
                if above:
                    message = f"`{key}` belongs under `{above}:`: check its indentation (it is not a key here)"
                else:
                    hint = suggest(key, allowed) or f"; allowed keys are: {', '.join(sorted(allowed))}"
                    message = f'unknown key "{key}"{hint}'
                out.append(make(doc.file, line, col, UNKNOWN_KEY, message))
        return out
    if kind == "propertyNames" or "propertyNames" in error.schema_path:
        return [_bad_name(doc, path, error)]
    line, col = doc.locate(path)
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        where = "the pipeline" if not path else _where(path)
        return [make(doc.file, line, col, SCHEMA, f'{where} is missing the required key "{missing}"')]
    if kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        want = " or ".join(_TYPE_NAMES.get(t, t) for t in expected)
        return [make(doc.file, line, col, SCHEMA, f"{_where(path)} must be {want}, not {_describe(error.instance)}")]
    if kind == "enum":
        hint = suggest(str(error.instance), map(str, error.validator_value))
        hint = hint or "; choose one of: " + ", ".join(str(c) for c in error.validator_value)
        return [make(doc.file, line, col, SCHEMA, f"{_describe(error.instance)} is not allowed for {_where(path)}{hint}")]
    if kind == "const":
        return [make(doc.file, line, col, SCHEMA, f"{_where(path)} must be {error.validator_value!r}")]
    if kind == "pattern" and isinstance(error.instance, str) and r"\$\{\{" in error.validator_value:
        return [make(doc.file, line, col, SCHEMA,
                     f'{_where(path)} must be one expression, written "${{{{ ... }}}}"')]
    if kind == "pattern" and "(s|m|h|d)" in error.validator_value:
        return [make(doc.file, line, col, BAD_DURATION, f"{_describe(error.instance)} is not a duration for {_where(path)}; "
                                                   "write seconds (`90`) or `30s`, `5m`, `2h`, `1d`")]
    if kind == "pattern" and error.validator_value == "^/":
        return [make(doc.file, line, col, SCHEMA, f"{_where(path)} must be an absolute path in the container, "
                                                   f'starting with "/" (not "{error.instance}")')]
    if kind == "pattern" and path == ("pipeline_root",):
        return [make(doc.file, line, col, SCHEMA, f'"pipeline_root" is a URI with a scheme, where KFP stores artifacts '
                                                   f'(`s3://bucket/root`, `gs://bucket/root`, `minio://...`), not "{error.instance}"')]
    if kind == "pattern" and path and path[-1] == "sub_path":
        return [make(doc.file, line, col, SCHEMA, f'{_where(path)} is a relative path inside the volume, without ".." '
                                                   f'(not "{error.instance}"), as Kubernetes requires')]
    if kind == "pattern":
        return [make(doc.file, line, col, SCHEMA, f"{_describe(error.instance)} is not a valid value for {_where(path)}; "
                                                   f"it must match {error.validator_value}")]
    if kind in ("minimum", "maximum"):
        return [make(doc.file, line, col, SCHEMA, f"{_where(path)} {_plain(error)}")]
    return [make(doc.file, line, col, SCHEMA, f"{_where(path)}: {_plain(error)}")]


def _plain(error: ValidationError) -> str:
    if error.validator == "minimum":
        return f"must be at least {error.validator_value}, not {error.instance!r}"
    if error.validator == "maximum":
        return f"must be at most {error.validator_value}, not {error.instance!r}"
    if error.validator == "minProperties":
        return "must not be empty"
    if error.validator == "minItems":
        return f"needs at least {error.validator_value} item(s)"
    if error.validator == "minLength":
        return "must not be empty"
    if error.validator == "uniqueItems":
        return "lists the same entry twice; remove the repeat"
    return error.message


def _open_mapping_above(doc: Document, path: tuple, previous: str, schema: dict) -> str | None:
    """The key just above, when it opens a block mapping of free names (`with:`, `env:`, `steps:`...).

    A key dedented out of such a mapping lands here as an unknown key; its name is
    no misspelling, so the message is about indentation.
    """
    value = doc.data
    for part in path + (previous,):
        value = value[part]
    if not isinstance(value, dict) or not value:
        return None
    sub = schema.get("properties", {}).get(previous, {})
    ref = sub.get("$ref", "")
    if ref.startswith("#/$defs/"):
        sub = _validator().schema["$defs"][ref.rsplit("/", 1)[1]]
    if sub.get("additionalProperties", True) is False and not sub.get("patternProperties"):
        return None  # a mapping of fixed keys: a misspelling is likelier
    opened_at = doc.locate(path + (previous,), key=True)[0]
    first_entry = doc.locate(path + (previous, next(iter(value))), key=True)[0]
    return previous if first_entry > opened_at else None


def _alternatives(error: ValidationError) -> str | None:
    """What an anyOf accepts, in words, when the value matched no branch's type or an expression branch."""
    types = _all_branch_types(error)
    if types:
        return " or ".join(_TYPE_NAMES.get(t, t) for t in types)
    expression = [e for e in error.context if e.validator == "pattern" and not e.relative_path
                  and r"\$\{\{" in str(e.validator_value)]
    if not expression or not isinstance(error.instance, str) or "${{" in error.instance:
        return None
    others = [e.validator_value for e in error.context if e.validator == "type" and not e.relative_path]
    names = [_TYPE_NAMES.get(t, t) for value in others for t in (value if isinstance(value, list) else [value])]
    return " or ".join(names + ['an expression "${{ ... }}"'])


def _all_branch_types(error: ValidationError) -> list[str]:
    """The accepted types, when the value's type matched no branch at all."""
    branches = {e.relative_schema_path[0] for e in error.context}
    failed = {e.relative_schema_path[0]: e.validator_value for e in error.context
              if e.validator == "type" and not e.relative_path}
    if branches != set(failed):
        return []
    types: list[str] = []
    for value in failed.values():
        for t in value if isinstance(value, list) else [value]:
            if t not in types:
                types.append(t)
    return types


def _deepest(error: ValidationError) -> ValidationError:
    """The branch of an anyOf that the value most nearly matched."""
    from jsonschema.exceptions import best_match

    while error.validator in ("anyOf", "oneOf") and error.context:
        # Prefer a branch whose type matched: its error says what is wrong inside.
        wrong_type = {e.relative_schema_path[0] for e in error.context
                      if e.validator == "type" and not e.relative_path}
        typed = [e for e in error.context if e.relative_schema_path[0] not in wrong_type]
        error = best_match(typed or error.context)
    return error


def _bad_name(doc: Document, path, error: ValidationError) -> Diagnostic:
    # jsonschema reports the object's path; the offending key is the instance.
    name = error.instance if isinstance(error.instance, str) else str(error.instance)
    if path and path[-1] == name:
        path = path[:-1]
    line, col = doc.locate(path + (name,), key=True)
    parent = path[-1] if path else "the document"
    if parent in ("steps", "finally"):
        what = "a step id"
        rule = "lower-case letters, digits and _, starting with a letter"
    elif parent == "env":
        fixed = "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in name)
        fixed = fixed if fixed and not fixed[0].isdigit() else "_" + fixed
        return make(doc.file, line, col, SCHEMA, f'"{name}" is not an environment variable name: use letters, digits, '
                                                 f'_, - and ., not starting with a digit (for example "{fixed}")')
    else:
        what = "a name"
        rule = "letters, digits and _, not starting with a digit"
    fixed = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    if what == "a step id":
        fixed = fixed.lower()
        if fixed and not fixed[0].isalpha():
            fixed = "s_" + fixed
    return make(doc.file, line, col, SCHEMA, f'"{name}" is not {what}: use {rule} (for example "{fixed}")')
