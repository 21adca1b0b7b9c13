"""`kfyaml import`: KFP IR in, kfyaml files out, as a user runs it.

The round trip over the whole differential suite is in test_differential*.py
(every `_kfp_ir` call checks it); here: the command itself, the files it
writes, and the exact report for what it cannot say or cannot read.
"""


import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from kfp import compiler, dsl
from kfp import kubernetes as k8s
from support.round_trip import check

from kfyaml.compiler import api
from kfyaml.compiler.importer import import_ir

LONG_SOURCE = "def summarise(rows: int, report: dsl.Output[dsl.Markdown]) -> float:\n" + "".join(
    f"    step_{i} = {i} * rows\n" for i in range(24)) + \
    "    with open(report.path, 'w') as f:\n        f.write(str(step_23))\n    return float(step_23)\n"


@dsl.container_component
def echo(x: str):
    return dsl.ContainerSpec(image="alpine", command=["echo", x])


def _module_function(tmp_path, source: str, name: str):
    import importlib.util

    path = tmp_path / f"{name}.py"
    path.write_text("from kfp import dsl\n\n\n" + source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def _compiled(tmp_path, pipeline) -> str:
    path = tmp_path / "kfp.ir.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    return str(path)


def _migrating(tmp_path):
    summarise = dsl.component(_module_function(tmp_path, LONG_SOURCE, "summarise"), packages_to_install=["numpy"])

    @dsl.pipeline(name="child")
    def child(msg: str = "hi"):
        echo(x=msg)

    @dsl.pipeline(name="migrating")
    def migrating(rows: int = 10):
        s = summarise(rows=rows)
        with dsl.If(s.outputs["Output"] > 1.5):
            child(msg="big")

    return _compiled(tmp_path, migrating)


def test_import_writes_the_pipeline_its_code_and_its_nested_pipeline(tmp_path):
    ir = _migrating(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    proc = run_cli("import", ir, "-o", "pipeline.yaml", cwd=out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "wrote pipeline.yaml, pipelines/child.yaml, steps/summarise.py (no problems)\n"
    assert (out / "steps" / "summarise.py").read_text() == LONG_SOURCE
    assert (out / "pipeline.yaml").read_text() == textwrap.dedent("""\
        name: migrating

        params:
          rows: {type: int, default: 10}

        steps:
          summarise:
            python: {file: steps/summarise.py, function: summarise}
            packages: [numpy]
            with: {rows: "${{ params.rows }}"}
          child:
            if: "${{ steps.summarise.outputs.Output > 1.5 }}"
            uses: ./pipelines/child.yaml
            with: {msg: big}
        """)
    assert (out / "pipelines" / "child.yaml").read_text() == textwrap.dedent("""\
        name: child

        params:
          msg: {type: string, default: hi}

        steps:
          echo:
            image: alpine
            command: [echo, "${{ inputs.x }}"]
            inputs: {x: string}
            with: {x: "${{ params.msg }}"}
        """)
    # ... and it compiles back to what KFP compiled.
    (tmp_path / "again").mkdir()
    check(Path(ir), tmp_path / "again")


def test_import_never_overwrites_without_force(tmp_path):
    ir = _migrating(tmp_path)
    (tmp_path / "pipeline.yaml").write_text("mine\n")
    proc = run_cli("import", ir, "-o", "pipeline.yaml", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (
        2, "kfyaml: pipeline.yaml already exist(s); nothing was written (--force replaces them)\n")
    assert (tmp_path / "pipeline.yaml").read_text() == "mine\n"
    assert not (tmp_path / "steps").exists()
    proc = run_cli("import", ir, "-o", "pipeline.yaml", "--force", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "pipeline.yaml").read_text().startswith("name: migrating\n")


def test_a_one_file_import_goes_to_stdout_and_several_files_need_a_name(tmp_path):
    @dsl.pipeline(name="single-echo", display_name="Single Echo", description="One step.")
    def single():
        echo(x="hello")

    ir = _compiled(tmp_path, single)
    proc = run_cli("import", ir)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == import_ir(open(ir).read(), ir).files["pipeline.yaml"]
    assert proc.stdout.startswith("name: Single Echo\n\ndescription: One step.\n")
    (tmp_path / "single.yaml").write_text(proc.stdout)
    info = yaml.safe_load(api.compile_file(str(tmp_path / "single.yaml")).ir_text())["pipelineInfo"]
    assert info == yaml.safe_load(open(ir))["pipelineInfo"]
    proc = run_cli("import", _migrating(tmp_path))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == ("kfyaml: the import is 3 files (pipeline.yaml, pipelines/child.yaml, steps/summarise.py); "
                           "give -o pipeline.yaml to write them\n")


def _line_col(text: str, needle: str) -> tuple[int, int]:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


def test_what_kfyaml_cannot_say_is_reported_where_it_is_and_nothing_is_written(tmp_path):
    @dsl.pipeline(name="labelled")
    def labelled(data: dsl.Input[dsl.Dataset]):
        task = echo(x="hi")
        k8s.add_pod_label(task, "team", "ml")

    ir = _compiled(tmp_path, labelled)
    text = open(ir).read()
    out = tmp_path / "out"
    out.mkdir()
    proc = run_cli("import", ir, "-o", "pipeline.yaml", "-q", cwd=out)
    assert proc.returncode == 1
    data_at, label_at = _line_col(text.split("root:")[1], "data:"), _line_col(text, "podMetadata:")
    data_line = text[: text.index("root:")].count("\n") + data_at[0]
    assert proc.stderr.splitlines() == [
        f"{ir}:{data_line}:{data_at[1]}: error: a required artifact input of the whole pipeline: kfyaml takes a URI param and "
        "imports it (`type: dataset`), a different IR [KY602]",
        f"{ir}:{label_at[0]}:{label_at[1]}: error: the kfp-kubernetes setting `podMetadata` has no kfyaml form yet [KY602]",
        f"{ir}: 2 thing(s) kfyaml cannot say yet; nothing was written"]
    assert list(out.iterdir()) == []


def test_files_that_are_not_ir_are_refused_with_their_place(tmp_path):
    cases = {
        "pipeline.yaml": ("steps: {a: {image: alpine}}\n", "1:1: error: this is not KFP IR: a compiled pipeline "
                          "(a PipelineSpec, as `kfp.compiler.Compiler` writes it) has `root`, `components` and "
                          "`deploymentSpec` [KY601]"),
        "broken.yaml": ("root: [\n", "2:1: error: the file is not valid YAML: expected the node content, but found "
                        "'<stream end>' [KY601]"),
        "bomb.yaml": ("a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
            f"b{i}: &b{i} [{', '.join(['*' + ('a' if i == 0 else f'b{i - 1}')] * 10)}]\n" for i in range(9)),
            "1:1: error: anchors and aliases expand this file past 5,000,000 values; no compiled pipeline is that "
            "large (KFP writes none) [KY601]"),
        "deep.yaml": ("[" * 3000 + "]" * 3000 + "\n", "1:1: error: the file nests deeper than any compiled pipeline [KY601]"),
        "tagged.yaml": ("root: !!python/object:os.system {}\n", "1:7: error: the file is not valid YAML: the tag "
                        "tag:yaml.org,2002:python/object:os.system has no place in IR [KY601]"),
    }
    for name, (text, expected) in cases.items():
        (tmp_path / name).write_text(text)
        proc = run_cli("import", name, "-q", cwd=tmp_path)
        assert proc.returncode == 1, name
        assert proc.stderr.splitlines() == [f"{name}:{expected}",
                                            f"{name}: not a compiled KFP pipeline kfyaml can read; nothing was written"]


GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.ir.yaml"))


@pytest.mark.parametrize("ir", GOLDEN, ids=lambda p: p.name)
def test_kfyamls_own_ir_for_every_example_round_trips(ir, tmp_path):
    """kfyaml's IR of every example and fixture (stdlib steps, plain groups, matrices, component
    files...) imports back to a pipeline that compiles to the same meaning."""
    check(ir, tmp_path)
