"""Differential tests for KFP forms kfyaml got wrong: each compiled by kfyaml and by `kfp.compiler`.

- a `finally:` step that runs a nested pipeline waits for the exit handler, as a leaf step does;
- a v1 component file's own `env` is kept, a step's env overrides it key by key;
- a v1 component's optional artifact input stays optional (IfPresent works);
- bare `List[Model]` and `Dataset` annotations on Python steps are artifact inputs.
"""


import textwrap

import pytest
import yaml
from kfp import components, dsl
from support.normalize_ir import normalize
from test_differential import _compare, _kfp_ir, _module, _named

from kfyaml.compiler import api

V1_ENV = """\
name: Env probe
inputs:
  - {name: data, type: Dataset, optional: true}
implementation:
  container:
    image: alpine
    command: [sh, -c, 'env']
    args:
      - if:
          cond: {isPresent: data}
          then: [--data, {inputPath: data}]
    env:
      A: "1"
      B: "2"
"""


def _compiled(path) -> list[dict]:
    result = api.compile_file(str(path))
    assert result.ok, [d.format() for d in result.diagnostics]
    return list(yaml.safe_load_all(result.ir_text()))


@dsl.container_component
def echo(x: str):
    return dsl.ContainerSpec(image="alpine", command=["echo", x])


def test_a_finally_step_that_runs_a_nested_pipeline_waits_for_the_exit_handler(tmp_path):
    @dsl.pipeline(name="sub")
    def sub(msg: str = "bye"):
        _named(echo(x=msg), "say")

    @dsl.pipeline(name="outer")
    def outer():
        handler = _named(sub(msg="done"), "goodbye")
        with dsl.ExitHandler(handler):
            _named(echo(x="main"), "work")

    (tmp_path / "sub.yaml").write_text("""
name: sub
params:
  msg: {type: string, default: bye}
steps:
  say:
    image: alpine
    command: [echo, "${{ inputs.x }}"]
    inputs: {x: string}
    with: {x: "${{ params.msg }}"}
""")
    (tmp_path / "outer.yaml").write_text("""
name: outer
steps:
  work:
    image: alpine
    command: [echo, "${{ inputs.x }}"]
    inputs: {x: string}
    with: {x: main}
finally:
  goodbye:
    uses: ./sub.yaml
    with: {msg: done}
""")
    ours = _compiled(tmp_path / "outer.yaml")[0]
    theirs = _kfp_ir(outer, tmp_path)[0]
    _compare(ours, theirs)
    task = ours["root"]["dag"]["tasks"]["goodbye"]
    assert task["dependentTasks"] == ["exit-handler-1"]
    assert task["triggerPolicy"] == {"strategy": "ALL_UPSTREAM_TASKS_COMPLETED"}
    kfp_task = next(t for t in theirs["root"]["dag"]["tasks"].values() if t["taskInfo"]["name"] == "goodbye")
    assert (task["triggerPolicy"], task["dependentTasks"]) == (kfp_task["triggerPolicy"], kfp_task["dependentTasks"])


def test_a_v1_component_keeps_its_env_and_optional_artifact(tmp_path):
    (tmp_path / "probe.yaml").write_text(V1_ENV)
    probe = components.load_component_from_file(str(tmp_path / "probe.yaml"))

    @dsl.pipeline(name="envs")
    def envs():
        t = _named(probe(), "probe")
        t.set_env_variable("B", "3")
        t.set_env_variable("C", "4")

    (tmp_path / "envs.yaml").write_text("""
name: envs
steps:
  probe:
    uses: ./probe.yaml
    env: {B: "3", C: "4"}
""")
    ours = _compiled(tmp_path / "envs.yaml")[0]
    theirs = _kfp_ir(envs, tmp_path)[0]
    _compare(ours, theirs)
    ours_exec = next(iter(ours["deploymentSpec"]["executors"].values()))["container"]
    theirs_exec = next(iter(theirs["deploymentSpec"]["executors"].values()))["container"]
    assert ours_exec["env"] == theirs_exec["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"},
                                                      {"name": "C", "value": "4"}]
    ours_comp = next(c for c in ours["components"].values() if "executorLabel" in c)
    assert ours_comp["inputDefinitions"] == theirs["components"]["comp-env-probe"]["inputDefinitions"]
    assert ours_comp["inputDefinitions"]["artifacts"]["data"]["isOptional"] is True


