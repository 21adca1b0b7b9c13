"""Lists and mappings holding `${{ }}` at any depth (issue 18).

KFP compiles a list or dict argument that holds task outputs or params into a
constant with an input placeholder where each value stands, plus one task
input per value (so the task waits for every producer). kfyaml must compile
the same, check every reference inside, run it as KFP's backend does (each
value written in as its text), and refuse what KFP cannot build, at its place.
"""

import json

import pytest
from kfp import dsl
from support.normalize_ir import normalize
from support.run_helpers import kfyaml_run, states
from test_differential import PRODUCE, _compare, _kfp_ir, _named, _ours, produce

from kfyaml.compiler import api


def _diagnostics(text: str) -> list[str]:
    result = api.compile_bytes(text.encode(), "p.yaml")
    return [f"{d.line}:{d.col}: {d.code}: {d.message}" for d in result.diagnostics]


# ---- the same IR as KFP's compiler ---------------------------------------------------------------

def test_lists_and_dicts_of_outputs_and_params_match_kfp(tmp_path):
    @dsl.pipeline(name="gather")
    def gather(text: str = "t", n: int = 2, names: list = ["x", "y"]):  # noqa: B006 (KFP reads the default)
        a = _named(produce(text="a", n=1, rate=0.1, flag=True, items=[], config={}), "a")
        b = _named(produce(text="b", n=1, rate=0.1, flag=True, items=[], config={}), "b")
        _named(produce(text="c", n=1, rate=0.1, flag=True,
                       items=[a.outputs["count"], b.outputs["count"], 0.5],
                       config={"n": n, "label": f"x-{text}", "deep": [n, {"k": a.outputs["count"]}]}), "c")
        with dsl.ParallelFor(names) as name:
            _named(produce(text="d", n=1, rate=0.1, flag=True, items=[name, b.outputs["count"]], config={}), "d")
        with dsl.If(n > 1):
            _named(produce(text="e", n=1, rate=0.1, flag=True, items=[[a.outputs["count"]]], config={}), "e")

    ours = _ours(f"""
name: gather
params:
  text: {{type: string, default: t}}
  n: {{type: int, default: 2}}
  names: {{type: list, default: [x, y]}}
steps:
  a:{PRODUCE}    with: {{text: a, n: 1, rate: 0.1, flag: true, items: [], config: {{}}}}
  b:{PRODUCE}    with: {{text: b, n: 1, rate: 0.1, flag: true, items: [], config: {{}}}}
  c:{PRODUCE}    with:
      text: c
      n: 1
      rate: 0.1
      flag: true
      items: ["${{{{ steps.a.outputs.count }}}}", "${{{{ steps.b.outputs.count }}}}", 0.5]
      config:
        n: "${{{{ params.n }}}}"
        label: "x-${{{{ params.text }}}}"
        deep: ["${{{{ params.n }}}}", {{k: "${{{{ steps.a.outputs.count }}}}"}}]
  d:
    for_each: ${{{{ params.names }}}}
    as: name{PRODUCE}    with: {{text: d, n: 1, rate: 0.1, flag: true, items: ["${{{{ name }}}}", "${{{{ steps.b.outputs.count }}}}"], config: {{}}}}
  e:
    if: ${{{{ params.n > 1 }}}}{PRODUCE}    with: {{text: e, n: 1, rate: 0.1, flag: true, items: ["${{{{ [steps.a.outputs.count] }}}}"], config: {{}}}}
""")
    theirs = _kfp_ir(gather, tmp_path)[0]
    _compare(ours[0], theirs)
    leaves = normalize(ours[0])
    assert leaves["c"]["waits_for"] == ["a", "b"]
    assert leaves["c"]["inputs"]["items"] == ("const", [repr(("output", "a", "count")), repr(("output", "b", "count")), 0.5])
    assert leaves["c"]["inputs"]["config"] == ("const", {
        "n": repr(("param", "n")), "label": f"x-{('param', 'text')!r}",
        "deep": [repr(("param", "n")), {"k": repr(("output", "a", "count"))}]})
    assert leaves["d"]["waits_for"] == ["b"] and leaves["e"]["waits_for"] == ["a"]
    c = ours[0]["root"]["dag"]["tasks"]["c"]
    assert c["inputs"]["parameters"]["items"]["runtimeValue"]["constant"] == [
        "{{$.inputs.parameters['pipelinechannel--a--count']}}", "{{$.inputs.parameters['pipelinechannel--b--count']}}", 0.5]
    assert c["inputs"]["parameters"]["pipelinechannel--a--count"] == {
        "taskOutputParameter": {"outputParameterKey": "count", "producerTask": "a"}}
    assert "${{" not in json.dumps(ours)


