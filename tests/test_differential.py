"""Differential tests: the same pipeline in kfyaml and in the KFP Python DSL
(container components), compiled by kfyaml and by `kfp.compiler`, must mean
the same after generated names are normalised (see normalize_ir.py): same
tasks, inputs traced to the same sources, same loops, conditions, waits,
interfaces, containers, resources, retry and caching.
"""


import pprint

import yaml
from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Model, Output
from support.normalize_ir import normalize, root_outputs
from support.round_trip import check as round_trip_check

from kfyaml.compiler import api


def _kfp_ir(pipeline_func, tmp_path, round_trip: bool = True) -> list[dict]:
    """KFP's IR for the pipeline; and, unless told not to, the check that `kfyaml import` of it
    compiles back to the same meaning (support/round_trip.py)."""
    path = tmp_path / "kfp.yaml"
    compiler.Compiler().compile(pipeline_func, str(path))
    if round_trip:
        (tmp_path / "imported").mkdir()
        round_trip_check(path, tmp_path / "imported")
    return list(yaml.safe_load_all(path.read_text()))


def _ours(text: str) -> list[dict]:
    result = api.compile_bytes(text.encode(), "p.yaml")
    assert result.ok, [d.format() for d in result.diagnostics]
    return list(yaml.safe_load_all(result.ir_text()))


def _deeper(body: str) -> str:
    """A step body written for the top level, indented for a step inside a group."""
    return body.replace("\n    ", "\n        ")


def _named(task, name: str):
    task.set_display_name(name)
    return task


def _compare(ours: dict, theirs: dict, ours_platform: dict | None = None, theirs_platform: dict | None = None):
    a, b = normalize(ours, ours_platform), normalize(theirs, theirs_platform)
    assert sorted(a) == sorted(b)
    for leaf in a:
        assert a[leaf] == b[leaf], f"task {leaf} differs:\nkfyaml: {pprint.pformat(a[leaf])}\nkfp:    {pprint.pformat(b[leaf])}"
    assert _root_inputs(ours) == _root_inputs(theirs)


def _root_inputs(spec):
    params = spec["root"].get("inputDefinitions", {}).get("parameters", {})
    out = {}
    for name, p in params.items():
        p = dict(p)
        if isinstance(p.get("defaultValue"), (int, float)) and not isinstance(p.get("defaultValue"), bool):
            p["defaultValue"] = float(p["defaultValue"])
        if isinstance(p.get("defaultValue"), list):
            p["defaultValue"] = [float(v) if isinstance(v, int) else v for v in p["defaultValue"]]
        if isinstance(p.get("defaultValue"), dict):
            p["defaultValue"] = {k: float(v) if isinstance(v, int) else v for k, v in p["defaultValue"].items()}
        out[name] = p
    return out


# ---- the components both sides use ---------------------------------------------

@dsl.container_component
def produce(text: str, n: int, rate: float, flag: bool, items: list, config: dict,
            data: Output[Dataset], count: dsl.OutputPath(int)):
    return dsl.ContainerSpec(image="alpine", command=["produce"],
                             args=[text, n, rate, flag, items, config, data.path, count])


PRODUCE = """
    image: alpine
    command: [produce]
    args: ["${{ inputs.text }}", "${{ inputs.n }}", "${{ inputs.rate }}", "${{ inputs.flag }}", "${{ inputs.items }}",
           "${{ inputs.config }}", "${{ outputs.data }}", "${{ outputs.count }}"]
    inputs: {text: string, n: int, rate: float, flag: bool, items: list, config: dict}
    outputs: {data: dataset, count: int}
"""


@dsl.container_component
def consume(data: Input[Dataset], x: str, model: Output[Model], score: dsl.OutputPath(float)):
    return dsl.ContainerSpec(image="python:3.11", command=["consume", data.path, x, model.path, score])


CONSUME = """
    image: python:3.11
    command: [consume, "${{ inputs.data }}", "${{ inputs.x }}", "${{ outputs.model }}", "${{ outputs.score }}"]
    inputs: {data: dataset, x: string}
    outputs: {model: model, score: float}
"""


@dsl.container_component
def echo(x: str):
    return dsl.ContainerSpec(image="alpine", command=["echo", x])


ECHO = """
    image: alpine
    command: [echo, "${{ inputs.x }}"]
    inputs: {x: string}
"""


