"""`kfyaml import` keeps the names a person gave (issue 19, point 4).

KFP's IR numbers repeated uses of a component (`announce-2`) and names its
own wrappers (`condition-branches-1`, `condition-branches-1-oneof-1`).
The import names branches after what they choose between, reads the
variables from the Python with `--source` where KFP's order is certain, and
says at the place (a note, or KY603) what it could not name. Each Python
pipeline here is compiled by KFP itself, from a real file, as a user would.
"""

import importlib.util
import sys
import textwrap

import pytest
import yaml
from conftest import run_cli
from kfp import compiler
from support.normalize_ir import normalize

from kfyaml.compiler import api
from kfyaml.compiler.importer import import_ir

COMPONENTS = '''
from kfp import dsl


@dsl.component(base_image="python:3.11")
def train(lr: float) -> float:
    return lr * 2


@dsl.component(base_image="python:3.11")
def announce(msg: str):
    print(msg)


@dsl.component(base_image="python:3.11")
def pick(score: float, model: dsl.Output[dsl.Model]):
    open(model.path, "w").write(str(score))


@dsl.component(base_image="python:3.11")
def say(x: float) -> str:
    return str(x)


@dsl.component(base_image="python:3.11")
def use(m: dsl.Input[dsl.Model], s: str):
    print(s)
'''

ROUTED = COMPONENTS + '''

@dsl.pipeline(name="routed")
def routed(lr: float = 0.1):
    t = train(lr=lr)
    start = announce(msg="start")
    with dsl.If(t.output > 0.5):
        big = pick(score=t.output)
        a = say(x=1.0)
        announce(msg="big").after(big)
    with dsl.Else():
        small = pick(score=0.0)
        b = say(x=2.0)
    best = dsl.OneOf(big.outputs["model"], small.outputs["model"])
    msg = dsl.OneOf(a.output, b.output)
    use(m=best, s=msg)
    shipped = use(m=best, s=msg).set_caching_options(False)
    done = announce(msg="done").after(shipped)
'''


def _compiled(tmp_path, source: str, function: str):
    """Write the Python to a file, import it and compile the pipeline with KFP: (source path, IR text)."""
    path = tmp_path / f"{function}_pipeline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"{function}_pipeline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ir = tmp_path / f"{function}.ir.yaml"
    compiler.Compiler().compile(getattr(module, function), str(ir))
    return path, ir.read_text()


def _steps(doc: dict) -> dict:
    """Every step id, with the branches' steps under their branches step."""
    out = {}
    for sid, step in doc["steps"].items():
        out[sid] = step
        for branch in step.get("branches", []):
            out.update(branch["steps"])
    return out


def test_without_the_source_branches_are_named_for_what_they_choose_and_numbered_names_get_a_note(tmp_path):
    _, ir = _compiled(tmp_path, ROUTED, "routed")
    result = import_ir(ir, "routed.ir.yaml")
    assert result.ok
    doc = yaml.safe_load(result.files["pipeline.yaml"])
    assert list(doc["steps"]) == ["announce", "train", "pick_or_pick_2", "use", "use_2", "announce_3"]
    assert doc["steps"]["use"]["with"] == {"m": "${{ steps.pick_or_pick_2.outputs.model }}",
                                           "s": "${{ steps.pick_or_pick_2.outputs.oneof_2 }}"}
    # the artifact OneOf takes the output name both branches give it; the value one, both `Output`, stays KFP's
    assert [b["outputs"] for b in doc["steps"]["pick_or_pick_2"]["branches"]] == [
        {"model": "${{ steps.pick.outputs.model }}", "oneof_2": "${{ steps.say.outputs.Output }}"},
        {"model": "${{ steps.pick_2.outputs.model }}", "oneof_2": "${{ steps.say_2.outputs.Output }}"}]
    assert result.notes == ("pipeline.yaml: announce_2, announce_3, pick_2, say_2, use_2: KFP numbers repeated uses "
                            "of a component; `--source PIPELINE.py` names them after the variables that hold their "
                            "tasks",)


def test_with_the_source_steps_and_oneofs_take_the_variables_names(tmp_path):
    source, ir = _compiled(tmp_path, ROUTED, "routed")
    result = import_ir(ir, "routed.ir.yaml", source=(str(source), source.read_text()))
    assert result.ok and result.notes == ()
    doc = yaml.safe_load(result.files["pipeline.yaml"])
    # repeated components take their variables; one used once keeps its own name (`train`, not `t`);
    # a repeated use with no variable (the first `use`, `announce(msg="big")`) keeps KFP's
    assert list(_steps(doc)) == ["start", "train", "big_or_small", "big", "a", "announce_2", "small", "b", "use",
                                 "shipped", "done"]
    assert doc["steps"]["shipped"]["with"] == {"m": "${{ steps.big_or_small.outputs.best }}",
                                               "s": "${{ steps.big_or_small.outputs.msg }}"}
    assert doc["steps"]["done"]["needs"] == ["shipped"]
    assert [b["outputs"] for b in doc["steps"]["big_or_small"]["branches"]] == [
        {"best": "${{ steps.big.outputs.model }}", "msg": "${{ steps.a.outputs.Output }}"},
        {"best": "${{ steps.small.outputs.model }}", "msg": "${{ steps.b.outputs.Output }}"}]


