"""Real-world KFP pipelines through `kfyaml import` and back (issue 18).

The corpus (tests/data/kfp_corpus/, sources in SOURCES.yaml) holds public
KFP v2 pipelines reduced to their structure. Each is compiled with kfp,
imported, compiled again by kfyaml and compared with KFP's IR: it must come
out as SOURCES.yaml says, equivalent, refused at a located KY602 that names
the real cause, or different only where KFP's own IR is wrong. Below are the
differential tests for what the corpus and KFP's test pipelines taught.
"""

import pytest
import yaml
from kfp import dsl, kubernetes
from kfp.dsl import InputPath, OutputPath
from support import corpus
from support.run_helpers import kfyaml_run
from test_differential import _compare, _kfp_ir, _ours

from kfyaml.compiler import api
from kfyaml.compiler.importer import import_ir

SOURCES = {entry["name"]: entry for entry in yaml.safe_load((corpus.CORPUS / "SOURCES.yaml").read_text())}


def test_the_corpus_is_twenty_pipelines_or_more_each_with_its_source():
    assert sorted(SOURCES) == sorted(p.stem for p in corpus.files())
    assert len(SOURCES) >= 20
    for entry in SOURCES.values():
        assert entry["repo"].count("/") == 1 and entry["path"].endswith(".py") and len(entry["commit"]) == 40
        assert (corpus.CORPUS / f"{entry['name']}.py").read_text().startswith(f"# Reduced from {entry['repo']}/{entry['path']}")


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_corpus_pipeline_comes_back_as_recorded(name, tmp_path):
    expected = SOURCES[name]
    got = corpus.outcome(corpus.CORPUS / f"{name}.py", tmp_path)
    assert got.result == expected["outcome"], got.detail
    if got.result == "refused":
        assert got.detail == expected["diagnostics"]
    if got.result == "differs":
        assert got.detail == expected["differences"]


# ---- what the corpus taught, against KFP's compiler ---------------------------------------------

@dsl.component
def make(out: OutputPath()):
    pass


@dsl.component
def paths(data: InputPath(), table: InputPath(list), out: OutputPath(), counts: OutputPath(dict)):
    pass


def test_untyped_and_generic_path_annotations_match_dsl_component(tmp_path):
    @dsl.pipeline(name="paths")
    def p():
        made = make()
        paths(data=made.outputs["out"], table=[1])

    ours = _ours('''
name: paths
steps:
  make:
    python: |
      def make(out: OutputPath()):
          pass
  paths:
    python: |
      def paths(data: InputPath(), table: InputPath(list), out: OutputPath(), counts: OutputPath(dict)):
          pass
    with: {data: "${{ steps.make.outputs.out }}", table: [1]}
''')
    theirs = _kfp_ir(p, tmp_path)[0]
    _compare(ours[0], theirs)
    component = ours[0]["components"]["comp-paths"]
    assert component["inputDefinitions"] == {
        "artifacts": {"data": {"artifactType": {"schemaTitle": "system.Artifact", "schemaVersion": "0.0.1"}}},
        "parameters": {"table": {"parameterType": "LIST"}}}
    assert component["outputDefinitions"] == {
        "artifacts": {"out": {"artifactType": {"schemaTitle": "system.Artifact", "schemaVersion": "0.0.1"}}},
        "parameters": {"counts": {"parameterType": "STRUCT"}}}


@dsl.container_component
def env_echo():
    return dsl.ContainerSpec(image="alpine", command=["env"])


def test_env_names_with_dashes_and_dots_match_kfp(tmp_path):
    @dsl.pipeline(name="envs")
    def p():
        task = env_echo()
        task.set_env_variable("my-var.v1", "x")
        kubernetes.use_secret_as_env(task, secret_name="creds", secret_key_to_env={"password": "db.password-1"})

    ours = _ours('''
name: envs
steps:
  env_echo:
    image: alpine
    command: [env]
    env: {my-var.v1: x}
    kubernetes:
      secrets:
        - {name: creds, env: {db.password-1: password}}
''')
    theirs = _kfp_ir(p, tmp_path)
    _compare(ours[0], theirs[0], ours[1], theirs[1])