BARE_SOURCE = '''\
def pick(models: List[Model], data: Dataset, best: Output[Model]):
    pass
'''


def test_bare_list_of_artifacts_and_bare_artifact_annotations(tmp_path):
    pick = dsl.component(_module(tmp_path, "pick", BARE_SOURCE),
                         base_image="python:3.11")

    @dsl.container_component
    def model(m: dsl.Output[dsl.Model]):
        return dsl.ContainerSpec(image="alpine", command=["touch", m.path])

    @dsl.container_component
    def dataset(m: dsl.Output[dsl.Dataset]):
        return dsl.ContainerSpec(image="alpine", command=["touch", m.path])

    @dsl.pipeline(name="bare")
    def bare():
        with dsl.ParallelFor([1, 2]):
            made = _named(model(), "made")
        data = _named(dataset(), "data")
        _named(pick(models=dsl.Collected(made.outputs["m"]), data=data.outputs["m"]), "pick")

    body = textwrap.indent(BARE_SOURCE, "      ")
    (tmp_path / "bare.yaml").write_text(f"""
name: bare
steps:
  made:
    for_each: [1, 2]
    image: alpine
    command: [touch, "${{{{ outputs.m }}}}"]
    outputs: {{m: model}}
  data:
    image: alpine
    command: [touch, "${{{{ outputs.m }}}}"]
    outputs: {{m: dataset}}
  pick:
    python: |
{body}
    with: {{models: "${{{{ steps.made.outputs.m }}}}", data: "${{{{ steps.data.outputs.m }}}}"}}
""")
    ours = _compiled(tmp_path / "bare.yaml")[0]
    theirs = _kfp_ir(bare, tmp_path)[0]
    assert ours["components"]["comp-pick"]["inputDefinitions"] == theirs["components"]["comp-pick"]["inputDefinitions"]
    assert normalize(ours)["pick"]["inputs"] == normalize(theirs)["pick"]["inputs"]



@dsl.container_component
def two(x: str, y: str):
    return dsl.ContainerSpec(image="alpine", command=["echo", x, y])


@dsl.container_component
def failing():
    return dsl.ContainerSpec(image="alpine", command=["false"])


def test_run_time_names_and_ignore_upstream_failure(tmp_path):
    @dsl.pipeline(name="runtime")
    def runtime():
        f = _named(failing(), "fail")
        e = _named(two(x=dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
                       y=f"run {dsl.PIPELINE_JOB_ID_PLACEHOLDER} task {dsl.PIPELINE_TASK_NAME_PLACEHOLDER} "
                         f"{dsl.PIPELINE_TASK_ID_PLACEHOLDER} {dsl.PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER} "
                         f"{dsl.PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER} {dsl.PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER}"),
                   "echo")
        e.after(f)
        e.ignore_upstream_failure()

    (tmp_path / "runtime.yaml").write_text("""
name: runtime
steps:
  fail:
    image: alpine
    command: ["false"]
  echo:
    image: alpine
    command: [echo, "${{ inputs.x }}", "${{ inputs.y }}"]
    inputs: {x: string, y: string}
    with:
      x: ${{ pipeline.job_name }}
      y: "run ${{ pipeline.job_id }} task ${{ task.name }} ${{ task.id }} ${{ pipeline.job_resource_name }} ${{ pipeline.create_time }} ${{ pipeline.schedule_time }}"
    needs: fail
    ignore_upstream_failure: true
""")
    ours = _compiled(tmp_path / "runtime.yaml")[0]
    theirs = _kfp_ir(runtime, tmp_path)[0]
    _compare(ours, theirs)
    mine, kfps = ours["root"]["dag"]["tasks"]["echo"], theirs["root"]["dag"]["tasks"]["two"]
    assert mine["inputs"] == kfps["inputs"]
    assert mine["triggerPolicy"] == kfps["triggerPolicy"] == {"strategy": "ALL_UPSTREAM_TASKS_COMPLETED"}


