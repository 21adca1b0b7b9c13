"""The registry of diagnostic codes: one named constant per code.

Every emit site names its code by constant (`codes.DUPLICATE_KEY`), never
by string, so `grep DUPLICATE_KEY` finds where a code comes from;
`passes` says which passes report it (docs/checks.md prints it, and
tests/test_codes.py checks it against the source). Codes are numbered by
the pass that mostly reports them:

    KY1xx load and configuration, KY2xx schema, KY3xx resolve,
    KY4xx references and graph, KY5xx expressions and types, KY6xx `kfyaml import`,
    KY9xx kfyaml itself.
"""

from __future__ import annotations

import dataclasses
import enum


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclasses.dataclass(frozen=True)
class Code:
    id: str
    title: str
    passes: tuple[str, ...]
    description: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return self.id


# Each pass and the source it lives in; a code's `passes` name these.
PASSES = {
    "load": "compiler/load.py",
    "suppress": "compiler/suppress.py",
    "schema": "compiler/validate_schema.py",
    "resolve": "compiler/resolve/",
    "references": "compiler/checks/references.py",
    "graph": "compiler/checks/graph.py",
    "types": "compiler/checks/types.py",
    "api": "compiler/api.py",
    "gate": "compiler/ir_gate.py",
    "cli": "compiler/cli/",
    "import": "compiler/importer/",
}

W = Severity.WARNING
CODES: dict[str, Code] = {}


def _code(id: str, title: str, passes: str, description: str, severity: Severity = Severity.ERROR) -> Code:
    code = Code(id, title, tuple(passes.split()), description, severity)
    assert id not in CODES, id
    CODES[id] = code
    return code


