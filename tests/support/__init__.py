"""Helpers the tests share: stand-in servers, an LSP client, the IR normaliser, data makers."""