SIGNATURES = '''\
def sig(a: Optional[str], b: int = None, c: InputPath("Dataset") = None, d: InputPath(str) = None,
        e: OutputPath("Model") = None, g: OutputPath(int) = None, h: Artifact = None,
        i: Optional[List[int]] = None) -> NamedTuple("Outputs", out=float, model=Model):
    pass
'''
RETURNS_ARTIFACT = '''\
def made() -> Dataset:
    pass
'''


@pytest.mark.parametrize(("name", "source", "args"), [("sig", SIGNATURES, {"a": "x"}), ("made", RETURNS_ARTIFACT, {})])
def test_python_signatures_as_kfp_reads_them(tmp_path, name, source, args):
    """Optional[T], T = None, InputPath/OutputPath of values and artifacts, bare artifacts, artifact returns,
    the keyword form of NamedTuple: the same interface and executor as @dsl.component."""
    kfp_component = dsl.component(_module(tmp_path, name, source), base_image="python:3.11")

    @dsl.pipeline(name="p")
    def p():
        _named(kfp_component(**args), name)

    body = textwrap.indent(source, "      ")
    (tmp_path / f"{name}.yaml").write_text(f"""
name: p
steps:
  {name}:
    python: |
{body}
    image: python:3.11
    with: {args or {}}
""")
    ours = _compiled(tmp_path / f"{name}.yaml")[0]
    theirs = _kfp_ir(p, tmp_path)[0]
    assert ours["components"][f"comp-{name}"] == theirs["components"][f"comp-{name}"]
    assert ours["deploymentSpec"] == theirs["deploymentSpec"]


@dsl.container_component
def use(d: dsl.Input[dsl.Dataset]):
    return dsl.ContainerSpec(image="alpine", command=["cat", d.path])


def test_importer_steps_from_a_param_and_a_literal_inside_a_condition(tmp_path):
    @dsl.pipeline(name="imp")
    def imp(uri: str = "gs://b/x.csv", flag: bool = True):
        i = _named(dsl.importer(artifact_uri=uri, artifact_class=dsl.Dataset, reimport=True,
                                metadata={"source": "lake", "rows": 3}), "importer")
        _named(use(d=i.output), "use")
        with dsl.If(flag == True):  # noqa: E712 (KFP's DSL compares with ==)
            j = _named(dsl.importer(artifact_uri="gs://b/y.csv", artifact_class=dsl.Dataset), "importer_2")
            _named(use(d=j.output), "use_2")

    (tmp_path / "imp.yaml").write_text("""
name: imp
params:
  uri: {type: string, default: gs://b/x.csv}
  flag: {type: bool, default: true}
steps:
  importer:
    importer: {uri: "${{ params.uri }}", type: dataset, metadata: {source: lake, rows: 3}, reimport: true}
  use:
    image: alpine
    command: [cat, "${{ inputs.d }}"]
    inputs: {d: dataset}
    with: {d: "${{ steps.importer.outputs.artifact }}"}
  guarded:
    if: ${{ params.flag == true }}
    steps:
      importer_2:
        importer: {uri: gs://b/y.csv, type: dataset}
      use_2:
        image: alpine
        command: [cat, "${{ inputs.d }}"]
        inputs: {d: dataset}
        with: {d: "${{ steps.importer_2.outputs.artifact }}"}
""")
    ours = _compiled(tmp_path / "imp.yaml")[0]
    theirs = _kfp_ir(imp, tmp_path)[0]
    assert ours["deploymentSpec"]["executors"]["exec-importer"] == theirs["deploymentSpec"]["executors"]["exec-importer"]
    assert ours["deploymentSpec"]["executors"]["exec-importer-2"] == \
        theirs["deploymentSpec"]["executors"]["exec-importer-2"]
    for name in ("comp-importer", "comp-importer-2"):
        assert {k: v for k, v in ours["components"][name].items() if k != "executorLabel"} == \
            {k: v for k, v in theirs["components"][name].items() if k != "executorLabel"}
    assert normalize(ours)["use"]["inputs"] == normalize(theirs)["use"]["inputs"]
    assert ours["root"]["dag"]["tasks"]["importer"]["inputs"] == theirs["root"]["dag"]["tasks"]["importer"]["inputs"]