YAML_SYNTAX = _code("KY101", "yaml-syntax", "load resolve", "The file is not valid YAML. The message says what the YAML parser expected.")
DUPLICATE_KEY = _code("KY102", "duplicate-key", "load", "A mapping has the same key twice; YAML loaders silently keep the last one, so kfyaml refuses it.")
ALIAS_BOMB = _code("KY103", "alias-bomb", "load", "Anchors and aliases expand to more nodes than a pipeline could need (an alias bomb).")
TOO_DEEP = _code("KY104", "too-deep", "load", "Nesting is deeper than any pipeline needs; the limit protects the compiler's stack.")
TOO_LARGE = _code("KY105", "too-large", "load", "The file is larger than the size limit for a pipeline file.")
NOT_UTF8 = _code("KY106", "not-utf8", "load", "The file is not UTF-8 text.")
EMPTY_FILE = _code("KY107", "empty-file", "load", "The file holds no YAML document.")
UNREADABLE = _code("KY108", "unreadable", "load", "The file could not be read (missing, a directory, or no permission).")
UNQUOTED_EXPRESSION = _code("KY109", "unquoted-expression", "load", "A `${{ }}` expression stands unquoted inside a YAML flow mapping or list, where `{` and `}` are syntax.")
YAML_TAG = _code("KY110", "yaml-tag", "load", "A YAML tag (`!!python/object`, `!custom`) that a pipeline file has no use for.")
YAML_FORM = _code("KY111", "yaml-form", "load", "YAML that parses but that no pipeline can hold: a key that is not a plain string, a `<<` merge of something other than a mapping, a tagged scalar whose text does not fit its tag.")
BAD_SUPPRESSION = _code("KY112", "bad-suppression", "suppress", "A `# kfyaml: ignore[...]` comment or a configuration file names a code kfyaml does not have, or an error (only warnings can be ignored), or the configuration itself is malformed.", W)
SCHEMA = _code("KY201", "schema", "schema", "A value has the wrong type or form for its key, or a required key is missing.")
UNKNOWN_KEY = _code("KY202", "unknown-key", "schema", "A key that the pipeline language does not have; often a misspelling.")
UNKNOWN_STDLIB_STEP = _code("KY301", "unknown-stdlib-step", "resolve", "`uses: stdlib/<name>` names no step of the standard library.")
BAD_USES = _code("KY302", "bad-uses", "resolve", "`uses:` names a file that is not a KFP component or kfyaml pipeline, or no `components:` entry, or is not a reference at all.")
UNKNOWN_INPUT = _code("KY303", "unknown-input", "types", "`with:` sets an input that the step does not declare.")
MISSING_INPUT = _code("KY304", "missing-input", "types", "A required input of the step is not set in `with:`.")
UNKNOWN_PLACEHOLDER = _code("KY305", "unknown-placeholder", "resolve", "`${{ inputs.x }}` or `${{ outputs.y }}` in a command names nothing the step declares.")
UNUSED_DECLARATION = _code("KY306", "unused-declaration", "resolve", "An inline step declares an input or output that its command and args never use, so it can never be read or written.", W)
DUPLICATE_ID = _code("KY307", "duplicate-id", "resolve", "A step id is used twice; ids are unique in the whole file, groups and `finally:` included.")
BAD_DEFAULT = _code("KY308", "bad-default", "resolve", "A default value does not have the declared type.")
BAD_RESOURCE = _code("KY309", "bad-resource", "resolve", "A CPU, memory or GPU value Kubernetes would not accept.")
BAD_DURATION = _code("KY310", "bad-duration", "schema resolve", "A duration (`timeout`, `retry.backoff`) that is not a number of seconds or a `10s`/`5m`/`2h` form.")
PYTHON_STEP = _code("KY311", "python-step", "resolve", "A `python:` step's code or file: it does not parse, has no such function, or uses an annotation KFP cannot pass.")
FILE_CYCLE = _code("KY312", "file-cycle", "resolve", "Pipeline files use each other in a cycle; the message gives the chain.")
MISPLACED_KEY = _code("KY313", "misplaced-key", "resolve", "Keys that are each valid but not together or not here: two kinds on one step, `with:` on a group, `as:` without a loop, container keys on a `uses:` step, settings on a step that runs a whole pipeline.")
BAD_MATRIX = _code("KY314", "bad-matrix", "resolve", "A `matrix:` with no axis, an `include`/`exclude` entry that names no axis or matches nothing, or no combination left.")
CYCLE = _code("KY401", "cycle", "graph", "Steps depend on each other in a cycle; the message gives the path.")
UNKNOWN_STEP = _code("KY402", "unknown-step", "references graph", "`needs:` or `steps.<id>` names no step.")
SELF_DEPENDENCY = _code("KY403", "self-dependency", "references graph", "A step needs or reads itself.")
REDUNDANT_NEEDS = _code("KY404", "redundant-needs", "graph", "A `needs:` entry already follows from the step's data or from another need.", W)
UNUSED_PARAM = _code("KY405", "unused-param", "graph", "A pipeline param that no step, condition or output uses.", W)
CONDITIONAL_OUTPUT = _code("KY406", "conditional-output", "references", "A step's output is read outside the `if:` that may skip that step.")
LOOP_SCOPE = _code("KY407", "loop-scope", "references", "A loop variable or matrix value is used outside its loop.")
FINALLY_READS_STEP = _code("KY408", "finally-reads-step", "references", "A `finally:` step reads a main step's output, which may not exist when the pipeline failed.")
STATUS_OUTSIDE_FINALLY = _code("KY409", "status-outside-finally", "references", "`pipeline.status` is only known to steps in `finally:`.")
BRANCH_STRUCTURE = _code("KY410", "branch-structure", "resolve", "Branches out of order (`if:` first, `else:` last), or branch outputs that are not declared by every branch or lack an `else:`.")
EXPRESSION_SYNTAX = _code("KY501", "expression-syntax", "resolve", "A `${{ }}` expression that does not parse, or is not closed.")
UNKNOWN_NAME = _code("KY502", "unknown-name", "references types", "A name in an expression that is not a param, step output, loop variable or `pipeline.status`.")
TYPE_MISMATCH = _code("KY503", "type-mismatch", "references types", "A value's type does not match where it is used (an input, a comparison, a condition).")
UNSUPPORTED_EXPRESSION = _code("KY504", "unsupported-expression", "resolve types", "An expression uses syntax outside the language (filters, calls, arithmetic).")
UNKNOWN_OUTPUT = _code("KY505", "unknown-output", "references", "`steps.<id>.outputs.<name>` names an output the step does not have.")
UNKNOWN_PARAM = _code("KY506", "unknown-param", "references", "`params.<name>` names no param.")
ARTIFACT_IN_TEXT = _code("KY507", "artifact-in-text", "resolve types", "An artifact is used inside text or a condition, where only values can be.")
ENV_EXPRESSION = _code("KY508", "env-expression", "resolve", "An `env:` value is an expression; KFP sets environment variables from literals only.")
EXPRESSION_NOT_ALLOWED = _code("KY509", "expression-not-allowed", "resolve", "A `${{ }}` in a field that takes literal text only (a display name, a node selector, a toleration, an image pull secret, a param's default...); it would reach the IR as written.")
IMPORT_NOT_IR = _code("KY601", "import-not-ir", "import", "`kfyaml import` was given a file that is not compiled KFP IR (a PipelineSpec): not YAML, not a pipeline, or too large.")
IMPORT_UNSUPPORTED = _code("KY602", "import-unsupported", "import", "Compiled KFP IR uses something kfyaml has no form for yet; `kfyaml import` reports it at its place in the IR instead of guessing, and writes nothing.")
IMPORT_SOURCE = _code("KY603", "import-source", "import", "`kfyaml import --source` was given a file that is not the pipeline's Python: not valid Python, or no `@dsl.pipeline` function that compiles to the IR's pipeline.")
REMOTE_USES = _code("KY316", "remote-uses", "resolve", "A remote `uses:` (`git+URL//PATH@REF`, or `https://...` with `sha256:`) that cannot be used: written wrongly, with credentials in it, not in kfyaml.lock with `--frozen`, not fetched, or a tag that moved.")
DIGEST_MISMATCH = _code("KY317", "digest-mismatch", "resolve", "A remote component's content does not match the SHA-256 that kfyaml.lock (or `sha256:`) pins: it was changed after it was locked, in the cache, the vendored copy or at its source.")
BAD_SCHEDULE = _code("KY315", "bad-schedule", "resolve", "A `schedule:` that KFP could not run: a cron expression that does not parse, both or neither of `cron` and `interval`, an unknown time zone, a start or end that is not an ISO 8601 time, params the pipeline does not have.")
TRAINJOB = _code("KY318", "trainjob", "resolve", "A multi-node `stdlib/train_torch_ddp` step whose Kubeflow Trainer TrainJob cannot be rendered when the pipeline compiles: a TrainJob field given by an expression, no volume the nodes share (a workspace or `shared_volume_claim`), an input only kfyaml sets, or a field Trainer v2.3's TrainJob CRD refuses.")
DEBUG_PAUSE = _code("KY319", "debug-pause", "resolve", "A `debug_pause:` that asks for nothing KFP can do: `on_error: true` with `after: false`, or neither `before` nor `after`.")
SHELL_INJECTION = _code("KY510", "shell-injection", "resolve", "A value input is pasted into a `sh -c` (bash, ...) script, where a value holding `;`, `$(...)` or quotes runs as commands; pass it as an argument after the script (`\"$0\"`).", W)
INTERNAL_ERROR = _code("KY900", "internal-error", "api gate cli", "kfyaml itself failed (compiling the file, or running it with `kfyaml run`). Nothing was written; please report the file.")
