"""Pass 3, resolve: the schema-valid document becomes a typed `Pipeline`.

Here each step gets its kind and component (a catalog entry, a component
file, an inline container or a Python function), its settings with
`defaults:` and enclosing groups' settings folded in, its loop, and every
`${{ }}` string parsed. Names inside expressions are resolved later, by the
references pass, once all steps are known. After this pass the model is
never changed: later passes return what they find.

    context.py     what the parts share: the document, the diagnostics, parsing `${{ }}`
    steps.py       the pipeline, its params, steps, groups and branches
    loops.py       `for_each:` and `matrix:`
    components.py  `uses:` (library, `components:` entries, files) and `python:`
    containers.py  inline containers: ports and command placeholders
    settings.py    inherited settings: cache, retry, resources, env, timeout, kubernetes
    literal_fields.py  `${{ }}` where only literal text goes: an error, never passed through
"""

from __future__ import annotations

import dataclasses

from ..catalog import Catalog
from ..diagnostics import Diagnostic
from ..load import Document
from ..model import Pipeline
from .context import Context
from .steps import pipeline


@dataclasses.dataclass(frozen=True)
class Resolved:
    pipeline: Pipeline
    diagnostics: list[Diagnostic]
    expressions_parsed: bool  # every `${{ }}` parsed: the references pass saw every name


def resolve(doc: Document, catalog: Catalog, chain: tuple[str, ...] = (), compile_nested=None,
            root: str | None = None) -> Resolved:
    ctx = Context(doc, catalog, chain, compile_nested, root=root)
    result = pipeline(ctx)
    return Resolved(result, ctx.diags, ctx.unparsed == 0)


__all__ = ["Resolved", "resolve"]