def test_optional_params_without_a_default(tmp_path):
    from typing import Optional

    @dsl.container_component
    def show(x: str = "none"):
        return dsl.ContainerSpec(image="alpine", command=["echo", x])

    @dsl.pipeline(name="opt")
    def opt(x: Optional[str] = None, y: Optional[int] = None):  # noqa: UP045 (the form KFP documents)
        _named(show(x=x), "show")

    (tmp_path / "opt.yaml").write_text("""
name: opt
params:
  x: {type: string, optional: true}
  y: {type: int, optional: true}
steps:
  show:
    image: alpine
    command: [echo, "${{ inputs.x }}"]
    inputs: {x: {type: string, default: none}}
    with: {x: "${{ params.x }}"}
""")
    ours = _compiled(tmp_path / "opt.yaml")[0]
    theirs = _kfp_ir(opt, tmp_path)[0]
    _compare(ours, theirs)
    assert ours["root"]["inputDefinitions"] == theirs["root"]["inputDefinitions"] == {"parameters": {
        "x": {"isOptional": True, "parameterType": "STRING"}, "y": {"isOptional": True, "parameterType": "NUMBER_INTEGER"}}}


@dsl.container_component
def product(x: int, y: int, out: dsl.OutputPath(int)):
    return dsl.ContainerSpec(image="alpine", command=["sh", "-c", 'echo $(($0 * $1)) > "$2"', x, y, out])


@dsl.container_component
def total(vals: list):
    return dsl.ContainerSpec(image="alpine", command=["echo", vals])


NESTED_LOOPS = """
name: nest
steps:
  rows:
    for_each: [1, 2]
    as: a
    steps:
      product:
        for_each: [3, 4]
        as: b
        image: alpine
        command: [sh, -c, 'echo $(($0 * $1)) > "$2"', "${{ inputs.x }}", "${{ inputs.y }}", "${{ outputs.out }}"]
        inputs: {x: int, y: int}
        outputs: {out: int}
        with: {x: "${{ a }}", y: "${{ b }}"}
"""


def test_fan_in_across_nested_loops_is_a_list_of_lists(tmp_path):
    @dsl.pipeline(name="nest")
    def nest():
        with dsl.ParallelFor([1, 2]) as a:
            with dsl.ParallelFor([3, 4]) as b:
                s = _named(product(x=a, y=b), "product")
        _named(total(vals=dsl.Collected(s.outputs["out"])), "total")

    (tmp_path / "nest.yaml").write_text(NESTED_LOOPS + """  total:
    image: alpine
    command: [echo, "${{ inputs.vals }}"]
    inputs: {vals: list}
    with: {vals: "${{ steps.product.outputs.out }}"}
""")
    ours = _compiled(tmp_path / "nest.yaml")[0]
    theirs = _kfp_ir(nest, tmp_path)[0]
    _compare(ours, theirs)