# ---- params, passing, needs ------------------------------------------------------

def test_params_values_artifacts_and_needs(tmp_path):
    @dsl.pipeline(name="passing")
    def passing(text: str, n: int = 3, rate: float = 0.5, flag: bool = True,
                items: list = [1, 2], config: dict = {"k": "v"}):  # noqa: B006 (KFP reads the defaults)
        a = _named(produce(text=text, n=n, rate=rate, flag=flag, items=items, config=config), "a")
        b = _named(consume(data=a.outputs["data"], x="literal"), "b")
        _named(echo(x="after"), "c").after(b)

    ours = _ours(f"""
name: passing
params:
  text: string
  n: {{type: int, default: 3}}
  rate: {{type: float, default: 0.5}}
  flag: {{type: bool, default: true}}
  items: {{type: list, default: [1, 2]}}
  config: {{type: dict, default: {{k: v}}}}
steps:
  a:{PRODUCE}    with: {{text: "${{{{ params.text }}}}", n: "${{{{ params.n }}}}", rate: "${{{{ params.rate }}}}",
           flag: "${{{{ params.flag }}}}", items: "${{{{ params.items }}}}", config: "${{{{ params.config }}}}"}}
  b:{CONSUME}    with: {{data: "${{{{ steps.a.outputs.data }}}}", x: literal}}
  c:{ECHO}    with: {{x: after}}
    needs: [b]
""")
    _compare(ours[0], _kfp_ir(passing, tmp_path)[0])


# ---- conditions ------------------------------------------------------------------------

def test_conditions_on_steps_and_groups(tmp_path):
    @dsl.pipeline(name="conditions")
    def conditions(threshold: float = 0.8, flag: bool = True, name: str = "it's"):
        a = _named(produce(text="t", n=1, rate=0.1, flag=True, items=[], config={}), "a")
        with dsl.If(a.outputs["count"] > threshold):
            _named(echo(x="big"), "big")
        with dsl.If(flag == True):  # noqa: E712 - KFP's DSL needs the comparison
            b = _named(consume(data=a.outputs["data"], x="x"), "b")
            _named(echo(x="in-group"), "g2").after(b)
        with dsl.If(a.outputs["count"] == 3):
            _named(echo(x="three"), "three")
        with dsl.If(name != "plain"):
            _named(echo(x="named"), "named")

    ours = _ours(f"""
name: conditions
params:
  threshold: {{type: float, default: 0.8}}
  flag: {{type: bool, default: true}}
  name: {{type: string, default: "it's"}}
steps:
  a:{PRODUCE}    with: {{text: t, n: 1, rate: 0.1, flag: true, items: [], config: {{}}}}
  big:
    if: ${{{{ steps.a.outputs.count > params.threshold }}}}{ECHO}    with: {{x: big}}
  gated:
    if: ${{{{ params.flag == true }}}}
    steps:
      b:{_deeper(CONSUME)}        with: {{data: "${{{{ steps.a.outputs.data }}}}", x: x}}
      g2:{_deeper(ECHO)}        with: {{x: in-group}}
        needs: [b]
  three:
    if: ${{{{ steps.a.outputs.count == 3 }}}}{ECHO}    with: {{x: three}}
  named:
    if: ${{{{ params.name != 'plain' }}}}{ECHO}    with: {{x: named}}
""")
    _compare(ours[0], _kfp_ir(conditions, tmp_path)[0])


# ---- loops and fan-in ------------------------------------------------------------------------

@dsl.container_component
def gather_scores(scores: list, best: dsl.OutputPath(float)):
    return dsl.ContainerSpec(image="alpine", command=["gather", scores, best])


GATHER = """
    image: alpine
    command: [gather, "${{ inputs.scores }}", "${{ outputs.best }}"]
    inputs: {scores: list}
    outputs: {best: float}
"""


@dsl.container_component
def listing(items: dsl.OutputPath(list)):
    return dsl.ContainerSpec(image="alpine", command=["listing", items])


LISTING = """
    image: alpine
    command: [listing, "${{ outputs.items }}"]
    outputs: {items: list}
"""


