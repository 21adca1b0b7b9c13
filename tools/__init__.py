"""Scripts that regenerate committed files (golden IR, docs/checks.md, the stdlib catalog)."""
