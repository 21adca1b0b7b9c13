"""`kfyaml lsp` end to end over stdio, driven by pytest-lsp's real client."""

from __future__ import annotations

import sys

import pytest
import pytest_lsp
from conftest import EXAMPLES
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

PIPELINE = """name: tour
params:
  threshold: {type: float, default: 0.8, description: The accuracy to reach}
steps:
  prepare:
    uses: stdlib/preprocess_csv
    with: {source: data.csv}
  train:
    uses: stdlib/train_sklearn
    with: {train: "${{ steps.prepare.outputs.train }}"}
  deploy:
    if: ${{ steps.train.outputs.train_accuracy > params.treshold }}
    image: alpine
    command: [echo, deploying]
    needs: [train]
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "kfyaml.compiler.cli", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(t.InitializeParams(capabilities=t.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


def _open(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        text_document=t.TextDocumentItem(uri=uri, language_id="yaml", version=version, text=text)))


def _uri(tmp_path, name="pipeline.yaml") -> str:
    return (tmp_path / name).as_uri()


def _pos(text: str, needle: str, offset: int = 0) -> t.Position:
    before = text[: text.index(needle) + offset]
    return t.Position(line=before.count("\n"), character=len(before.rsplit("\n", 1)[-1]))


@pytest.mark.asyncio
async def test_diagnostics_on_open_and_on_change_are_lints(client: LanguageClient, tmp_path):
    uri = _uri(tmp_path)
    _open(client, uri, PIPELINE)
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    found = [(d.range.start.line, d.range.start.character, d.code, d.message) for d in client.diagnostics[uri]]
    assert found == [(11, 8, "KY506", 'no param "treshold"; did you mean "threshold"?'),
                     (14, 12, "KY404", '"train" in `needs:` is redundant: "deploy" already reads its outputs')]
    fixed = PIPELINE.replace("treshold", "threshold")
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[t.TextDocumentContentChangeWholeDocument(text=fixed)]))
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert [d.code for d in client.diagnostics[uri]] == ["KY404"]


@pytest.mark.asyncio
async def test_completion_in_each_context(client: LanguageClient, tmp_path):
    uri = _uri(tmp_path)
    _open(client, uri, PIPELINE)
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    async def labels(text: str, where: t.Position) -> dict[str, str]:
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[t.TextDocumentContentChangeWholeDocument(text=text)]))
        result = await client.text_document_completion_async(t.CompletionParams(
            text_document=t.TextDocumentIdentifier(uri=uri), position=where))
        return {i.label: i.detail for i in result.items}

    text = PIPELINE.replace("> params.treshold", "> params.")
    assert await labels(text, _pos(text, "> params.", len("> params."))) == {"threshold": "float = 0.8"}
    text = PIPELINE.replace("steps.train.outputs.train_accuracy", "steps.train.outputs.")
    outputs = await labels(text, _pos(text, "steps.train.outputs.", len("steps.train.outputs.")))
    assert outputs == {"train_accuracy": "float", "model": "model", "metrics": "metrics"}
    text = PIPELINE.replace("needs: [train]", "needs: [")
    assert set(await labels(text, _pos(text, "needs: [", len("needs: [")))) == {"prepare", "train", "deploy"}
    text = PIPELINE.replace("uses: stdlib/train_sklearn", "uses: stdlib/")
    library = await labels(text, _pos(text, "uses: stdlib/", len("uses: stdlib/")))
    assert "stdlib/train_sklearn" in library and "stdlib/train_torch_ddp" in library
    text = PIPELINE.replace('    with: {train: "${{ steps.prepare.outputs.train }}"}\n',
                            "    with:\n      \n")
    inputs = await labels(text, _pos(text, "    with:\n      ", len("    with:\n      ")))
    assert inputs["train"] == "dataset: Training rows as CSV, with the target column."
    assert inputs["algorithm"].startswith('string = "random_forest"')
    text = PIPELINE.replace("uses: stdlib/train_sklearn", "uses: stdlib/train_torch_ddp").replace(
        "train_accuracy", "final_loss").replace('    with: {train: "${{ steps.prepare.outputs.train }}"}\n',
                                                '    with:\n      train: "${{ steps.prepare.outputs.train }}"\n      \n')
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=4),
        content_changes=[t.TextDocumentContentChangeWholeDocument(text=text)]))
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)  # analysed with the new step
    ddp = await labels(text, _pos(text, '.train }}"\n      ', len('.train }}"\n      ')))
    assert "num_nodes" in ddp and "queue_name" in ddp
    assert "trainjob" not in ddp and "workspace_path" not in ddp  # set by kfyaml compile, never by hand
    text = PIPELINE.replace("    image: alpine\n", "    image: alpine\n    re\n")
    keys = await labels(text, _pos(text, "    re\n", len("    re")))
    assert {"retry", "resources", "if", "for_each"} <= set(keys)


@pytest.mark.asyncio
async def test_hover_definition_references_and_rename(client: LanguageClient, tmp_path):
    uri = _uri(tmp_path)
    text = PIPELINE.replace("treshold", "threshold")
    _open(client, uri, text)
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    doc = t.TextDocumentIdentifier(uri=uri)
    hover = await client.text_document_hover_async(t.HoverParams(text_document=doc, position=_pos(text, "params.threshold", 8)))
    assert hover.contents.value == "param `threshold`: **float**, default `0.8`\n\nThe accuracy to reach"
    hover = await client.text_document_hover_async(t.HoverParams(text_document=doc, position=_pos(text, "outputs.train_accuracy", 9)))
    assert hover.contents.value == "`steps.train.outputs.train_accuracy`: **float**"
    hover = await client.text_document_hover_async(t.HoverParams(text_document=doc, position=_pos(text, "stdlib/train_sklearn", 8)))
    assert hover.contents.value.startswith("**stdlib/train_sklearn**")
    definition = await client.text_document_definition_async(t.DefinitionParams(
        text_document=doc, position=_pos(text, "steps.train.outputs.train_accuracy", 7)))
    assert (definition.range.start.line, definition.range.start.character) == (7, 2)
    refs = await client.text_document_references_async(t.ReferenceParams(
        text_document=doc, position=_pos(text, "  train:", 2), context=t.ReferenceContext(include_declaration=True)))
    assert sorted((r.range.start.line, r.range.start.character) for r in refs) == [(7, 2), (11, 18), (14, 12)]
    edit = await client.text_document_rename_async(t.RenameParams(text_document=doc, position=_pos(text, "  train:", 3),
                                                                   new_name="fit"))
    changed = sorted((e.range.start.line, e.range.start.character, e.range.end.character, e.new_text)
                     for e in edit.changes[uri])
    assert changed == [(7, 2, 7, "fit"), (11, 18, 23, "fit"), (14, 12, 17, "fit")]


@pytest.mark.asyncio
async def test_code_actions_and_symbols(client: LanguageClient, tmp_path):
    uri = _uri(tmp_path)
    text = PIPELINE + "  extra:\n    image: alpine\n    command: [echo]\n    needs: [train, deploy]\n"
    _open(client, uri, text)
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    diagnostics = client.diagnostics[uri]
    typo = next(d for d in diagnostics if d.code == "KY506")
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), range=typo.range, context=t.CodeActionContext(diagnostics=[typo])))
    assert [a.title for a in actions] == ['Change "treshold" to "threshold"']
    (fix,) = actions[0].edit.changes[uri]
    assert (fix.range.start.line, fix.range.start.character, fix.new_text) == (11, 56, "threshold")
    warning = next(d for d in diagnostics if d.code == "KY404")
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), range=warning.range,
        context=t.CodeActionContext(diagnostics=[warning])))
    assert [a.title for a in actions] == ["Silence KY404 on this line"]
    assert actions[0].edit.changes[uri][0].new_text == "  # kfyaml: ignore[KY404]"
    symbols = await client.text_document_document_symbol_async(t.DocumentSymbolParams(
        text_document=t.TextDocumentIdentifier(uri=uri)))
    assert [s.name for s in symbols] == ["threshold", "prepare", "train", "deploy", "extra"]


@pytest.mark.asyncio
async def test_bad_input_never_kills_the_server(client: LanguageClient, tmp_path):
    for i, text in enumerate(["name: x\nsteps:\n  a: {image: alp", "\x00\x01\x02binary", "steps: [" * 5000,
                              "name: big\nsteps:\n" + "".join(f"  s{n}: {{image: alpine}}\n" for n in range(20000)),
                              (EXAMPLES / "language_tour.yaml").read_text()]):
        uri = _uri(tmp_path, f"f{i}.yaml") if i < 4 else (EXAMPLES / "language_tour.yaml").as_uri()
        _open(client, uri, text)
        await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        await client.text_document_completion_async(t.CompletionParams(
            text_document=t.TextDocumentIdentifier(uri=uri), position=t.Position(line=1, character=3)))
    assert list(client.diagnostics[(EXAMPLES / "language_tour.yaml").as_uri()]) == []


@pytest.mark.asyncio
async def test_an_output_goes_to_its_declaration_and_an_unquoted_expression_gets_quoted(client: LanguageClient, tmp_path):
    uri = _uri(tmp_path)
    text = ("name: q\nsteps:\n  make:\n    image: alpine\n    command: [touch, \"${{ outputs.data }}\"]\n"
            "    outputs: {data: dataset}\n  use:\n    image: alpine\n    command: [cat, \"${{ inputs.d }}\"]\n"
            "    inputs: {d: dataset}\n    with: {d: \"${{ steps.make.outputs.data }}\"}\n")
    _open(client, uri, text)
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    found = await client.text_document_definition_async(t.DefinitionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=_pos(text, "outputs.data }}\"}", 9)))
    assert (found.range.start.line, found.range.start.character) == (5, 14)
    broken = text.replace('with: {d: "${{ steps.make.outputs.data }}"}', "with: {d: ${{ steps.make.outputs.data }}}")
    uri2 = _uri(tmp_path, "unquoted.yaml")
    _open(client, uri2, broken)
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    (problem,) = [d for d in client.diagnostics[uri2] if d.code == "KY109"]
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri2), range=problem.range,
        context=t.CodeActionContext(diagnostics=[problem])))
    assert [a.title for a in actions] == ["Quote the expression"]
    assert actions[0].edit.changes[uri2][0].new_text == '"${{ steps.make.outputs.data }}"'


@pytest.mark.asyncio
async def test_a_remote_uses_not_locked_is_reported_and_never_fetched(client: LanguageClient, tmp_path):
    """The editor reads kfyaml.lock only: an unlocked remote `uses:` is KY316, and the server at the URL (a port
    nothing listens on) is never asked."""
    (tmp_path / ".kfyaml.yaml").write_text("{}\n")
    uri = _uri(tmp_path)
    text = ("name: remote\nsteps:\n  hello:\n    uses: git+https://127.0.0.1:9/acme/steps//echo.yaml@v1\n"
            "    with: {msg: hi}\n")
    _open(client, uri, text)
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert [(d.range.start.line, d.range.start.character, d.code, d.message) for d in client.diagnostics[uri]] == [
        (3, 10, "KY316", f"`uses: git+https://127.0.0.1:9/acme/steps//echo.yaml@v1`: not in {tmp_path / 'kfyaml.lock'}; "
                         "run `kfyaml lock` (a remote component is never fetched with `--frozen` or in the editor)")]
