"""A real editor: Neovim (headless) starts `kfyaml lsp` with its built-in LSP client, opens a pipeline
with a misspelt output, and writes down the diagnostic and a completion it received."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(shutil.which("nvim") is None, reason="Neovim is installed by .ci/run")

PIPELINE = """name: editor
steps:
  make:
    image: alpine
    command: [sh, -c, 'echo 3 > "$0"', "${{ outputs.rows }}"]
    outputs: {rows: int}
  use:
    image: alpine
    command: [echo, "${{ inputs.n }}"]
    inputs: {n: int}
    with: {n: "${{ steps.make.outputs.row }}"}
"""

SCRIPT = """
local out = io.open(OUT, "w")
local id = vim.lsp.start_client({ name = "kfyaml", cmd = { PYTHON, "-m", "kfyaml.compiler.cli", "lsp" }, root_dir = DIR })
vim.cmd("edit " .. FILE)
vim.lsp.buf_attach_client(0, id)
vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 50)
for _, d in ipairs(vim.diagnostic.get(0)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or ""
  out:write(string.format("diagnostic %d:%d %s %s\\n", d.lnum, d.col, code, d.message))
end
local params = { textDocument = { uri = vim.uri_from_bufnr(0) }, position = { line = 10, character = 39 } }
local replies = vim.lsp.buf_request_sync(0, "textDocument/completion", params, 20000) or {}
for _, reply in pairs(replies) do
  local items = reply.result and (reply.result.items or reply.result) or {}
  for _, item in ipairs(items) do out:write("completion " .. item.label .. " " .. (item.detail or "") .. "\\n") end
end
out:close()
vim.lsp.stop_client(id)
vim.cmd("qa!")
"""


def test_neovim_receives_the_diagnostic_and_a_completion(tmp_path):
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    out = tmp_path / "received.txt"
    lua = tmp_path / "check.lua"
    lua.write_text(f'local OUT, PYTHON, DIR, FILE = "{out}", "{sys.executable}", "{tmp_path}", "{tmp_path / "pipeline.yaml"}"\n'
                   + SCRIPT)
    proc = subprocess.run(["nvim", "--headless", "--clean", "-c", f"luafile {lua}"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    received = out.read_text().splitlines() if out.exists() else []
    assert received == [
        'diagnostic 10:15 KY505 step "make" has no output "row"; did you mean "rows"?',
        "completion rows int",
    ], (received, proc.stdout, proc.stderr)
