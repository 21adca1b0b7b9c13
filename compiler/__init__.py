"""The kfyaml compiler: pipeline.yaml checked and lowered to KFP v2 IR (see api.py for the passes)."""

__version__ = "0.1.0"
