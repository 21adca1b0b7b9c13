"""`kfyaml test`: tests for pipelines, in YAML beside them, run by the local engine.

A test file (`pipeline.test.yaml`) names its pipeline and its cases; each case
gives params, mocks (a step's outputs given, its code not run; artifacts from
files) and expectations: steps that ran, were skipped or failed, the branch a
`branches:` step took, pipeline outputs, a step's inputs. A failed expectation
is reported at its line and column in the test file, like a diagnostic.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from xml.sax.saxutils import quoteattr

from ..config import default_workdir
from ..diagnostics import printable
from ..load import load_file
from .check import UsageError
from .expected_artifacts import mismatch

_CASE_KEYS = {"params", "mocks", "expect"}
_EXPECT_KEYS = {"ran", "skipped", "failed", "branches", "outputs", "inputs"}


@dataclasses.dataclass
class Outcome:
    name: str
    seconds: float = 0.0
    failures: list[str] = dataclasses.field(default_factory=list)  # "file:line:col: message"
    error: str | None = None  # the case could not run (a bad mock, a param)


def cmd_test(args, style) -> int:
    outcomes_by_file = []
    for path in args.files:
        outcomes_by_file.append((path, run_file(path, args.workdir or default_workdir(path))))
    failed = 0
    for path, outcomes in outcomes_by_file:
        print(path)
        for outcome in outcomes:
            verdict = "PASSED" if not outcome.failures and not outcome.error else ("ERROR" if outcome.error else "FAILED")
            print(f"  {outcome.name} {verdict} ({outcome.seconds:.1f}s)")
            for line in ([outcome.error] if outcome.error else []) + outcome.failures:
                print(f"    {printable(line)}")
            failed += verdict != "PASSED"
    total = sum(len(o) for _, o in outcomes_by_file)
    print(f"{total} case{'s' if total != 1 else ''}: {total - failed} passed, {failed} failed")
    if args.junit_xml:
        with open(args.junit_xml, "w", encoding="utf-8") as fh:
            fh.write(junit(outcomes_by_file))
    return 1 if failed else 0


def run_file(path: str, workdir: str) -> list[Outcome]:
    loaded = load_file(path)
    if loaded.document is None:
        raise UsageError("; ".join(d.format() for d in loaded.diagnostics))
    doc = loaded.document
    data = doc.data if isinstance(doc.data, dict) else {}

    def at(*where, key: bool = False) -> str:
        line, col = doc.locate(where, key=key)
        return f"{path}:{line}:{col}"

    pipeline_file = data.get("pipeline") or os.path.basename(path).replace(".test.yaml", ".yaml")
    if not isinstance(pipeline_file, str):
        raise UsageError(f"{at('pipeline')}: `pipeline` is the path of the pipeline file, relative to this one")
    pipeline_path = os.path.join(os.path.dirname(os.path.abspath(path)), pipeline_file)
    cases = data.get("cases")
    if not isinstance(cases, dict) or not cases:
        raise UsageError(f"{at('cases')}: a test file has `cases:`, a mapping of case names to params, mocks, expect")
    from .. import api
    from .execute import step_labels

    result = api.compile_file(pipeline_path)
    if not result.ok:
        errors = "; ".join(d.format() for d in result.diagnostics if d.severity.value == "error")
        raise UsageError(f"{at('pipeline')}: the pipeline does not compile: {errors}")
    labels = step_labels(result)  # IR task -> step id
    ids = {s.id: s for s in result.pipeline.all_steps()}
    return [_case(name, case or {}, ("cases", name), at, result, labels, ids, pipeline_path, workdir)
            for name, case in cases.items()]


def _case(name, case, where, at, result, labels, ids, pipeline_path, workdir) -> Outcome:
    from kfyaml.runner import params as run_params
    from kfyaml.runner.engine import Run
    from kfyaml.runner.records import RunError
    from kfyaml.runner.run_record import Recorder

    from ..lower.state import task_name
    from .recording import record_header

    outcome = Outcome(str(name))
    started = time.time()
    problem = _form(case)
    if problem:
        outcome.failures.append(f"{at(*where, *problem[0])}: {problem[1]}")
        return outcome
    for key in (case if isinstance(case, dict) else {}):
        if key not in _CASE_KEYS:
            outcome.failures.append(f"{at(*where, key, key=True)}: unknown key `{key}`; a case has {', '.join(sorted(_CASE_KEYS))}")
    mocks = {}
    for step, mock in (case.get("mocks") or {}).items():
        if step not in ids:
            outcome.failures.append(f"{at(*where, 'mocks', step, key=True)}: no step \"{step}\" in the pipeline")
            continue
        given = mock if isinstance(mock, dict) and "outputs" in mock else {"outputs": mock}
        inner = ("outputs",) if given is mock else ()
        for rel, key, message in mock_problems(ids[step], given.get("outputs") or {}):
            outcome.failures.append(f"{at(*where, 'mocks', step, *inner, *rel, key=key)}: {message}")
        mocks[task_name(step)] = given
    expect = case.get("expect") or {}
    for key in expect:
        if key not in _EXPECT_KEYS:
            outcome.failures.append(f"{at(*where, 'expect', key, key=True)}: unknown expectation `{key}`; "
                                    f"expectations are {', '.join(sorted(_EXPECT_KEYS))}")
    if outcome.failures:
        return outcome
    try:
        bound = run_params.bind(result.pipeline_spec, {k: v for k, v in (case.get("params") or {}).items()})
    except RunError as exc:
        outcome.error = f"{at(*where, 'params')}: {exc}"
        return outcome
    run = Run(result.pipeline_spec, bound, workdir, use_cache=False, labels=labels, platform=result.platform_spec,
              base_dir=os.path.dirname(pipeline_path), mocks=mocks)
    recorder = Recorder(run.run_dir, record_header(result, pipeline_path, bound, case=name), lambda: run.records)
    ended = run.execute()
    recorder.finish(ended.state, ended.error)  # the case's run shows in `kfyaml ui` like any other
    outcome.seconds = time.time() - started
    states: dict[str, list] = {}
    for record in run.records:  # a record counts for its step and for each step around it (a nested pipeline)
        for part in record.path.split("/"):
            key = part.split("[")[0]
            if key in labels:
                states.setdefault(labels[key], []).append(record)
    _expectations(outcome, expect, where, at, states, ids, ended, os.path.dirname(pipeline_path))
    allowed = set(expect.get("failed") or [])
    for record in run.records:  # a step that fails unexpected fails the case, with its error
        if record.state in ("failed", "timed_out") and not any(s in allowed for s, rs in states.items() if record in rs):
            outcome.failures.append(f"{at(*where)}: step {record.label} failed: {record.error}")
    if ended.internal_error:
        outcome.error = f"internal error in kfyaml run: {ended.internal_error}"
    return outcome


def mock_problems(step, outputs: dict) -> list[tuple[tuple, bool, str]]:
    """What is wrong with a mock of `step`, before anything runs: (where in the mock, at the key?, message).
    A value of the wrong type would otherwise reach a condition or a step and fail there, far from here."""
    from ..values import a, show, value_ok

    if step.component is None:
        return [((), True, f'"{step.id}" is a {step.kind} step; mock the steps inside it')]
    ports = step.component.outputs
    problems = []
    for name, value in outputs.items():
        port = ports.get(name)
        if port is None:
            known = ", ".join(ports) or "none"
            problems.append(((name,), True, f'"{step.id}" has no output "{name}"; its outputs: {known}'))
        elif port.type.is_artifact and not isinstance(value, str):
            problems.append(((name,), False, f'output "{name}" of "{step.id}" is {a(port.type)} artifact: give the '
                                             f"path of a file or folder (relative to the pipeline), not {show(value)}"))
        elif not port.type.is_artifact and not value_ok(value, port.type):
            problems.append(((name,), False, f'output "{name}" of "{step.id}" is {a(port.type)}, but the mock gives '
                                             f"{show(value)}"))
    missing = [n for n, p in ports.items() if n not in outputs and not p.type.is_artifact]
    if missing:
        problems.append(((), True, f'the mock of "{step.id}" gives no value for its output "{missing[0]}" '
                                   f"({ports[missing[0]].type})"))
    return problems


_MAPPINGS = ("params", "mocks", "expect")


def _form(case) -> tuple[tuple, str] | None:
    """(where, what is wrong) when the case is not of the form a case has; None when it is."""
    if not isinstance(case, dict):
        return (), "a case is a mapping with params, mocks and expect"
    for key in _MAPPINGS:
        if key in case and case[key] is not None and not isinstance(case[key], dict):
            return (key,), f"`{key}` is a mapping"
    for step, mock in (case.get("mocks") or {}).items():
        if not isinstance(mock, dict):
            return ("mocks", step), "a mock is a mapping of the step's outputs to their values (or files)"
    expect = case.get("expect") or {}
    for key in ("ran", "skipped", "failed"):
        if key in expect and not (isinstance(expect[key], list) and all(isinstance(s, str) for s in expect[key])):
            return ("expect", key), f"`{key}` is a list of step ids"
    for key in ("branches", "outputs", "inputs"):
        if key in expect and not isinstance(expect[key], dict):
            return ("expect", key), f"`{key}` is a mapping"
    for step, inputs in (expect.get("inputs") or {}).items():
        if not isinstance(inputs, dict):
            return ("expect", "inputs", step), "a step's expected inputs are a mapping of input names to values"
    return None


def _expectations(outcome, expect, where, at, states, ids, ended, base: str) -> None:
    def check(step, kind, i):
        place = at(*where, "expect", kind, i)
        if step not in ids:
            outcome.failures.append(f"{place}: no step \"{step}\" in the pipeline")
            return
        seen = [r.state for r in states.get(step, [])]
        ok = {"ran": lambda: any(s in ("succeeded", "cached") for s in seen),
              "skipped": lambda: bool(seen) and all(s in ("skipped", "upstream_failed") for s in seen),
              "failed": lambda: any(s in ("failed", "timed_out") for s in seen)}[kind]()
        if not ok:
            reasons = sorted({(r.state + (f" ({r.reason})" if r.reason else "")) for r in states.get(step, [])})
            outcome.failures.append(f"{place}: expected \"{step}\" to have {'run' if kind == 'ran' else kind}, "
                                    f"but it {' / '.join(reasons) or 'never started'}")

    for kind in ("ran", "skipped", "failed"):
        for i, step in enumerate(expect.get(kind) or []):
            check(step, kind, i)
    for step, wanted in (expect.get("branches") or {}).items():
        route = ids.get(step)
        if route is None or route.kind != "branches":
            outcome.failures.append(f"{at(*where, 'expect', 'branches', step)}: \"{step}\" is not a `branches:` step")
            continue
        taken = None
        for index, branch in enumerate(route.children):
            leaves = [s.id for s in branch.walk() if not s.children]
            if any(r.state in ("succeeded", "cached") for leaf in leaves for r in states.get(leaf, [])):
                taken = "else" if branch.is_else else index
                break
        if taken != wanted:
            outcome.failures.append(f"{at(*where, 'expect', 'branches', step)}: expected branch {wanted!r} of "
                                    f"\"{step}\", but {'branch ' + repr(taken) if taken is not None else 'none'} ran")
    for name, wanted in (expect.get("outputs") or {}).items():
        got = ended.outputs["parameters"].get(name, "<no such output>")
        if got != wanted:
            outcome.failures.append(f"{at(*where, 'expect', 'outputs', name)}: output \"{name}\" is "
                                    f"{json.dumps(got)}, expected {json.dumps(wanted)}")
    def produced(step: str, output: str) -> list[str] | None:
        paths = [p for r in states.get(step, []) for p in r.artifacts.get(output, [])]
        return paths or None

    for step, inputs in (expect.get("inputs") or {}).items():
        records = [r for r in states.get(step, []) if r.inputs]
        ports = ids[step].component.inputs if step in ids and ids[step].component is not None else {}
        for input_name, wanted in (inputs or {}).items():
            got = records[0].inputs.get(input_name, "<not set>") if records else "<the step did not run>"
            port = ports.get(input_name)
            if port is not None and port.type.is_artifact and isinstance(got, list):
                why = mismatch(got, wanted, base, produced)
                if why:
                    outcome.failures.append(f"{at(*where, 'expect', 'inputs', step, input_name)}: \"{step}\" "
                                            f"received the wrong {input_name}: {why}")
                continue
            if got != wanted:
                outcome.failures.append(f"{at(*where, 'expect', 'inputs', step, input_name)}: \"{step}\" received "
                                        f"{input_name} = {json.dumps(got)}, expected {json.dumps(wanted)}")


def junit(outcomes_by_file) -> str:
    """JUnit XML (the Ant/Jenkins layout CI systems read): a testsuite per file, a testcase per case."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for number, (path, outcomes) in enumerate(outcomes_by_file):
        failures = sum(1 for o in outcomes if o.failures and not o.error)
        errors = sum(1 for o in outcomes if o.error)
        out.append(f'  <testsuite name={quoteattr(path)} package={quoteattr(path)} id="{number}" timestamp="{stamp}" '
                   f'hostname="localhost" tests="{len(outcomes)}" failures="{failures}" errors="{errors}" '
                   f'time="{sum(o.seconds for o in outcomes):.3f}">')
        out.append("    <properties/>")
        for o in outcomes:
            out.append(f'    <testcase name={quoteattr(o.name)} classname={quoteattr(path)} time="{o.seconds:.3f}">')
            if o.error:
                out.append(f'      <error type="error" message={quoteattr(o.error)}/>')
            elif o.failures:
                text = "\n".join(o.failures).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                out.append(f'      <failure type="expectation" message={quoteattr(o.failures[0])}>{text}</failure>')
            out.append("    </testcase>")
        out.append("    <system-out></system-out>\n    <system-err></system-err>\n  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"