def test_the_renamed_import_compiles_to_what_kfp_compiled_under_the_new_names(tmp_path):
    source, ir = _compiled(tmp_path, ROUTED, "routed")
    result = import_ir(ir, "routed.ir.yaml", source=(str(source), source.read_text()))
    (tmp_path / "pipeline.yaml").write_text(result.files["pipeline.yaml"])
    compiled = api.compile_file(str(tmp_path / "pipeline.yaml"))
    assert compiled.ok, [d.format() for d in compiled.diagnostics]
    ours = normalize(*list(yaml.safe_load_all(compiled.ir_text()))[:2])
    theirs = normalize(*list(yaml.safe_load_all(ir))[:2])
    renamed = {"announce": "start", "pick": "big", "say": "a", "pick-2": "small", "say-2": "b", "use-2": "shipped",
               "announce-3": "done"}
    theirs = {renamed.get(name, name): _renamed(leaf, renamed) for name, leaf in theirs.items()}
    for leaf in theirs.values():
        leaf["waits_for"] = sorted(renamed.get(name, name) for name in leaf["waits_for"])
    assert sorted(theirs) == sorted(ours)
    for name in ours:
        assert ours[name] == theirs[name], name


def _renamed(value, names: dict):
    """A normalized task with each producer's name (`("output", task, key)`) replaced, at any depth."""
    if isinstance(value, tuple) and len(value) == 3 and value[0] == "output":
        return ("output", names.get(value[1], value[1]), value[2])
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_renamed(v, names) for v in value)
    return value


def test_calls_whose_order_python_decides_keep_kfps_names_and_say_why(tmp_path):
    looped = COMPONENTS + '''

@dsl.pipeline(name="looped")
def looped(lr: float = 0.1):
    first = train(lr=lr)
    for i in range(2):
        train(lr=float(i))
    if lr:
        extra = announce(msg="never counted")
    one = announce(msg="a")
    two = announce(msg="b")
'''
    source, ir = _compiled(tmp_path, looped, "looped")
    result = import_ir(ir, "looped.ir.yaml", source=(str(source), source.read_text()))
    doc = yaml.safe_load(result.files["pipeline.yaml"])
    assert list(doc["steps"]) == ["announce", "announce_2", "announce_3", "train", "train_2", "train_3"]
    lines = looped.splitlines()
    in_if, first = lines.index('        extra = announce(msg="never counted")') + 1, lines.index("    first = train(lr=lr)") + 1
    assert result.notes == (
        f"pipeline.yaml: kept KFP's names for `announce` (announce, announce-2, announce-3): the call at "
        f"{source}:{in_if} is inside a loop, `if`, `try` or function, so the order KFP numbered them in is not certain",
        f"pipeline.yaml: kept KFP's names for `train` (train, train-2, train-3): looped() in {source}:{first} calls it "
        "2 time(s), the IR has 3 task(s)")


def test_a_nested_pipeline_names_its_own_steps_from_its_own_function(tmp_path):
    nested = COMPONENTS + '''

@dsl.pipeline(name="inner-steps")
def inner(lr: float = 0.1):
    low = train(lr=lr)
    high = train(lr=lr * 2 if False else 0.9)


@dsl.pipeline(name="outer")
def outer(lr: float = 0.1):
    inner(lr=lr)
    again = inner(lr=0.5)
'''
    source, ir = _compiled(tmp_path, nested, "outer")
    result = import_ir(ir, "outer.ir.yaml", source=(str(source), source.read_text()))
    assert result.ok and result.notes == ()
    assert list(yaml.safe_load(result.files["pipeline.yaml"])["steps"]) == ["inner_steps", "again"]
    assert list(yaml.safe_load(result.files["pipelines/inner_steps.yaml"])["steps"]) == ["low", "high"]


def test_a_branches_step_keeps_its_name_through_compile_and_import(tmp_path):
    (tmp_path / "route.yaml").write_text(textwrap.dedent("""\
        name: route
        params:
          x: {type: int, default: 1}
        steps:
          route:
            branches:
              - if: ${{ params.x > 1 }}
                steps:
                  big: {image: alpine, command: [echo, big]}
              - else:
                steps:
                  small: {image: alpine, command: [echo, small]}
        """))
    compiled = api.compile_file(str(tmp_path / "route.yaml"))
    ir = yaml.safe_load(compiled.ir_text())
    # KFP's UI shows a task's taskInfo.name: the step's name, not `condition-branches-1`
    assert ir["root"]["dag"]["tasks"]["condition-branches-1"]["taskInfo"] == {"name": "route"}
    result = import_ir(compiled.ir_text(), "route.ir.yaml")
    assert list(yaml.safe_load(result.files["pipeline.yaml"])["steps"]) == ["route"]


