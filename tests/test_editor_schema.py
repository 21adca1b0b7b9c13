"""The JSON Schema works in editors: the real yaml-language-server reports
an unknown key and a wrong type in a pipeline.yaml that points at it.

The README's test command installs yaml-language-server from npm into
`.node/`; without it this test fails
rather than skips, so CI can never pass while silently not checking editors.
"""

from __future__ import annotations

import shutil

import pytest
from conftest import ROOT
from support.lsp_client import LspClient

PIPELINE = """\
# yaml-language-server: $schema={schema}
name: editor-check
steps:
  train:
    image: 3
    comand: [echo, hi]
"""


LOCAL = ROOT / ".node" / "node_modules" / ".bin" / "yaml-language-server"


@pytest.fixture
def server():
    binary = str(LOCAL) if LOCAL.exists() else shutil.which("yaml-language-server")
    assert binary, "yaml-language-server is not installed: npm install --prefix .node yaml-language-server@2.0.0"
    client = LspClient([binary, "--stdio"])
    yield client
    client.close()


def test_unknown_key_and_wrong_type_are_reported(server, tmp_path):
    schema_uri = (ROOT / "schemas" / "pipeline.schema.json").as_uri()
    path = tmp_path / "pipeline.yaml"
    path.write_text(PIPELINE.format(schema=schema_uri))
    server.settings = {"yaml": {"validate": True, "completion": True, "hover": True, "schemaStore": {"enable": False}}}
    init = server.request("initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {
        "workspace": {"configuration": True}, "textDocument": {"publishDiagnostics": {}}}})
    server.wait_for(lambda m: m.get("id") == init)
    server.notify("initialized", {})
    server.notify("workspace/didChangeConfiguration", {"settings": server.settings})
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": path.as_uri(), "languageId": "yaml", "version": 1, "text": path.read_text()}})
    published = server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                and m["params"]["uri"] == path.as_uri() and m["params"]["diagnostics"])
    found = {(d["range"]["start"]["line"], d["range"]["start"]["character"], d["message"])
             for d in published["params"]["diagnostics"]}
    assert (4, 11, 'Incorrect type. Expected "string".') in found
    assert (5, 4, "Property comand is not allowed.") in found