def test_loops_over_literals_params_and_outputs_with_fan_in(tmp_path):
    @dsl.pipeline(name="loops")
    def loops(names: list = ["a", "b"], configs: list = [{"x": "1"}]):  # noqa: B006 (KFP reads the defaults)
        a = _named(produce(text="t", n=1, rate=0.1, flag=True, items=[], config={}), "a")
        with dsl.ParallelFor(["p", "q", "r"], parallelism=2) as letter:
            _named(echo(x=letter), "lit")
        with dsl.ParallelFor(names) as name:
            c = _named(consume(data=a.outputs["data"], x=name), "perparam")
        _named(gather_scores(scores=dsl.Collected(c.outputs["score"])), "gather")
        listed = _named(listing(), "listing")
        with dsl.ParallelFor(listed.outputs["items"]) as it:
            _named(echo(x=it), "peroutput")
        with dsl.ParallelFor(configs) as cfg:
            _named(echo(x=cfg.x), "field")

    ours = _ours(f"""
name: loops
params:
  names: {{type: list, default: [a, b]}}
  configs: {{type: list, default: [{{x: "1"}}]}}
steps:
  a:{PRODUCE}    with: {{text: t, n: 1, rate: 0.1, flag: true, items: [], config: {{}}}}
  lit:
    for_each: [p, q, r]
    as: letter
    max_parallel: 2{ECHO}    with: {{x: "${{{{ letter }}}}"}}
  perparam:
    for_each: ${{{{ params.names }}}}{CONSUME}    with: {{data: "${{{{ steps.a.outputs.data }}}}", x: "${{{{ item }}}}"}}
  gather:{GATHER}    with: {{scores: "${{{{ steps.perparam.outputs.score }}}}"}}
  listing:{LISTING}
  peroutput:
    for_each: ${{{{ steps.listing.outputs.items }}}}{ECHO}    with: {{x: "${{{{ item }}}}"}}
  field:
    for_each: ${{{{ params.configs }}}}
    as: cfg{ECHO}    with: {{x: "${{{{ cfg.x }}}}"}}
""")
    _compare(ours[0], _kfp_ir(loops, tmp_path)[0])


# ---- settings ------------------------------------------------------------------------------------

def test_resources_retry_cache_env_display_name(tmp_path):
    @dsl.pipeline(name="settings")
    def settings():
        t = echo(x="one")
        t.set_display_name("Step One").set_caching_options(False)
        t.set_cpu_limit("2").set_memory_limit("4Gi").set_cpu_request("500m").set_memory_request("1G")
        t.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(2)
        t.set_retry(num_retries=3, backoff_duration="10s", backoff_factor=1.5, backoff_max_duration="600s")
        t.set_env_variable("TEAM", "ml").set_env_variable("MODE", "prod").set_env_variable("LEVEL", "3")
        u = _named(echo(x="two"), "two")
        u.set_retry(num_retries=1).set_caching_options(True, cache_key="data-v2")
        u.set_env_variable("TEAM", "ml").set_memory_limit("1Gi")
        u.set_accelerator_type("amd.com/gpu").set_accelerator_limit(1)

    ours = _ours(f"""
name: settings
defaults:
  env: {{TEAM: ml}}
  resources: {{memory: 1Gi}}
steps:
  one:{ECHO}    with: {{x: one}}
    display_name: Step One
    cache: false
    resources: {{cpu: "2", memory: 4Gi, cpu_request: 500m, memory_request: 1G, gpu: 2}}
    retry: {{max: 3, backoff: 10s, factor: 1.5, max_backoff: 10m}}
    env: {{MODE: prod, LEVEL: 3}}
  two:{ECHO}    with: {{x: two}}
    retry: {{max: 1}}
    resources: {{gpu: 1, gpu_type: amd.com/gpu}}
    cache: {{key: data-v2}}
""")
    _compare(ours[0], _kfp_ir(settings, tmp_path)[0])


