"""`kfyaml lsp`: the editor gets everything `kfyaml lint` knows, as you type.

    analysis.py    one document: diagnostics, the resolved model, where every name stands
    completion.py  keys, `${{ }}` names, step ids, `uses:` targets, a step's inputs
    navigate.py    hover, definition, references, rename
    actions.py     quick fixes
    server.py      the LSP wiring (pygls), stdio
"""