# ---- kfyaml run, and KFP's own local runner on the same IR ---------------------------------------

GATHER_RUN = """
name: gather-run
params:
  label: {type: string, default: rf}
steps:
  eval_rf:
    python: |
      def eval_rf() -> float:
          return 0.91
  eval_lr:
    python: |
      def eval_lr() -> float:
          import time
          time.sleep(0.5)  # the slower producer: the consumer must still wait for it
          return 0.87
  pick:
    python: |
      def pick(scores: list, config: dict) -> str:
          import json
          return json.dumps({"scores": scores, "config": config, "best": max(float(s) for s in scores)}, sort_keys=True)
    with:
      scores: ["${{ steps.eval_rf.outputs.Output }}", "${{ steps.eval_lr.outputs.Output }}", 0.5]
      config: {name: "${{ params.label }}-v1", deep: [{label: "${{ params.label }}"}]}
outputs:
  picked: ${{ steps.pick.outputs.Output }}
"""
# As KFP's backend builds it: each value written in as its text, literals kept as they are.
GATHER_EXPECTED = {"best": 0.91, "config": {"deep": [{"label": "rf"}], "name": "rf-v1"}, "scores": ["0.91", "0.87", 0.5]}


@pytest.mark.slow
def test_kfyaml_run_builds_the_list_after_every_producer(tmp_path):
    (tmp_path / "p.yaml").write_text(GATHER_RUN)
    code, result, stderr = kfyaml_run(tmp_path / "p.yaml", tmp_path / "wd")
    assert code == 0, stderr
    assert states(result) == {"eval_rf": "succeeded", "eval_lr": "succeeded", "pick": "succeeded"}
    assert json.loads(result["steps"]["pick"]["outputs"]["Output"]) == GATHER_EXPECTED
    assert json.loads(result["outputs"]["parameters"]["picked"]) == GATHER_EXPECTED
    assert result["steps"]["pick"]["started"] >= result["steps"]["eval_lr"]["finished"]


@pytest.mark.slow
def test_kfp_local_runs_our_ir_to_the_same_values(tmp_path):
    from kfp import components, local

    result = api.compile_bytes(GATHER_RUN.encode(), "p.yaml")
    assert result.ok, [d.format() for d in result.diagnostics]
    (tmp_path / "p.ir.yaml").write_text(result.ir_text())
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"))
    pipeline = components.load_component_from_file(str(tmp_path / "p.ir.yaml"))
    task = pipeline()
    assert json.loads(task.outputs["picked"]) == GATHER_EXPECTED


@pytest.mark.slow
def test_a_value_that_would_break_the_list_on_kfp_fails_the_step_with_the_reason(tmp_path):
    (tmp_path / "p.yaml").write_text(GATHER_RUN)
    code, result, _ = kfyaml_run(tmp_path / "p.yaml", tmp_path / "wd", "--param", 'label=say "hi"')
    assert code == 1
    assert states(result)["pick"] == "failed"
    assert result["steps"]["pick"]["error"] == (
        "input 'config': the value 'say \"hi\"' holds a quote, a backslash or a line break; KFP writes each value "
        "inside a list or mapping into its JSON as it is, so on a cluster this list would not parse. Pass the value "
        "as an input of its own")


# ---- every reference inside is checked, at its place ---------------------------------------------

BASE = """
name: p
params:
  n_trees: {type: int, default: 10}
steps:
  eval_rf:
    image: alpine
    command: [train, "${{ inputs.n }}", "${{ outputs.accuracy }}", "${{ outputs.model }}", "${{ outputs.curve }}"]
    inputs: {n: int}
    outputs: {accuracy: float, model: model, curve: list}
    with: {n: "${{ params.n_trees }}"}
  use:
    image: alpine
    command: [echo, "${{ inputs.xs }}", "${{ inputs.cfg }}"]
    inputs: {xs: list, cfg: dict}
    with:
"""


