"""A stand-in Kubernetes API server on 127.0.0.1 for the `kubernetes` client.

It serves the few endpoints the standard library calls (InferenceServices,
TrainJobs, CRDs, pods and their logs; a pod by name when the test puts it in `objects`), keeps objects in memory, records every
request for the test to check, and lets the test script what the cluster does
(when a service becomes Ready, when a TrainJob completes). The client under
test is the real one, talking HTTP to this server through a kubeconfig.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeCluster:
    def __init__(self):
        self.objects: dict[str, dict] = {}   # path -> object
        self.requests: list[dict] = []
        self.polls: dict[str, int] = {}
        self.ready_after = 2                 # GETs of a service before it reports Ready (None: never)
        self.on_create = None                # callback(path, body) when an object is created
        self.trainjob_complete_after = 2     # GETs of a TrainJob before it ends (None: never)
        self.trainjob_result = "Complete"
        self.pods: list[dict] = []
        self.logs: dict[str, str] = {}
        self.crds: dict[str, dict] = {}      # name -> the CRD, as `kubectl get crd NAME -o json` gives it
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def kubeconfig(self, path) -> str:
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "test",
            "clusters": [{"name": "test", "cluster": {"server": self.url}}],
            "users": [{"name": "test", "user": {"token": "test-token"}}],
            "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test", "namespace": "default"}}]}))
        return str(path)

    def calls(self) -> list[tuple[str, str]]:
        return [(r["method"], r["path"] + (f"?{r['query']}" if r["query"] else "")) for r in self.requests]

    # ---- the HTTP side ----------------------------------------------------------------

    def _handler(self):
        cluster = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, code: int, body):
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self):
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                cluster.requests.append({"method": self.command, "path": parsed.path, "query": parsed.query,
                                         "body": body, "auth": self.headers.get("Authorization")})
                code, reply = cluster.answer(self.command, parsed.path, urllib.parse.parse_qs(parsed.query), body)
                self._reply(code, reply)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        return Handler

    def answer(self, method: str, path: str, query: dict, body):
        not_found = (404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                           "message": f"{path} not found"})
        if path.startswith("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/") and method == "GET":
            name = path.rsplit("/", 1)[-1]
            return (200, self.crds[name]) if name in self.crds else not_found
        if path.endswith("/pods") and method == "GET":
            return 200, {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": self.pods}
        if path.endswith("/log") and method == "GET":
            return 200, self.logs.get(path.split("/")[-2], "")
        dry = query.get("dryRun") == ["All"]
        if method == "POST":
            name = body["metadata"]["name"]
            full = f"{path}/{name}"
            if full in self.objects:
                return 409, {"kind": "Status", "code": 409, "reason": "AlreadyExists"}
            if not dry:
                self.objects[full] = {**body, "metadata": {**body["metadata"], "resourceVersion": "1"}}
                if self.on_create:
                    self.on_create(full, body)
            return 201, body
        obj = self.objects.get(path)
        if obj is None:
            return not_found
        if method == "GET":
            self.polls[path] = self.polls.get(path, 0) + 1
            return 200, self._with_status(path, obj)
        if method == "PATCH":
            if not dry:
                obj["spec"] = {**obj.get("spec", {}), **body.get("spec", {})}
            return 200, obj
        if method == "PUT":
            self.objects[path] = body
            return 200, body
        if method == "DELETE":
            del self.objects[path]
            return 200, {"kind": "Status", "status": "Success"}
        return 405, {"message": "not allowed"}

    def _with_status(self, path: str, obj: dict) -> dict:
        polls = self.polls[path]
        if obj["kind"] == "InferenceService":
            ready = self.ready_after is not None and polls > self.ready_after
            name, ns = obj["metadata"]["name"], obj["metadata"].get("namespace", "default")
            status = {"conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                      "message": "" if ready else "Revision missing"}]}
            if ready:
                status["url"] = f"http://{name}.{ns}.example.com"
            return {**obj, "status": status}
        if obj["kind"] == "TrainJob":
            done = self.trainjob_complete_after is not None and polls > self.trainjob_complete_after
            conditions = [{"type": self.trainjob_result, "status": "True", "message": "jobset finished"}] if done else []
            return {**obj, "status": {"conditions": conditions}}
        return obj
