"""The catalog the compiler reads is current, and means what KFP means."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml
from conftest import ROOT

from kfyaml.stdlib_steps.notify import notify
from tools.build_stdlib import STEPS, build_catalog, render_docs


def test_catalog_and_steps_doc_are_current():
    catalog = build_catalog()
    committed = json.loads((ROOT / "stdlib_steps" / "catalog.json").read_text())
    assert committed == catalog, "stdlib_steps/catalog.json is stale: run `python tools/build_stdlib.py`"
    assert (ROOT / "docs" / "steps.md").read_text() == render_docs(catalog), \
        "docs/steps.md is stale: run `python tools/build_stdlib.py`"


@pytest.mark.parametrize("name", STEPS)
def test_interface_matches_dsl_component(name, tmp_path):
    """KFP's @dsl.component on the same function gives the same typed interface."""
    from kfp import compiler, dsl

    module = importlib.import_module(f"kfyaml.stdlib_steps.{name}")
    component = dsl.component(getattr(module, name), base_image=getattr(module, "IMAGE", "python:3.11-slim"),
                              packages_to_install=module.PACKAGES)
    path = tmp_path / "c.yaml"
    compiler.Compiler().compile(component, str(path))
    theirs = yaml.safe_load(path.read_text())["components"][f"comp-{name.replace('_', '-')}"]

    from kfyaml.compiler.catalog import StdlibCatalog
    from kfyaml.compiler.lower.components import io_definitions as _io_definitions

    ours_component = StdlibCatalog().get(name)
    status = {n for n, p in ours_component.inputs.items() if name == "notify" and n == "status"}
    ours = {"inputDefinitions": _io_definitions(ours_component.inputs, status),
            "outputDefinitions": _io_definitions(ours_component.outputs, set(), inputs=False)}

    def shape(defs):
        out = {}
        for kind, ports in (defs or {}).items():
            for port, spec in ports.items():
                out[(kind, port)] = {k: v for k, v in spec.items() if k != "description"}
        return out

    assert shape(ours["inputDefinitions"]) == shape(theirs.get("inputDefinitions"))
    assert shape(ours["outputDefinitions"]) == shape(theirs.get("outputDefinitions"))


def test_stdlib_steps_compile_without_importing_their_packages():
    code = ("import sys\nfrom kfyaml.compiler import api\n"
            f"r = api.compile_file({str(ROOT / 'examples' / 'training_pipeline.yaml')!r})\n"
            "assert r.ok, [d.format() for d in r.diagnostics]\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'kfp', 'torch', 'sklearn', 'pandas', 'kubernetes', 'numpy'}))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# ---- notify ------------------------------------------------------------------------------------------

class _Status:
    state = "FAILED"
    pipeline_job_resource_name = "runs/123"
    error_message = "train: OOMKilled"


def test_notify_posts_to_the_webhook(capsys):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            received.append((self.headers["Content-Type"], json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = notify(status=_Status(), webhook_url=f"http://127.0.0.1:{server.server_address[1]}/hook", message="churn model")
    finally:
        server.shutdown()
    assert out.state == "FAILED"
    assert received == [("application/json", {
        "text": "churn model: pipeline runs/123 finished: FAILED (train: OOMKilled)", "state": "FAILED",
        "pipeline": "runs/123", "error": "train: OOMKilled"})]
    assert "notify: webhook answered 200" in capsys.readouterr().out


def test_notify_survives_a_dead_webhook(capsys):
    out = notify(status=_Status(), webhook_url="http://127.0.0.1:9/hook")
    assert out.state == "FAILED"
    assert "notify: could not post to the webhook:" in capsys.readouterr().out
