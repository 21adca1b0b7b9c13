"""`kfyaml lsp`: the Language Server over stdio (pygls), wiring LSP requests to the features.

Diagnostics are computed on open and, debounced, on change, by the same
passes as `kfyaml lint` (with the project's suppressions). Every request is
answered from the latest analysis; a file that does not load (half-typed,
binary, huge) gives its load diagnostics and empty answers, never a crash.
"""

from __future__ import annotations

import asyncio
from urllib.parse import unquote, urlparse

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer

from .. import __version__
from ..codes import Severity
from . import actions, completion, navigate
from .analysis import Analysis, Place, analyse

DEBOUNCE_S = 0.15
_KINDS = {"key": t.CompletionItemKind.Property, "name": t.CompletionItemKind.Variable,
          "step": t.CompletionItemKind.Module, "file": t.CompletionItemKind.File, "input": t.CompletionItemKind.Field}


class KfyamlServer(LanguageServer):
    def __init__(self):
        super().__init__("kfyaml", __version__)
        self.analyses: dict[str, Analysis] = {}
        self.pending: dict[str, asyncio.Task] = {}

    def refresh(self, uri: str) -> Analysis:
        document = self.workspace.get_text_document(uri)
        path = unquote(urlparse(uri).path) if uri.startswith("file:") else ""
        analysis = analyse(uri, path, document.source)
        self.analyses[uri] = analysis
        self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=[
            _diagnostic(d, analysis) for d in analysis.result.diagnostics if d.file == analysis.result.file]))
        return analysis

    def analysis(self, uri: str) -> Analysis:
        return self.analyses.get(uri) or self.refresh(uri)


server = KfyamlServer()


def _diagnostic(d, analysis: Analysis) -> t.Diagnostic:
    line, col = max(d.line - 1, 0), max(d.col - 1, 0)
    text = analysis.lines[line] if line < len(analysis.lines) else ""
    end = col + max(1, len(_word_at(text, col)))
    severity = t.DiagnosticSeverity.Error if d.severity is Severity.ERROR else t.DiagnosticSeverity.Warning
    return t.Diagnostic(range=t.Range(t.Position(line, col), t.Position(line, end)), message=d.message,
                        severity=severity, code=d.code, source="kfyaml")


def _word_at(text: str, col: int) -> str:
    import re

    match = re.match(r"\$\{\{.*?\}\}|[^\s,:\]}]+", text[col:])
    return match.group(0) if match else ""


def _range(place: Place) -> t.Range:
    return t.Range(t.Position(place.line, place.col), t.Position(place.line, place.col + place.length))


@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: KfyamlServer, params: t.DidOpenTextDocumentParams):
    ls.refresh(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: KfyamlServer, params: t.DidChangeTextDocumentParams):
    uri = params.text_document.uri
    previous = ls.pending.pop(uri, None)
    if previous is not None:
        previous.cancel()

    async def later():
        await asyncio.sleep(DEBOUNCE_S)
        ls.refresh(uri)

    ls.pending[uri] = asyncio.ensure_future(later())


@server.feature(t.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: KfyamlServer, params: t.DidSaveTextDocumentParams):
    ls.refresh(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: KfyamlServer, params: t.DidCloseTextDocumentParams):
    ls.analyses.pop(params.text_document.uri, None)
    ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


@server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=[".", " ", "/", "["]))
def complete(ls: KfyamlServer, params: t.CompletionParams):
    uri = params.text_document.uri
    document = ls.workspace.get_text_document(uri)
    analysis = ls.analysis(uri)
    if analysis.text != document.source:  # typing ahead of the debounced check: positions from the new text
        analysis = Analysis(uri, document.source, analysis.result, analysis.doc, analysis.symbols, analysis.outline,
                            analysis.references, analysis.output_refs)
    items = completion.complete(analysis, params.position.line, params.position.character)
    return t.CompletionList(is_incomplete=False, items=[
        t.CompletionItem(label=label, kind=_KINDS.get(kind), detail=detail) for label, kind, detail in items])


@server.feature(t.TEXT_DOCUMENT_HOVER)
def hover(ls: KfyamlServer, params: t.HoverParams):
    text = navigate.hover(ls.analysis(params.text_document.uri), params.position.line, params.position.character)
    return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text)) if text else None


@server.feature(t.TEXT_DOCUMENT_DEFINITION)
def definition(ls: KfyamlServer, params: t.DefinitionParams):
    found = navigate.definition(ls.analysis(params.text_document.uri), params.position.line, params.position.character)
    if found is None:
        return None
    path, place = found
    return t.Location(uri=("file://" + path) if path else params.text_document.uri, range=_range(place))


@server.feature(t.TEXT_DOCUMENT_REFERENCES)
def references(ls: KfyamlServer, params: t.ReferenceParams):
    places = navigate.references(ls.analysis(params.text_document.uri), params.position.line,
                                 params.position.character, params.context.include_declaration)
    return [t.Location(uri=params.text_document.uri, range=_range(p)) for p in places]


@server.feature(t.TEXT_DOCUMENT_RENAME)
def rename(ls: KfyamlServer, params: t.RenameParams):
    places, error = navigate.rename(ls.analysis(params.text_document.uri), params.position.line,
                                    params.position.character, params.new_name)
    if error:
        raise ValueError(error)
    return t.WorkspaceEdit(changes={params.text_document.uri: [t.TextEdit(_range(p), params.new_name) for p in places]})


@server.feature(t.TEXT_DOCUMENT_CODE_ACTION)
def code_actions(ls: KfyamlServer, params: t.CodeActionParams):
    analysis = ls.analysis(params.text_document.uri)
    out = []
    for d in params.context.diagnostics:
        if d.source != "kfyaml":
            continue
        for title, edits in actions.fixes(analysis.lines, d.range.start.line, d.range.start.character, str(d.code),
                                          d.message, d.severity == t.DiagnosticSeverity.Warning):
            out.append(t.CodeAction(title=title, kind=t.CodeActionKind.QuickFix, diagnostics=[d], edit=t.WorkspaceEdit(
                changes={params.text_document.uri: [t.TextEdit(t.Range(t.Position(line, start), t.Position(line, end)), new)
                                                    for line, start, end, new in edits]})))
    return out


@server.feature(t.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def symbols(ls: KfyamlServer, params: t.DocumentSymbolParams):
    analysis = ls.analysis(params.text_document.uri)

    def convert(symbol) -> t.DocumentSymbol:
        step = analysis.step(symbol.name)
        detail = None
        if step is not None and step.component is not None:
            detail = ", ".join(f"{n}: {p.type.name}" for n, p in step.component.outputs.items()) or None
        return t.DocumentSymbol(name=symbol.name, kind=t.SymbolKind.Function, range=_range(symbol.place),
                                selection_range=_range(symbol.place), detail=detail,
                                children=[convert(c) for c in symbol.children])

    params_ = [t.DocumentSymbol(name=s.name, kind=t.SymbolKind.Variable, range=_range(s.place),
                                selection_range=_range(s.place), detail="param")
               for (kind, _), s in analysis.symbols.items() if kind == "param"]
    return params_ + [convert(s) for s in analysis.outline]


def serve() -> None:
    server.start_io()
