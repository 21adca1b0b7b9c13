"""Parameter and artifact types as the PipelineSpec names them.

kfyaml's type names (`int`, `dataset`, ...) map to KFP's `parameterType`
enum and `system.*` schema titles here, in both directions, so component
files, Python signatures, lowering and the runner agree on one table.
"""

from __future__ import annotations

STRING = "STRING"
INTEGER = "NUMBER_INTEGER"
DOUBLE = "NUMBER_DOUBLE"
BOOLEAN = "BOOLEAN"
LIST = "LIST"
STRUCT = "STRUCT"
FINAL_STATUS = "TASK_FINAL_STATUS"

# kfyaml value type -> KFP parameterType. `any` travels as text.
PARAMETER_TYPE = {"string": STRING, "int": INTEGER, "float": DOUBLE, "bool": BOOLEAN,
                  "list": LIST, "dict": STRUCT, "any": STRING, "status": FINAL_STATUS}
# KFP parameterType -> kfyaml value type (a final status is read as a dict).
VALUE_TYPE = {STRING: "string", INTEGER: "int", DOUBLE: "float", BOOLEAN: "bool",
              LIST: "list", STRUCT: "dict", FINAL_STATUS: "dict"}

ARTIFACT_SCHEMA_VERSION = "0.0.1"
# kfyaml artifact type -> KFP schema title.
SCHEMA_TITLE = {"artifact": "system.Artifact", "dataset": "system.Dataset", "model": "system.Model",
                "metrics": "system.Metrics", "classification_metrics": "system.ClassificationMetrics",
                "html": "system.HTML", "markdown": "system.Markdown"}
ARTIFACT_TYPE = {title: name for name, title in SCHEMA_TITLE.items()}


def parameter_type(value_type: str) -> str:
    """KFP's parameterType for a kfyaml value type; unknown names travel as text."""
    return PARAMETER_TYPE.get(value_type, STRING)


def artifact_type(artifact: str) -> dict:
    """The `artifactType`/`typeSchema` message for a kfyaml artifact type."""
    return {"schemaTitle": SCHEMA_TITLE[artifact], "schemaVersion": ARTIFACT_SCHEMA_VERSION}


def artifact_spec(artifact: str, is_list: bool = False) -> dict:
    """An input or output artifact definition; a list gathers a loop's artifacts."""
    spec = {"artifactType": artifact_type(artifact)}
    if is_list:
        spec["isArtifactList"] = True
    return spec