def test_a_source_that_is_not_the_pipelines_python_is_a_located_error_and_nothing_is_written(tmp_path):
    _, ir = _compiled(tmp_path, ROUTED, "routed")
    (tmp_path / "routed.ir.yaml").write_text(ir)
    (tmp_path / "broken.py").write_text("from kfp import dsl\n\ndef f(:\n    pass\n")
    (tmp_path / "other.py").write_text("from kfp import dsl\n\n@dsl.pipeline(name='else')\ndef other():\n    pass\n")
    out = tmp_path / "out" / "pipeline.yaml"
    out.parent.mkdir()
    code, err = _cli("import", str(tmp_path / "routed.ir.yaml"), "-o", str(out), "--source",
                     str(tmp_path / "broken.py"), "--quiet")
    assert code == 1 and not out.exists()
    assert err.splitlines()[0] == (f"{tmp_path / 'broken.py'}:3:7: error: the file is not valid Python: invalid "
                                   "syntax; give the file that defines the pipeline [KY603]")
    code, err = _cli("import", str(tmp_path / "routed.ir.yaml"), "-o", str(out), "--source",
                     str(tmp_path / "other.py"), "--quiet")
    assert code == 1 and not out.exists()
    assert err.splitlines()[0] == (f"{tmp_path / 'other.py'}:1:1: error: no `@dsl.pipeline` function here compiles to "
                                   "the pipeline `routed` (pipeline functions found: other()); give the file that "
                                   "defines it [KY603]")
    code, err = _cli("import", str(tmp_path / "routed.ir.yaml"), "-o", str(out), "--source", str(tmp_path / "missing.py"))
    assert code == 2 and not out.exists()
    assert f"cannot read {tmp_path / 'missing.py'}: No such file or directory" in err


def test_the_cli_prints_the_notes_and_writes_the_named_steps(tmp_path):
    source, ir = _compiled(tmp_path, ROUTED, "routed")
    (tmp_path / "routed.ir.yaml").write_text(ir)
    done = run_cli("import", str(tmp_path / "routed.ir.yaml"))
    assert done.returncode == 0
    assert done.stderr.splitlines()[0] == ("note: pipeline.yaml: announce_2, announce_3, pick_2, say_2, use_2: KFP numbers "
                                   "repeated uses of a component; `--source PIPELINE.py` names them after the variables "
                                   "that hold their tasks")
    done = run_cli("import", str(tmp_path / "routed.ir.yaml"), "--source", str(source))
    assert done.returncode == 0 and done.stderr == ""
    assert "  shipped:\n" in done.stdout and "${{ steps.big_or_small.outputs.best }}" in done.stdout


def test_the_docs_command_writes_into_a_folder_it_makes(tmp_path):
    """docs/migrating.md: `kfyaml import training.ir.yaml -o pipelines/training.yaml --source my_pipelines.py`."""
    source, ir = _compiled(tmp_path, ROUTED.replace('name="routed"', 'name="training"'), "routed")
    (tmp_path / "training.ir.yaml").write_text(ir)
    done = run_cli("import", "training.ir.yaml", "-o", "pipelines/training.yaml", "--source", source.name, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "wrote pipelines/training.yaml (no problems)\n"
    assert "  shipped:\n" in (tmp_path / "pipelines" / "training.yaml").read_text()


def _cli(*args: str) -> tuple[int, str]:
    done = run_cli(*args)
    return done.returncode, done.stderr


@pytest.fixture
def cli_recursion_limit():
    """Python's default limit, as `kfyaml import` runs under it; a library imported by another test may raise it."""
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(saved)


def test_a_hostile_source_is_refused_at_its_place_never_a_traceback(tmp_path, cli_recursion_limit):
    _, ir = _compiled(tmp_path, ROUTED, "routed")
    head = "from kfp import dsl\n\n\n@dsl.pipeline(name='routed')\ndef routed():\n"
    deep = head + "    x = " + "+".join(["1"] * 1000) + "\n"  # parses, but nests past Python's recursion limit
    assert [d.format() for d in import_ir(ir, "routed.ir.yaml", source=("deep.py", deep)).diagnostics] == [
        "deep.py:5:1: error: routed() nests expressions deeper than kfyaml reads; give a pipeline function written "
        "as KFP's examples are [KY603]"]
    deeper = head + "    x = " + "+".join(["1"] * 100_000) + "\n"  # Python's own parser gives up
    assert [d.format() for d in import_ir(ir, "routed.ir.yaml", source=("deeper.py", deeper)).diagnostics] == [
        "deeper.py:1:1: error: the file is not Python kfyaml can parse [KY603]"]
    huge = head + "    pass\n" + "# padding\n" * 600_000
    assert [d.format() for d in import_ir(ir, "routed.ir.yaml", source=("huge.py", huge)).diagnostics] == [
        "huge.py:1:1: error: the file is larger than 5 MiB; give the Python file that defines the pipeline [KY603]"]
