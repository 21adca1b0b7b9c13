"""`python -m kfyaml.compiler.cli`: the same as the `kfyaml` command."""

from . import entry

entry()