def test_timeout_matches_kfp_kubernetes(tmp_path):
    from kfp import kubernetes

    @dsl.pipeline(name="timeouts")
    def timeouts():
        kubernetes.set_timeout(_named(echo(x="slow"), "slow"), 5400)

    ours = _ours(f"""
name: timeouts
steps:
  slow:{ECHO}    with: {{x: slow}}
    timeout: 1.5h
""")
    theirs = _kfp_ir(timeouts, tmp_path)
    _compare(ours[0], theirs[0])
    ours_platform = ours[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    theirs_platform = theirs[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    assert list(ours_platform.values()) == list(theirs_platform.values()) == [{"activeDeadlineSeconds": "5400"}]


# ---- finally and outputs ------------------------------------------------------------------------

@dsl.container_component
def notify(status: dsl.PipelineTaskFinalStatus):
    return dsl.ContainerSpec(image="alpine", command=["notify", status])


def test_finally_is_an_exit_handler(tmp_path):
    @dsl.pipeline(name="finale")
    def finale(text: str = "x"):
        handler = _named(notify(), "notify")
        with dsl.ExitHandler(handler):
            a = _named(echo(x=text), "first")
            _named(echo(x="second"), "second").after(a)

    ours = _ours(f"""
name: finale
params:
  text: {{type: string, default: x}}
steps:
  first:{ECHO}    with: {{x: "${{{{ params.text }}}}"}}
  second:{ECHO}    with: {{x: second}}
    needs: [first]
finally:
  notify:
    image: alpine
    command: [notify, "${{{{ inputs.status }}}}"]
    inputs: {{status: dict}}
    with: {{status: "${{{{ pipeline.status }}}}"}}
""")
    _compare(ours[0], _kfp_ir(finale, tmp_path)[0])


def test_string_interpolation_and_pipeline_outputs(tmp_path):
    @dsl.pipeline(name="interp")
    def interp(bucket: str = "b", n: int = 1) -> Model:
        a = _named(produce(text="t", n=n, rate=0.1, flag=True, items=[], config={}), "a")
        b = _named(consume(data=a.outputs["data"], x=f"gs://{bucket}/x/{n}"), "b")
        return b.outputs["model"]

    ours = _ours(f"""
name: interp
params:
  bucket: {{type: string, default: b}}
  n: {{type: int, default: 1}}
steps:
  a:{PRODUCE}    with: {{text: t, n: "${{{{ params.n }}}}", rate: 0.1, flag: true, items: [], config: {{}}}}
  b:{CONSUME}    with: {{data: "${{{{ steps.a.outputs.data }}}}", x: "gs://${{{{ params.bucket }}}}/x/${{{{ params.n }}}}"}}
outputs:
  Output: ${{{{ steps.b.outputs.model }}}}
""")
    theirs = _kfp_ir(interp, tmp_path)[0]
    _compare(ours[0], theirs)
    assert root_outputs(ours[0]) == root_outputs(theirs) == {"Output": ("output", "b", "model")}
    assert ours[0]["root"]["outputDefinitions"] == theirs["root"]["outputDefinitions"]


# ---- kubernetes settings -------------------------------------------------------------------------

def test_kubernetes_settings_match_kfp_kubernetes(tmp_path):
    from kfp import kubernetes

    @dsl.pipeline(name="k8s")
    def k8s(claim: str = "my-pvc", sec: str = "s", flag: bool = True):
        t = _named(echo(x="hi"), "show")
        kubernetes.add_node_selector(t, label_key="cloud.google.com/gke-accelerator", label_value="nvidia-tesla-t4")
        kubernetes.add_toleration(t, key="nvidia.com/gpu", operator="Exists", effect="NoSchedule")
        kubernetes.use_secret_as_env(t, secret_name="db-creds", secret_key_to_env={"password": "DB_PASSWORD"})
        kubernetes.use_secret_as_volume(t, secret_name="tls", mount_path="/etc/tls")
        kubernetes.use_config_map_as_env(t, config_map_name="cfg", config_map_key_to_env={"level": "LOG_LEVEL"})
        kubernetes.use_config_map_as_volume(t, config_map_name="cfg", mount_path="/etc/cfg")
        kubernetes.mount_pvc(t, pvc_name=claim, mount_path="/data")
        kubernetes.mount_pvc(t, pvc_name="fixed-pvc", mount_path="/fixed")
        kubernetes.empty_dir_mount(t, volume_name="dshm", mount_path="/dev/shm", medium="Memory", size_limit="2Gi")
        kubernetes.set_image_pull_policy(t, "IfNotPresent")
        kubernetes.set_image_pull_secrets(t, ["regcred"])
        kubernetes.set_timeout(t, 60)
        with dsl.If(flag == True):  # noqa: E712
            g = _named(echo(x="hi"), "gated")
            kubernetes.mount_pvc(g, pvc_name=claim, mount_path="/data")
            kubernetes.use_secret_as_env(g, secret_name=sec, secret_key_to_env={"k": "K"}, optional=True)
            kubernetes.add_toleration(g, key="a", operator="Equal", value="b", effect="NoExecute", toleration_seconds=30)

    ours = _ours(f"""
name: k8s
params:
  claim: {{type: string, default: my-pvc}}
  sec: {{type: string, default: s}}
  flag: {{type: bool, default: true}}
steps:
  show:{ECHO}    with: {{x: hi}}
    timeout: 60
    kubernetes:
      node_selector: {{cloud.google.com/gke-accelerator: nvidia-tesla-t4}}
      tolerations: [{{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}}]
      secrets:
        - {{name: db-creds, env: {{DB_PASSWORD: password}}}}
        - {{name: tls, mount: /etc/tls}}
      config_maps:
        - {{name: cfg, env: {{LOG_LEVEL: level}}, mount: /etc/cfg}}
      volumes:
        - {{claim: "${{{{ params.claim }}}}", mount: /data}}
        - {{claim: fixed-pvc, mount: /fixed}}
      shm_size: 2Gi
      image_pull_policy: IfNotPresent
      image_pull_secrets: [regcred]
  gated:
    if: ${{{{ params.flag == true }}}}{ECHO}    with: {{x: hi}}
    kubernetes:
      volumes: [{{claim: "${{{{ params.claim }}}}", mount: /data}}]
      secrets: [{{name: "${{{{ params.sec }}}}", env: {{K: k}}, optional: true}}]
      tolerations: [{{key: a, operator: Equal, value: b, effect: NoExecute, seconds: 30}}]
""")
    theirs = _kfp_ir(k8s, tmp_path)
    _compare(ours[0], theirs[0], ours[1], theirs[1])
    assert normalize(ours[0], ours[1])["show"]["kubernetes"]["pvcMount"][0]["pvcNameParameter"] == ("param", "claim")


# ---- values from params, pipeline input artifacts ------------------------------------------------

@dsl.container_component
def read(data: Input[Dataset]):
    return dsl.ContainerSpec(image="alpine", command=["cat", data.path])


def test_resources_and_image_from_params_and_an_imported_artifact(tmp_path):
    @dsl.pipeline(name="runtime")
    def runtime(raw: str = "gs://b/data.csv", cpu: str = "2", mem: str = "4Gi", gpus: int = 1,
                kind: str = "nvidia.com/gpu", img: str = "alpine:3"):
        imported = dsl.importer(artifact_uri=raw, artifact_class=Dataset).set_display_name("importer-raw")
        t = _named(read(data=imported.output), "use")
        t.set_cpu_limit(cpu).set_memory_request(mem).set_accelerator_type(kind).set_accelerator_limit(gpus)
        t.set_container_image(img)

    ours = _ours("""
name: runtime
params:
  raw: {type: dataset, default: gs://b/data.csv}
  cpu: {type: string, default: "2"}
  mem: {type: string, default: 4Gi}
  gpus: {type: int, default: 1}
  kind: {type: string, default: nvidia.com/gpu}
  img: {type: string, default: "alpine:3"}
steps:
  use:
    image: ${{ params.img }}
    command: [cat, "${{ inputs.data }}"]
    inputs: {data: dataset}
    with: {data: "${{ params.raw }}"}
    resources: {cpu: "${{ params.cpu }}", memory_request: "${{ params.mem }}", gpu: "${{ params.gpus }}",
                gpu_type: "${{ params.kind }}"}
""")
    theirs = _kfp_ir(runtime, tmp_path)[0]
    _compare(ours[0], theirs)
    assert normalize(ours[0])["use"]["inputs"]["data"] == ("output", "importer-raw", "artifact")


# ---- branches ---------------------------------------------------------------------------------------

@dsl.container_component
def num(out: dsl.OutputPath(int)):
    return dsl.ContainerSpec(image="alpine", command=["num", out])


@dsl.container_component
def say(x: str, res: dsl.OutputPath(str), model: Output[Model]):
    return dsl.ContainerSpec(image="alpine", command=["say", x, res, model.path])


SAY = """{image: alpine, command: [say, "${{ inputs.x }}", "${{ outputs.res }}", "${{ outputs.model }}"],
               inputs: {x: string}, outputs: {res: string, model: model}, with: {x: %s}}"""


def test_if_elif_else_with_branch_outputs(tmp_path):
    @dsl.pipeline(name="branching")
    def branching(flag: bool = False) -> Model:
        n = _named(num(), "num")
        with dsl.If(n.output > 5):
            a = _named(say(x="big"), "big")
        with dsl.Elif(n.output > 2):
            b = _named(say(x="mid"), "mid")
        with dsl.Else():
            c = _named(say(x="small"), "small")
        label = dsl.OneOf(a.outputs["res"], b.outputs["res"], c.outputs["res"])
        _named(echo(x=label), "show")
        with dsl.If(flag == True):  # noqa: E712
            _named(echo(x="flagged"), "flagged")
        with dsl.Else():
            _named(echo(x="plain"), "plain")
        return dsl.OneOf(a.outputs["model"], b.outputs["model"], c.outputs["model"])

    ours = _ours(f"""
name: branching
params:
  flag: {{type: bool, default: false}}
steps:
  num:
    image: alpine
    command: [num, "${{{{ outputs.out }}}}"]
    outputs: {{out: int}}
  route:
    branches:
      - if: ${{{{ steps.num.outputs.out > 5 }}}}
        steps:
          big: {SAY % 'big'}
        outputs: {{res: "${{{{ steps.big.outputs.res }}}}", model: "${{{{ steps.big.outputs.model }}}}"}}
      - elif: ${{{{ steps.num.outputs.out > 2 }}}}
        steps:
          mid: {SAY % 'mid'}
        outputs: {{res: "${{{{ steps.mid.outputs.res }}}}", model: "${{{{ steps.mid.outputs.model }}}}"}}
      - else:
        steps:
          small: {SAY % 'small'}
        outputs: {{res: "${{{{ steps.small.outputs.res }}}}", model: "${{{{ steps.small.outputs.model }}}}"}}
  show:{ECHO}    with: {{x: "${{{{ steps.route.outputs.res }}}}"}}
  flag_route:
    branches:
      - if: ${{{{ params.flag == true }}}}
        steps:
          flagged:{_deeper(_deeper(ECHO))}            with: {{x: flagged}}
      - else:
        steps:
          plain:{_deeper(_deeper(ECHO))}            with: {{x: plain}}
outputs:
  Output: ${{{{ steps.route.outputs.model }}}}
""")
    theirs = _kfp_ir(branching, tmp_path)[0]
    _compare(ours[0], theirs)
    oneof = ("oneof", [("output", "big", "model"), ("output", "mid", "model"), ("output", "small", "model")])
    assert root_outputs(ours[0]) == root_outputs(theirs) == {"Output": oneof}
    assert normalize(ours[0])["show"]["inputs"]["x"][0] == "oneof"


# ---- matrix ---------------------------------------------------------------------------------------

@dsl.container_component
def train_one(model: str, score: dsl.OutputPath(float)):
    return dsl.ContainerSpec(image="alpine", command=["train", model, score])


def test_matrix_is_one_loop_over_the_product(tmp_path):
    combos = [{"model": "rf", "size": 1}, {"model": "rf", "size": 2}, {"model": "gb", "size": 2},
              {"model": "lr", "size": 3}]

    @dsl.pipeline(name="matrix")
    def matrix():
        with dsl.ParallelFor(combos, parallelism=2) as combo:
            t = _named(train_one(model=combo.model), "train")
            with dsl.If(combo.size > 1):
                # KFP cannot compile `combo.model` here (a lost channel); kfyaml can, see the golden files.
                _named(echo(x="big"), "big-only")
        _named(gather_scores(scores=dsl.Collected(t.outputs["score"])), "gather")

    ours = _ours(f"""
name: matrix
steps:
  sweep:
    matrix:
      model: [rf, gb]
      size: [1, 2]
      include: [{{model: lr, size: 3}}]
      exclude: [{{model: gb, size: 1}}]
    max_parallel: 2
    steps:
      train:
        image: alpine
        command: [train, "${{{{ inputs.model }}}}", "${{{{ outputs.score }}}}"]
        inputs: {{model: string}}
        outputs: {{score: float}}
        with: {{model: "${{{{ matrix.model }}}}"}}
      big_only:
        if: ${{{{ matrix.size > 1 }}}}{_deeper(ECHO)}        with: {{x: big}}
  gather:{GATHER}    with: {{scores: "${{{{ steps.train.outputs.score }}}}"}}
""")
    theirs = _kfp_ir(matrix, tmp_path, round_trip=False)[0]
    a, b = normalize(ours[0]), normalize(theirs)
    assert sorted(a) == sorted(b)
    for leaf in ("train", "gather"):
        assert a[leaf] == b[leaf]
    # KFP compares the int field with the string '1' (no CEL overload: fails at run time);
    # kfyaml knows the axis is an int.
    ours_condition, kfp_condition = a["big-only"].pop("path")[1][1], b["big-only"].pop("path")[1][1]
    assert ours_condition.startswith("int(") and ours_condition.endswith(") > 1")
    assert kfp_condition.endswith(" > '1'")
    assert a["big-only"] == b["big-only"]
    # The import would keep KFP's comparison as written, which kfyaml refuses: the import says so at the
    # condition's task in the IR, with kfyaml's reason, and writes nothing.
    from kfyaml.compiler.importer import import_ir

    text = (tmp_path / "kfp.yaml").read_text()
    result = import_ir(text, "kfp.yaml")
    assert not result.ok and result.files == {}
    [diag] = result.diagnostics
    assert (diag.code, diag.message) == ("KY602", (
        "kfyaml would refuse what this imports to: the step \"big_only\" (pipeline.yaml:9:14): cannot compare an int "
        "(`item.size`) with a string (`'1'`) [KY503]. kfyaml writes nothing it cannot compile; where KFP would fail on "
        "it too when the run gets there, fix the pipeline in Python"))
    assert "condition-" in text.splitlines()[diag.line - 1] or "big-only" in text.splitlines()[diag.line - 1]


# ---- python steps -------------------------------------------------------------------------------------

TRAIN_SOURCE = '''def train(data: Input[Dataset], rate: float, epochs: int = 3, tag: str = None,
          model: Output[Model] = None) -> NamedTuple("Outputs", [("accuracy", float), ("name", str)]):
    import collections
    with open(model.path, "w") as f:
        f.write(f"{rate} {epochs} {tag}")
    return collections.namedtuple("Outputs", ["accuracy", "name"])(0.9, "m")
'''

MAKE_SOURCE = '''def make(n: int, out: Output[Dataset]) -> float:
    with open(out.path, "w") as f:
        f.write(str(n))
    return 1.5
'''


def _module(tmp_path, name: str, source: str):
    import importlib.util

    path = tmp_path / f"{name}.py"
    path.write_text("from kfp.dsl import *\nfrom typing import *\n\n\n" + source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def test_python_steps_match_dsl_component(tmp_path):
    make = dsl.component(_module(tmp_path, "make", MAKE_SOURCE), base_image="python:3.11",
                         packages_to_install=["pandas==2.2.3", "scikit-learn"])
    train = dsl.component(_module(tmp_path, "train", TRAIN_SOURCE), base_image="python:3.12-slim")

    @dsl.pipeline(name="python")
    def python_steps():
        m = _named(make(n=3), "make")
        _named(train(data=m.outputs["out"], rate=m.outputs["Output"]), "train")

    indent = lambda code: "\n".join("      " + line for line in code.splitlines())  # noqa: E731
    ours = _ours(f"""
name: python
steps:
  make:
    python: |
{indent(MAKE_SOURCE)}
    packages: [pandas==2.2.3, scikit-learn]
    with: {{n: 3}}
  train:
    python: |
{indent(TRAIN_SOURCE)}
    image: python:3.12-slim
    with: {{data: "${{{{ steps.make.outputs.out }}}}", rate: "${{{{ steps.make.outputs.Output }}}}"}}
""")
    theirs = _kfp_ir(python_steps, tmp_path)[0]
    _compare(ours[0], theirs)
    # Byte for byte: the same executor as @dsl.component writes.
    assert ours[0]["deploymentSpec"]["executors"]["exec-train"] == theirs["deploymentSpec"]["executors"]["exec-train"]
    assert ours[0]["components"]["comp-train"] == theirs["components"]["comp-train"]


# ---- reuse: components, component files, nested pipelines ------------------------------------------

def test_component_files_and_local_components(tmp_path):
    from conftest import EXAMPLES
    from kfp import components

    summarize = components.load_component_from_file(str(EXAMPLES / "components" / "summarize_csv.component.yaml"))
    scale = components.load_component_from_file(str(EXAMPLES / "components" / "scale_values.v2.yaml"))

    @dsl.container_component
    def maker(data: Output[Dataset]):
        return dsl.ContainerSpec(image="alpine", command=["sh", "-c", 'echo a,b > "$0"', data.path])

    @dsl.pipeline(name="reuse")
    def reuse():
        m = _named(maker(), "make")
        _named(maker(), "make-again")
        _named(summarize(data=m.outputs["data"], limit=3), "summary")
        _named(scale(values=[1, 2], factor=3.0), "scale-values")

    (tmp_path / "components").mkdir()
    for name in ("summarize_csv.component.yaml", "scale_values.v2.yaml"):
        (tmp_path / "components" / name).write_text((EXAMPLES / "components" / name).read_text())
    source = tmp_path / "reuse.yaml"
    source.write_text("""
name: reuse
components:
  maker:
    image: alpine
    command: [sh, -c, 'echo a,b > "$0"', "${{ outputs.data }}"]
    outputs: {data: dataset}
steps:
  make: {uses: components.maker}
  make_again: {uses: components.maker}
  summary:
    uses: ./components/summarize_csv.component.yaml
    with: {data: "${{ steps.make.outputs.data }}", limit: 3}
  scaled:
    uses: ./components/scale_values.v2.yaml
    with: {values: [1, 2], factor: 3}
""")
    result = api.compile_file(str(source))
    assert result.ok, [d.format() for d in result.diagnostics]
    ours = list(yaml.safe_load_all(result.ir_text()))
    theirs = _kfp_ir(reuse, tmp_path)[0]
    _compare(ours[0], theirs)
    # One component for the two `components.maker` steps, as for KFP's one container component.
    assert len(ours[0]["deploymentSpec"]["executors"]) == 3


@dsl.container_component
def show_number(x: float):
    return dsl.ContainerSpec(image="alpine", command=["show", x])


def test_nested_pipeline(tmp_path):
    @dsl.component(base_image="python:3.11")
    def scale(data: Input[Dataset], factor: float) -> float:
        return factor * 2

    @dsl.pipeline(name="sub")
    def sub(data: Input[Dataset], factor: float = 2.0) -> float:
        return _named(scale(data=data, factor=factor), "scale").output

    @dsl.pipeline(name="outer")
    def outer():
        m = _named(produce(text="t", n=1, rate=0.1, flag=True, items=[], config={}), "a")
        s = _named(sub(data=m.outputs["data"], factor=3.5), "nested")
        _named(show_number(x=s.output), "after")

    scale_code = "\n".join("      " + line for line in '''def scale(data: Input[Dataset], factor: float) -> float:
    return factor * 2'''.splitlines())
    (tmp_path / "sub.yaml").write_text(f"""
name: sub
params:
  data: dataset
  factor: {{type: float, default: 2.0}}
steps:
  scale:
    python: |
{scale_code}
    with: {{data: "${{{{ params.data }}}}", factor: "${{{{ params.factor }}}}"}}
outputs:
  Output: ${{{{ steps.scale.outputs.Output }}}}
""")
    (tmp_path / "outer.yaml").write_text(f"""
name: outer
steps:
  a:{PRODUCE}    with: {{text: t, n: 1, rate: 0.1, flag: true, items: [], config: {{}}}}
  nested:
    uses: ./sub.yaml
    with: {{data: "${{{{ steps.a.outputs.data }}}}", factor: 3.5}}
  after:
    image: alpine
    command: [show, "${{{{ inputs.x }}}}"]
    inputs: {{x: float}}
    with: {{x: "${{{{ steps.nested.outputs.Output }}}}"}}
""")
    result = api.compile_file(str(tmp_path / "outer.yaml"))
    assert result.ok, [d.format() for d in result.diagnostics]
    ours = list(yaml.safe_load_all(result.ir_text()))
    theirs = _kfp_ir(outer, tmp_path)[0]
    _compare(ours[0], theirs)
    assert normalize(ours[0])["scale"]["inputs"]["data"] == ("output", "a", "data")
    assert normalize(ours[0])["after"]["inputs"]["x"] == ("output", "scale", "Output")