@pytest.mark.parametrize("with_, expected", [
    ('      xs: ["${{ steps.eval_rf.outputs.acuracy }}"]\n      cfg: {}\n',
     '17:13: KY505: step "eval_rf" has no output "acuracy"; did you mean "accuracy"?'),
    ('      xs: []\n      cfg: {model: {n_estimators: "${{ params.n_tree }}"}}\n',
     '18:36: KY506: no param "n_tree"; did you mean "n_trees"?'),
    ('      xs: [1, ["${{ steps.eval_rf.outputs.model }}"]]\n      cfg: {}\n',
     "17:17: KY507: `steps.eval_rf.outputs.model` is a model artifact; a list or mapping holds values only (a list "
     "of artifacts comes from a loop: read the output after the loop)"),
    ('      xs: ["${{ steps.eval_rf.outputs.curve }}"]\n      cfg: {}\n',
     "17:13: KY503: `steps.eval_rf.outputs.curve` is a list: KFP places each value inside a list or mapping as its "
     "text, and the text of a list or mapping would break it; pass it as an input of its own"),
    ('      xs: ["${{ params.n_trees > 3 }}"]\n      cfg: {}\n',
     "17:13: KY504: `params.n_trees > 3` is a condition; a list or mapping holds values (names and literals), and "
     "KFP cannot evaluate a condition there"),
    ('      xs: []\n      cfg: {"${{ params.n_trees }}": 1}\n',
     "18:13: KY509: a key is literal text: KFP fills in values, never keys. Write the key itself, or pass the key "
     "as a value and build the mapping in the step"),
    ('      xs: {a: "${{ params.n_trees }}"}\n      cfg: {}\n',
     '17:11: KY503: input "xs" is a list, but this is a dict'),
    ('      xs: ["${{ params.n_trees }}"]\n      cfg: ["${{ params.n_trees }}"]\n',
     '18:12: KY503: input "cfg" is a dict, but this is a list'),
])
def test_references_inside_are_checked_at_their_place(with_, expected):
    assert _diagnostics(BASE + with_) == [expected]


def test_a_param_read_only_inside_a_list_is_used_and_its_producer_is_waited_for():
    result = api.compile_bytes((BASE + '      xs: [["${{ params.n_trees }}"]]\n'
                                '      cfg: {a: {b: "${{ steps.eval_rf.outputs.accuracy }}"}}\n').encode(), "p.yaml")
    assert result.diagnostics == []
    task = result.pipeline_spec["root"]["dag"]["tasks"]["use"]
    assert task["dependentTasks"] == ["eval-rf"]
    assert task["inputs"]["parameters"]["xs"]["runtimeValue"]["constant"] == [
        ["{{$.inputs.parameters['pipelinechannel--n_trees']}}"]]
    assert task["inputs"]["parameters"]["pipelinechannel--n_trees"] == {"componentInputParameter": "n_trees"}


def test_a_for_each_list_holding_expressions_is_refused_at_the_item():
    text = BASE.replace("  use:\n", '  use:\n    for_each: [1, "${{ params.n_trees }}"]\n') + "      xs: []\n      cfg: {}\n"
    assert _diagnostics(text) == [
        "13:19: KY509: a `for_each:` list is looped over as written: KFP cannot loop over a list built from values. "
        "Loop over one expression that holds a list (`${{ params.sizes }}`, `${{ steps.split.outputs.parts }}`) instead"]


def test_a_for_each_over_a_list_expression_naming_values_is_refused():
    text = BASE.replace("  use:\n", '  use:\n    for_each: "${{ [params.n_trees, 2] }}"\n') + "      xs: []\n      cfg: {}\n"
    assert _diagnostics(text) == [
        "13:16: KY504: `for_each:` loops over a literal list or one value that holds a list; KFP cannot loop over a "
        "list built from several values. Give a step a list input with these values and loop over its output, or "
        "loop over a param"]