@dsl.container_component
def make_model(m: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(image="alpine", command=["touch", m.path])


@dsl.container_component
def use_model(m: dsl.Input[dsl.Model]):
    return dsl.ContainerSpec(image="alpine", command=["cat", m.path])


def test_for_each_over_a_list_of_artifacts(tmp_path):
    from typing import List  # noqa: UP035 (KFP reads typing.List)

    @dsl.pipeline(name="inner")
    def inner() -> List[dsl.Model]:  # noqa: UP006 (the form KFP documents)
        with dsl.ParallelFor([1, 2]):
            t = _named(make_model(), "make")
        return dsl.Collected(t.outputs["m"])

    @dsl.pipeline(name="artloop")
    def artloop():
        i = _named(inner(), "models")
        with dsl.ParallelFor(i.output) as m:
            _named(use_model(m=m), "use")

    (tmp_path / "inner.yaml").write_text("""
name: inner
steps:
  make:
    for_each: [1, 2]
    image: alpine
    command: [touch, "${{ outputs.m }}"]
    outputs: {m: model}
outputs:
  Output: ${{ steps.make.outputs.m }}
""")
    (tmp_path / "outer.yaml").write_text("""
name: artloop
steps:
  models:
    uses: ./inner.yaml
  use:
    for_each: ${{ steps.models.outputs.Output }}
    image: alpine
    command: [cat, "${{ inputs.m }}"]
    inputs: {m: model}
    with: {m: "${{ item }}"}
""")
    ours = _compiled(tmp_path / "outer.yaml")[0]
    theirs = _kfp_ir(artloop, tmp_path)[0]
    _compare(ours, theirs)
    loop = next(t for t in ours["root"]["dag"]["tasks"].values() if "artifactIterator" in t)
    kfp_loop = next(t for t in theirs["root"]["dag"]["tasks"].values() if "artifactIterator" in t)
    assert set(loop["artifactIterator"]) == set(kfp_loop["artifactIterator"]) == {"itemInput", "items"}
    assert list(loop["artifactIterator"]["items"]) == ["inputArtifact"]


@dsl.container_component
def pick(cpu: dsl.OutputPath(str), secret: dsl.OutputPath(str)):
    return dsl.ContainerSpec(image="alpine", command=["sh", "-c", "echo 2 > $0; echo s > $1", cpu, secret])


@dsl.container_component
def work():
    return dsl.ContainerSpec(image="alpine", command=["true"])


def test_resources_and_secret_names_from_step_outputs(tmp_path):
    from kfp import kubernetes

    @dsl.pipeline(name="resout")
    def resout():
        p = _named(pick(), "pick")
        w = _named(work(), "work")
        w.set_cpu_limit(p.outputs["cpu"])
        kubernetes.use_secret_as_env(w, secret_name=p.outputs["secret"], secret_key_to_env={"k": "K"})

    (tmp_path / "resout.yaml").write_text("""
name: resout
steps:
  pick:
    image: alpine
    command: [sh, -c, "echo 2 > $0; echo s > $1", "${{ outputs.cpu }}", "${{ outputs.secret }}"]
    outputs: {cpu: string, secret: string}
  work:
    image: alpine
    command: ["true"]
    resources: {cpu: "${{ steps.pick.outputs.cpu }}"}
    kubernetes:
      secrets: [{name: "${{ steps.pick.outputs.secret }}", env: {K: k}}]
""")
    ours = _compiled(tmp_path / "resout.yaml")
    theirs = _kfp_ir(resout, tmp_path)
    _compare(ours[0], theirs[0], ours[1], theirs[1])
    ours_exec = ours[0]["deploymentSpec"]["executors"]["exec-work"]["container"]["resources"]
    assert ours_exec == {"resourceCpuLimit": "{{$.inputs.parameters['pipelinechannel--pick--cpu']}}"}
    secret = ours[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-work"]["secretAsEnv"][0]
    assert secret["secretNameParameter"] == {"taskOutputParameter": {"outputParameterKey": "secret",
                                                                     "producerTask": "pick"}}


@dsl.container_component
def say(x: str):
    return dsl.ContainerSpec(image="alpine", command=["echo", x])


@dsl.container_component
def report(x: str, status: dsl.PipelineTaskFinalStatus):
    return dsl.ContainerSpec(image="alpine", command=["echo", x])


SIDE_BY_SIDE = """
name: side-exit
steps:
  first:
    steps:
      a: {image: alpine, command: [echo, "${{ inputs.x }}"], inputs: {x: string}, with: {x: a}}
    finally:
      report_one:
        image: alpine
        command: [echo, "${{ inputs.x }}"]
        inputs: {x: string, status: dict}
        with: {x: one, status: "${{ pipeline.status }}"}
  second:
    steps:
      b: {image: alpine, command: [echo, "${{ inputs.x }}"], inputs: {x: string}, with: {x: b}}
    finally:
      report_two:
        image: alpine
        command: [echo, "${{ inputs.x }}"]
        inputs: {x: string, status: dict}
        with: {x: two, status: "${{ pipeline.status }}"}
"""


def test_finally_on_groups_is_exit_handlers_side_by_side(tmp_path):
    @dsl.pipeline(name="side-exit")
    def side_exit():
        with dsl.ExitHandler(_named(report(x="one"), "report-one")):
            _named(say(x="a"), "a")
        with dsl.ExitHandler(_named(report(x="two"), "report-two")):
            _named(say(x="b"), "b")

    (tmp_path / "side.yaml").write_text(SIDE_BY_SIDE)
    ours = _compiled(tmp_path / "side.yaml")[0]
    theirs = _kfp_ir(side_exit, tmp_path)[0]
    _compare(ours, theirs)
    for name, handler in (("report-one", "exit-handler-1"), ("report-two", "exit-handler-2")):
        task = ours["root"]["dag"]["tasks"][name]
        assert task["dependentTasks"] == [handler]
        assert task["inputs"]["parameters"]["status"] == {"taskFinalStatus": {"producerTask": handler}}


def test_node_selector_and_tolerations_from_dict_params(tmp_path):
    from kfp import kubernetes

    @dsl.pipeline(name="nsj")
    def nsj(selector: dict = {"zone": "a"}, tol: dict = {"key": "k", "operator": "Exists"}):  # noqa: B006
        w = _named(work(), "work")
        kubernetes.add_node_selector_json(w, node_selector_json=selector)
        kubernetes.add_toleration_json(w, toleration_json=tol)

    (tmp_path / "nsj.yaml").write_text("""
name: nsj
params:
  selector: {type: dict, default: {zone: a}}
  tol: {type: dict, default: {key: k, operator: Exists}}
steps:
  work:
    image: alpine
    command: ["true"]
    kubernetes:
      node_selector: ${{ params.selector }}
      tolerations: ["${{ params.tol }}"]
""")
    ours = _compiled(tmp_path / "nsj.yaml")
    theirs = _kfp_ir(nsj, tmp_path)
    _compare(ours[0], theirs[0], ours[1], theirs[1])
    assert ours[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-work"] == \
        theirs[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-work"] == {
            "nodeSelector": {"nodeSelectorJson": {"componentInputParameter": "selector"}},
            "tolerations": [{"tolerationJson": {"componentInputParameter": "tol"}}]}


def test_node_affinity_terms_and_from_a_dict_step_output(tmp_path):
    from kfp import kubernetes

    @dsl.container_component
    def affinity(out: dsl.OutputPath(dict)):
        return dsl.ContainerSpec(image="alpine", command=["affinity", out])

    @dsl.pipeline(name="aff")
    def aff():
        a = _named(affinity(), "pick")
        w = _named(work(), "work")
        kubernetes.add_node_affinity(w, match_expressions=[{"key": "zone", "operator": "In", "values": ["a", "b"]}],
                                     match_fields=[{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}])
        kubernetes.add_node_affinity(w, match_expressions=[{"key": "gpu", "operator": "Exists"}], weight=50)
        later = _named(work(), "later")
        kubernetes.add_node_affinity_json(later, a.outputs["out"])

    (tmp_path / "aff.yaml").write_text("""
name: aff
steps:
  pick:
    image: alpine
    command: [affinity, "${{ outputs.out }}"]
    outputs: {out: dict}
  work:
    image: alpine
    command: ["true"]
    kubernetes:
      node_affinity:
        - expressions: [{key: zone, operator: In, values: [a, b]}]
          fields: [{key: metadata.name, operator: NotIn, values: [n1]}]
        - {expressions: [{key: gpu, operator: Exists}], weight: 50}
  later:
    image: alpine
    command: ["true"]
    kubernetes:
      node_affinity: ${{ steps.pick.outputs.out }}
""")
    ours = _compiled(tmp_path / "aff.yaml")
    theirs = _kfp_ir(aff, tmp_path)
    _compare(ours[0], theirs[0], ours[1], theirs[1])
    platform = ours[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    assert platform["exec-later"] == {"nodeAffinity": [{"nodeAffinityJson": {"taskOutputParameter": {
        "producerTask": "pick", "outputParameterKey": "out"}}}]}
    assert platform["exec-work"] == theirs[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-work"]


MAYBE = """
    image: alpine
    command: [maybe, "${{ inputs.x }}"]
    inputs:
      d: {type: dataset, optional: true}
      x: {type: string, default: a}
"""


def test_optional_artifact_inputs_on_inline_steps_pipelines_and_nested_pipelines(tmp_path):
    @dsl.container_component
    def maybe(d: dsl.Input[dsl.Dataset] = None, x: str = "a"):
        return dsl.ContainerSpec(image="alpine", command=["maybe", x])

    @dsl.pipeline(name="inner")
    def inner(data: dsl.Input[dsl.Dataset] = None):
        _named(maybe(d=data), "inside")

    @dsl.pipeline(name="optart")
    def optart(data: dsl.Input[dsl.Dataset] = None):
        _named(maybe(d=data), "given")
        _named(maybe(), "unset")
        _named(inner(), "nested")

    (tmp_path / "inner.yaml").write_text(f"""
name: inner
params:
  data: {{type: dataset, optional: true}}
steps:
  inside:{MAYBE}    with: {{d: "${{{{ params.data }}}}"}}
""")
    (tmp_path / "optart.yaml").write_text(f"""
name: optart
params:
  data: {{type: dataset, optional: true}}
steps:
  given:{MAYBE}    with: {{d: "${{{{ params.data }}}}"}}
  unset:{MAYBE}
  nested:
    uses: ./inner.yaml
""")
    ours = _compiled(tmp_path / "optart.yaml")
    theirs = _kfp_ir(optart, tmp_path)
    _compare(ours[0], theirs[0])
    optional = {"artifactType": {"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"}, "isOptional": True}
    assert ours[0]["root"]["inputDefinitions"] == theirs[0]["root"]["inputDefinitions"] == {"artifacts": {"data": optional}}
    assert ours[0]["components"]["comp-nested"]["inputDefinitions"] == {"artifacts": {"data": optional}}
    assert ours[0]["components"]["comp-given"]["inputDefinitions"]["artifacts"] == {"d": optional}


DOCUMENTED = '''def documented(data: Input[Dataset], rate: float, model: Output[Model], n: int = 3) -> NamedTuple("Outputs", [("acc", float)]):
    """Train a model.

    Args:
        data: The training data.
        rate: Learning rate,
            over two lines.
        model: Where the model goes.

    Returns:
        acc: The accuracy.
    """
    return (1.0,)
'''


def test_python_step_docstrings_describe_inputs_and_outputs_as_kfp_reads_them(tmp_path):
    documented = dsl.component(_module(tmp_path, "documented", DOCUMENTED))

    @dsl.pipeline(name="doc")
    def doc():
        data = _named(dsl.importer(artifact_uri="gs://b/x.csv", artifact_class=dsl.Dataset), "raw")
        _named(documented(data=data.output, rate=0.1), "train")

    (tmp_path / "doc.yaml").write_text("name: doc\nsteps:\n  raw: {importer: {uri: 'gs://b/x.csv', type: dataset}}\n"
                                       "  train:\n    python: |\n" + textwrap.indent(DOCUMENTED, "      ") +
                                       "    with: {data: \"${{ steps.raw.outputs.artifact }}\", rate: 0.1}\n")
    ours = _compiled(tmp_path / "doc.yaml")
    theirs = _kfp_ir(doc, tmp_path)[0]
    _compare(ours[0], theirs)
    interface = lambda spec: {k: v for k, v in spec.items() if k != "executorLabel"}  # noqa: E731
    assert interface(ours[0]["components"]["comp-train"]) == interface(theirs["components"]["comp-documented"])
    assert ours[0]["components"]["comp-train"]["inputDefinitions"]["parameters"]["rate"]["description"] == \
        "Learning rate,\nover two lines."


V1_NAMES = """\
name: Sanitize
inputs:
  - {name: My Input, type: String}
outputs:
  - {name: ../../x, type: String}
  - {name: a/b, type: Dataset}
implementation:
  container:
    image: alpine
    command: [sh, -c, 'echo "$0" > "$1"; echo b > "$2"', {inputValue: My Input}, {outputPath: ../../x}, {outputPath: a/b}]
"""


def test_v1_port_names_are_sanitised_as_kfp_does_so_no_output_leaves_its_folder(tmp_path):
    (tmp_path / "comp.yaml").write_text(V1_NAMES)
    comp = components.load_component_from_file(str(tmp_path / "comp.yaml"))

    @dsl.pipeline(name="names")
    def names():
        _named(comp(my_input="v"), "a")

    (tmp_path / "p.yaml").write_text("name: names\nsteps:\n  a:\n    uses: ./comp.yaml\n    with: {my_input: v}\n")
    ours = _compiled(tmp_path / "p.yaml")
    theirs = _kfp_ir(names, tmp_path)
    _compare(ours[0], theirs[0])
    assert ours[0]["components"]["comp-a"]["outputDefinitions"] == theirs[0]["components"]["comp-sanitize"]["outputDefinitions"]
    assert set(ours[0]["components"]["comp-a"]["outputDefinitions"]["parameters"]) == {"x"}
