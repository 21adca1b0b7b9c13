"""A stand-in KFP API server (the v2beta1 endpoints kfp.Client 2.17 calls) on 127.0.0.1.

It keeps experiments, pipelines, versions and runs in memory, records every
request (method, path, query, JSON or multipart body) for the test to check,
and plays back a scripted sequence of run states to `GET /runs/{id}`.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from support.openapi_check import check, models_for

API = "/apis/v2beta1"


class FakeKfp:
    def __init__(self, run_states=("SUCCEEDED",), mode: str = "api"):
        # mode: "api"; "html" (an auth proxy's sign-in page, status 200, for every path);
        # "unauthorized" (401, its body echoing the Authorization header, as careless servers do)
        self.mode = mode
        self.violations: list[str] = []  # what KFP's API description does not allow, in requests or replies
        self.requests: list[dict] = []
        self.experiments: list[dict] = []
        self.pipelines: list[dict] = []
        self.versions: dict[str, list[dict]] = {}
        self.runs: dict[str, dict] = {}
        self.recurring: dict[str, dict] = {}
        self.created_recurring = 0
        self.refuse_creates = False  # answer recurring-run creates with an error, as a failing server would
        self.run_states = list(run_states)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        """Stop; and fail the test if anything it sent or was sent broke KFP's API description."""
        self.server.shutdown()
        self.server.server_close()
        assert not self.violations, "not the KFP v2beta1 API:\n" + "\n".join(self.violations)

    def calls(self) -> list[tuple[str, str]]:
        return [(r["method"], r["path"]) for r in self.requests]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                ctype = self.headers.get("Content-Type", "")
                body = _multipart(ctype, raw) if ctype.startswith("multipart/") else (json.loads(raw) if raw else None)
                fake.requests.append({"method": self.command, "path": parsed.path,
                                      "query": urllib.parse.parse_qs(parsed.query), "body": body,
                                      "auth": self.headers.get("Authorization")})
                kind = "application/json"
                if fake.mode == "html":
                    code, kind = 200, "text/html; charset=utf-8"
                    data = b"<!doctype html><html><body><form>Sign in</form></body></html>"
                elif fake.mode == "unauthorized":
                    code = 401
                    data = json.dumps({"error": f"invalid credentials: {self.headers.get('Authorization')}"}).encode()
                else:
                    request_model, reply_model = models_for(self.command, parsed.path.removeprefix(API))
                    problems = check(request_model, body, f"{self.command} {parsed.path}") \
                        if request_model and isinstance(body, dict) else []
                    if problems:
                        fake.violations += problems
                        code, reply = 400, {"error": "; ".join(problems), "code": 3}
                    else:
                        code, reply = fake.answer(self.command, parsed.path, urllib.parse.parse_qs(parsed.query), body)
                        if code == 200 and reply_model:
                            fake.violations += check(reply_model, reply, f"reply to {self.command} {parsed.path}")
                    data = json.dumps(reply).encode()
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _handle

        return Handler

    def answer(self, method, path, query, body):
        if path == f"{API}/healthz":
            return 200, {"multi_user": False}
        if path == f"{API}/experiments" and method == "GET":
            wanted = _filter_name(query)
            found = [e for e in self.experiments if wanted is None or e["display_name"] == wanted]
            return 200, {"experiments": found, "total_size": len(found)} if found else {}
        if path == f"{API}/experiments" and method == "POST":
            experiment = {**body, "experiment_id": f"exp-{len(self.experiments) + 1}"}
            self.experiments.append(experiment)
            return 200, experiment
        if path == f"{API}/pipelines" and method == "GET":
            wanted = _filter_name(query)
            found = [p for p in self.pipelines if wanted is None or p["display_name"] == wanted]
            return 200, {"pipelines": found, "total_size": len(found)} if found else {}
        if path == f"{API}/pipelines/upload":
            pipeline = {"pipeline_id": f"pipeline-{len(self.pipelines) + 1}", "display_name": query["name"][0]}
            self.pipelines.append(pipeline)
            self.versions[pipeline["pipeline_id"]] = [{"pipeline_id": pipeline["pipeline_id"],
                                                      "pipeline_version_id": f"{pipeline['pipeline_id']}-v1",
                                                      "display_name": query["name"][0]}]
            return 200, pipeline
        if path == f"{API}/pipelines/upload_version":
            pipeline_id = query["pipelineid"][0]
            version = {"pipeline_id": pipeline_id, "display_name": query["name"][0],
                       "pipeline_version_id": f"{pipeline_id}-v{len(self.versions[pipeline_id]) + 1}"}
            self.versions[pipeline_id].append(version)
            return 200, version
        if path.startswith(f"{API}/pipelines/") and path.endswith("/versions"):
            pipeline_id = path.split("/")[-2]
            return 200, {"pipeline_versions": self.versions.get(pipeline_id, []), "total_size": 1}
        if path == f"{API}/runs" and method == "POST":
            run = {**body, "run_id": f"run-{len(self.runs) + 1}", "state": "PENDING"}
            self.runs[run["run_id"]] = run
            return 200, run
        if path == f"{API}/runs" and method == "GET":
            state = _filter_value(query, "state")
            found = [r for r in self.runs.values() if state is None or r.get("state") == state]
            return 200, _page("runs", found, query)
        if path.startswith(f"{API}/runs/") and ":" in path and method == "POST":
            rid, verb = path.rsplit("/", 1)[1].split(":", 1)
            if rid not in self.runs:
                return 404, {"error": f"no run {rid}", "code": 5}
            self.runs[rid]["state"] = {"terminate": "CANCELING", "retry": "RUNNING"}[verb]
            return 200, {}
        if path.startswith(f"{API}/runs/") and method == "GET":
            if path.rsplit("/", 1)[1] not in self.runs:
                return 404, {"error": f"no run {path.rsplit('/', 1)[1]}", "code": 5}
            run = self.runs[path.rsplit("/", 1)[1]]
            if self.run_states:
                run["state"] = self.run_states.pop(0)
            return 200, run
        if path == f"{API}/recurringruns" and method == "POST":
            if self.refuse_creates:
                return 500, {"error": "the scheduler is unavailable", "code": 14}
            self.created_recurring += 1
            run = {**body, "recurring_run_id": f"rr-{self.created_recurring}", "status": "ENABLED"}
            self.recurring[run["recurring_run_id"]] = run
            return 200, run
        if path == f"{API}/recurringruns" and method == "GET":
            wanted = _filter_name(query)
            experiment = query.get("experiment_id", [None])[0]
            found = [r for r in self.recurring.values() if (wanted is None or r["display_name"] == wanted)
                     and (experiment is None or r.get("experiment_id") == experiment)]
            return 200, _page("recurringRuns", found, query)
        if path.startswith(f"{API}/recurringruns/"):
            rid, _, verb = path.rsplit("/", 1)[1].partition(":")
            if rid not in self.recurring:
                return 404, {"error": f"no recurring run {rid}", "code": 5}
            if method == "DELETE":
                del self.recurring[rid]
                return 200, {}
            if method == "POST" and verb in ("enable", "disable"):
                self.recurring[rid]["mode"] = "ENABLE" if verb == "enable" else "DISABLE"
                return 200, {}
            return 200, self.recurring[rid]
        return 404, {"error": f"no {method} {path} here", "code": 5}


def _filter_name(query) -> str | None:
    return _filter_value(query, "display_name", "name")


def _filter_value(query, *keys: str) -> str | None:
    raw = query.get("filter", [None])[0]
    if not raw:
        return None
    predicates = json.loads(raw).get("predicates", [])
    for p in predicates:
        if p.get("key") in keys:
            return p.get("string_value") or p.get("stringValue")
    return None


def _page(field: str, found: list, query) -> dict:
    """One page, as KFP's list endpoints answer: `page_size` items (KFP caps it at 100) from the opaque
    `page_token`, and the next page's token while there is one."""
    size = min(int(query.get("page_size", ["10"])[0] or 10), 100)
    start = int(query.get("page_token", ["0"])[0] or 0)
    page = found[start:start + size]
    out = {field: page, "total_size": len(found)} if page else {}
    if start + size < len(found):
        out["next_page_token"] = str(start + size)
    return out


def _multipart(content_type: str, raw: bytes) -> dict:
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    return {part.get_param("name", header="content-disposition"): part.get_content() for part in message.iter_parts()}