def test_a_function_is_read_as_inspect_reads_it_trailing_comments_included(tmp_path):
    code = "def f(x: str):\n    print(x)\n    # a comment KFP keeps: inspect.getsource reads it as part of f\n"
    result = api.compile_bytes(f"name: c\nsteps:\n  f:\n    python: |\n{_indent(code, 6)}    with: {{x: a}}\n".encode(),
                               "p.yaml")
    assert result.ok, [d.format() for d in result.diagnostics]
    program = result.pipeline_spec["deploymentSpec"]["executors"]["exec-f"]["container"]["command"][-1]
    assert program.endswith(code.rstrip("\n") + "\n\n")


def _indent(text: str, n: int) -> str:
    return "".join(" " * n + line + "\n" for line in text.splitlines())


def test_volume_sub_path_matches_kfp_kubernetes(tmp_path):
    @dsl.pipeline(name="subpath")
    def p(claim: str = "data"):
        task = env_echo()
        kubernetes.mount_pvc(task, pvc_name=claim, mount_path="/models", sub_path="models/v1")

    ours = _ours('''
name: subpath
params:
  claim: {type: string, default: data}
steps:
  env_echo:
    image: alpine
    command: [env]
    kubernetes:
      volumes:
        - {claim: "${{ params.claim }}", mount: /models, sub_path: models/v1}
''')
    theirs = _kfp_ir(p, tmp_path)
    _compare(ours[0], theirs[0], ours[1], theirs[1])
    assert ours[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-env-echo"]["pvcMount"][0]["subPath"] \
        == "models/v1"


TEXT_LOOP = """
name: textloop
steps:
  listing:
    python: |
      def listing() -> str:
          return '["a", "b"]'
  echo_item:
    for_each: ${{ steps.listing.outputs.Output }}
    python: |
      def echo_item(x: str) -> str:
          return x.upper()
    with: {x: "${{ item }}"}
outputs:
  upper: ${{ steps.echo_item.outputs.Output }}
"""


def test_a_loop_over_text_holding_a_json_list_is_a_parameter_iterator_over_it():
    """KFP's backend parses a string into the loop's items (the driver's getItems); KFP's Python SDK
    refuses `ParallelFor` over a `str` output, but IR from elsewhere (v1 components, other tools) has it."""
    spec = _ours(TEXT_LOOP)[0]
    loop = spec["root"]["dag"]["tasks"]["for-loop-1"]
    assert loop["parameterIterator"] == {"itemInput": "pipelinechannel--listing--Output-loop-item",
                                         "items": {"inputParameter": "pipelinechannel--listing--Output"}}
    assert loop["inputs"]["parameters"]["pipelinechannel--listing--Output"] == {
        "taskOutputParameter": {"outputParameterKey": "Output", "producerTask": "listing"}}


@pytest.mark.slow
def test_kfyaml_run_loops_over_the_items_the_text_holds(tmp_path):
    (tmp_path / "p.yaml").write_text(TEXT_LOOP)
    code, result, stderr = kfyaml_run(tmp_path / "p.yaml", tmp_path / "wd")
    assert code == 0, stderr
    assert result["outputs"]["parameters"]["upper"] == ["A", "B"]


def test_importer_download_to_workspace_is_refused_at_its_place(tmp_path):
    @dsl.pipeline(name="ws", pipeline_config=dsl.PipelineConfig(workspace=dsl.WorkspaceConfig(size="1Gi")))
    def p():
        dsl.importer(artifact_uri="gs://b/x", artifact_class=dsl.Dataset, download_to_workspace=True)

    ir = tmp_path / "ws.yaml"
    from kfp import compiler

    compiler.Compiler().compile(p, str(ir))
    result = import_ir(ir.read_text(), "ws.yaml")
    lines = ir.read_text().splitlines()
    where = next(i for i, line in enumerate(lines, 1) if "downloadToWorkspace" in line)
    assert [d.format() for d in result.diagnostics] == [
        f"ws.yaml:{where}:9: error: an importer with `dsl.importer(download_to_workspace=True)`, which copies the "
        "artifact into the run's workspace (`dsl.PipelineConfig(workspace=...)`): kfyaml's `importer:` has no form for "
        "it yet [KY602]"]


# ---- pipeline-level settings: display name, pipeline root, dsl.PipelineConfig ------------------------

@dsl.container_component
def write(path: str):
    return dsl.ContainerSpec(image="alpine", command=["sh", "-c", 'mkdir -p "$0" && echo hi > "$0/x"', path])


WORKSPACE = """
name: ws
display_name: Workspace demo
pipeline_root: s3://bucket/root
pipeline_config:
  timeout: 15m
  ttl_after_finished: 1h
  ttl_after_success: 60
  ttl_after_failure: 2h
  workspace:
    size: 10Gi
    pvc_spec_patch: {storageClassName: fast}
steps:
  write:
    image: alpine
    command: [sh, -c, 'mkdir -p "$0" && echo hi > "$0/x"', "${{ inputs.path }}"]
    inputs: {path: string}
    with: {path: "${{ pipeline.workspace_path }}"}
  write_2:
    image: alpine
    command: [sh, -c, 'mkdir -p "$0" && echo hi > "$0/x"', "${{ inputs.path }}"]
    inputs: {path: string}
    with: {path: "${{ pipeline.workspace_path }}/sub"}
"""


def test_display_name_pipeline_root_and_pipeline_config_match_kfp(tmp_path):
    @dsl.pipeline(name="ws", display_name="Workspace demo", pipeline_root="s3://bucket/root",
                  pipeline_config=dsl.PipelineConfig(
                      workspace=dsl.WorkspaceConfig(size="10Gi", kubernetes=dsl.KubernetesWorkspaceConfig(
                          pvcSpecPatch={"storageClassName": "fast"})),
                      ttl_seconds_after_finished=3600, ttl_seconds_after_success=60, ttl_seconds_after_failure=7200,
                      active_deadline_seconds=900))
    def p():
        write(path=dsl.WORKSPACE_PATH_PLACEHOLDER)
        write(path=f"{dsl.WORKSPACE_PATH_PLACEHOLDER}/sub")

    ours = _ours(WORKSPACE)
    theirs = _kfp_ir(p, tmp_path)  # also imports KFP's IR and compiles it back (the round trip)
    _compare(ours[0], theirs[0], ours[1], theirs[1])
    for key in ("defaultPipelineRoot", "pipelineInfo"):
        assert ours[0][key] == theirs[0][key]
    assert ours[1]["platforms"]["kubernetes"]["pipelineConfig"] == theirs[1]["platforms"]["kubernetes"]["pipelineConfig"]
    assert ours[0]["root"]["dag"]["tasks"]["write-2"]["inputs"]["parameters"]["path"] == {
        "runtimeValue": {"constant": "{{$.workspace_path}}/sub"}}


def test_imported_pipeline_settings_are_written_as_kfyaml(tmp_path):
    result = api.compile_bytes(WORKSPACE.encode(), "p.yaml")
    ir = tmp_path / "ws.ir.yaml"
    ir.write_text(result.ir_text())
    imported = import_ir(ir.read_text(), "ws.ir.yaml")
    assert imported.ok, [d.format() for d in imported.diagnostics]
    doc = yaml.safe_load(imported.files["pipeline.yaml"])
    assert list(doc)[:4] == ["name", "display_name", "pipeline_root", "pipeline_config"]
    assert doc["pipeline_config"] == {"timeout": 900, "ttl_after_finished": 3600, "ttl_after_success": 60,
                                      "ttl_after_failure": 7200,
                                      "workspace": {"size": "10Gi", "pvc_spec_patch": {"storageClassName": "fast"}}}


@pytest.mark.parametrize("change, expected", [
    (("  workspace:\n    size: 10Gi\n    pvc_spec_patch: {storageClassName: fast}\n", ""),
     ["15:19: KY502: `pipeline.workspace_path` is the run's workspace, and this pipeline has none: add "
      "`pipeline_config: {workspace: {size: 10Gi}}`",
      "20:19: KY502: `pipeline.workspace_path` is the run's workspace, and this pipeline has none: add "
      "`pipeline_config: {workspace: {size: 10Gi}}`"]),
    (("size: 10Gi", "size: ten"), ['11:11: KY309: "ten" is not a size Kubernetes accepts; write a quantity such as '
                                   "`10Gi` or `500Mi`"]),
    (("s3://bucket/root", "bucket/root"), ['4:16: KY201: "pipeline_root" is a URI with a scheme, where KFP stores '
                                           "artifacts (`s3://bucket/root`, `gs://bucket/root`, `minio://...`), not "
                                           '"bucket/root"']),
    (("timeout: 15m", "timeout: soon"), ['6:12: KY310: the string "soon" is not a duration for "timeout"; '
                                         "write seconds (`90`) or `30s`, `5m`, `2h`, `1d`"]),
])
def test_pipeline_settings_errors_are_located(change, expected):
    result = api.compile_bytes(WORKSPACE.replace(*change).encode(), "p.yaml")
    assert [f"{d.line}:{d.col}: {d.code}: {d.message}" for d in result.diagnostics] == expected


@pytest.mark.slow
def test_kfyaml_run_gives_the_steps_one_workspace_folder(tmp_path):
    (tmp_path / "p.yaml").write_text(WORKSPACE)
    code, result, stderr = kfyaml_run(tmp_path / "p.yaml", tmp_path / "wd")
    assert code == 0, stderr
    workspace = next((tmp_path / "wd" / "runs").iterdir()) / "workspace"
    assert (workspace / "x").read_text() == "hi\n" and (workspace / "sub" / "x").read_text() == "hi\n"
    assert "pipeline_config's timeout and ttl_* settings apply on a cluster; kfyaml run does not enforce them" in stderr


# ---- what KFP's own test pipelines taught: imported, or refused at their place ----------------------

@dsl.component
def make_artifact() -> dsl.Artifact:
    artifact = dsl.Artifact(uri=dsl.get_uri("a"))
    return artifact


@dsl.component
def read_dataset(data: dsl.Input[dsl.Dataset]):
    print(data.path)


def test_a_generic_artifact_fits_a_dataset_input_as_kfp_allows(tmp_path):
    @dsl.pipeline(name="generic")
    def p():
        read_dataset(data=make_artifact().output)

    ours = _ours('''
name: generic
steps:
  make_artifact:
    python: |
      def make_artifact() -> dsl.Artifact:
          artifact = dsl.Artifact(uri=dsl.get_uri("a"))
          return artifact
  read_dataset:
    python: |
      def read_dataset(data: dsl.Input[dsl.Dataset]):
          print(data.path)
    with: {data: "${{ steps.make_artifact.outputs.Output }}"}
''')
    _compare(ours[0], _kfp_ir(p, tmp_path)[0])


@dsl.component(use_venv=True, packages_to_install=["yapf"])
def in_venv():
    pass


@dsl.container_component
def read_list(data: dsl.Input[list[dsl.Dataset]]):
    return dsl.ContainerSpec(image="alpine", command=["cat"], args=[data])


@dsl.component
def double(n: int) -> int:
    return 2 * n


@dsl.component
def total(ns: list) -> int:
    return sum(ns)


def _venv():
    in_venv()


def _artifact_list_in_command():
    with dsl.ParallelFor([1, 2]):
        made = make_artifact()
    read_list(data=dsl.Collected(made.output))


def _conditional_gathered():
    with dsl.ParallelFor([1, 2, 3]) as x:
        with dsl.If(x >= 2):
            doubled = double(n=x)
    total(ns=dsl.Collected(doubled.output))


@pytest.mark.parametrize("body, at, expected", [
    (_venv, "command -v pip", "a Python component made with `use_venv=True` (it installs into a virtualenv of its own "
                               "in the container): kfyaml's python steps install into the image's Python; import it "
                               "again without the argument"),
    (_artifact_list_in_command, "{{$.inputs.artifacts[''data'']}}",
     "the command reads `data`, a list of artifacts (`Input[List[...]]`), as KFP's JSON of the list: an inline step "
     "has no form for it yet (a `python:` step receives the list as objects)"),
    (_conditional_gathered, "total:",
     'kfyaml would refuse what this imports to: the step "total" (pipeline.yaml:15:17): `steps.double.outputs.Output` '
     'may not exist: step "double" is skipped when its `if:` is false; read it inside the same `if:` (put both in a '
     "group), or use `branches:` with an `else:` and a branch output [KY406]. kfyaml writes nothing it cannot "
     "compile; where KFP would fail on it too when the run gets there, fix the pipeline in Python"),
])
def test_what_kfyaml_cannot_say_is_refused_at_its_place_in_the_ir(body, at, expected, tmp_path):
    from kfp import compiler

    ir = tmp_path / "p.yaml"
    compiler.Compiler().compile(dsl.pipeline(name="p")(body), str(ir))
    result = import_ir(ir.read_text(), "p.yaml")
    assert result.files == {}
    [diag] = result.diagnostics
    assert (diag.code, diag.message) == ("KY602", expected)
    assert at in ir.read_text().splitlines()[diag.line - 1]
