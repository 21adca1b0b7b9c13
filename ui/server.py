"""`kfyaml ui`: the run store on a local web page.

Bound to 127.0.0.1 unless `--host` says otherwise. Every `/api/` answer
needs the random token printed in the page's URL (compared in constant
time), and a request whose Host header is not the address served is refused
(a web page elsewhere cannot reach it through DNS rebinding). Files come only
from inside a run folder (store.Store.file); HTML artifacts are served with
`Content-Security-Policy: sandbox`, so a step's report cannot run scripts in
the page's origin. Live state goes out as server-sent events, one when
`run.json` changes (the runner writes it at most every 0.1 s).
"""

from __future__ import annotations

import hmac
import json
import mimetypes
import secrets
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from kfyaml.runner.run_record import ENDED, RUN_FILE

from . import dag_svg, fragments
from .store import Store

PAGE_FILES = {"/": ("index.html", "text/html; charset=utf-8"), "/app.js": ("app.js", "text/javascript; charset=utf-8"),
              "/style.css": ("style.css", "text/css; charset=utf-8")}
_SAFE_INLINE = {"text/plain", "text/csv", "application/json", "image/png", "image/jpeg", "image/gif", "image/webp"}
_PAGE_CSP = "default-src 'self'; img-src 'self' data:; frame-src 'self'; style-src 'self'; script-src 'self'"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
HEARTBEAT = 15.0  # seconds between two keep-alive comments on an idle event stream


class UI:
    """What the handler needs: the store, the token, the addresses a request may name."""

    def __init__(self, workdir: str | Path, host: str = "127.0.0.1", port: int = 0, token: str | None = None):
        self.store = Store(workdir)
        self.token = token or secrets.token_urlsafe(24)
        self.server = ThreadingHTTPServer((host, port), _Handler)
        self.server.daemon_threads = True
        self.server.ui = self
        self.host, self.port = host, self.server.server_address[1]
        # On loopback, a request must name this address (no DNS rebinding); served to other machines on purpose
        # (`--host`), they reach it by whatever name they have for it, and the token alone guards it.
        self.hosts = {f"{host}:{self.port}", f"127.0.0.1:{self.port}", f"localhost:{self.port}", f"[::1]:{self.port}"} \
            if host in LOOPBACK else None
        self.stopping = threading.Event()
        self.svg_cache: tuple | None = None  # (run, its record) -> the last DAG drawn; a page's reloads reuse it

    def url(self, run_id: str | None = None) -> str:
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        page = f"#/run/{quote(run_id)}" if run_id else ""
        return f"http://{shown}:{self.port}/?token={self.token}{page}"

    def serve_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="kfyaml-ui")
        thread.start()
        return thread

    def close(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    server_version = "kfyaml-ui"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (the stdlib's name): quiet, the terminal is the user's
        pass

    @property
    def ui(self) -> UI:
        return self.server.ui

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if self.ui.hosts is not None and self.headers.get("Host") not in self.ui.hosts:
            return self._send(HTTPStatus.FORBIDDEN, b"unknown host", "text/plain")
        if url.path == "/favicon.ico":
            return self._send(HTTPStatus.NO_CONTENT, b"", "text/plain")
        if url.path in PAGE_FILES:
            name, kind = PAGE_FILES[url.path]
            body = resources.files("kfyaml.ui").joinpath("page", name).read_bytes()
            return self._send(HTTPStatus.OK, body, kind, {"Content-Security-Policy": _PAGE_CSP})
        if not url.path.startswith("/api/"):
            return self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
        given = query.get("token", "") or self.headers.get("X-Kfyaml-Token", "")
        if not hmac.compare_digest(given.encode(), self.ui.token.encode()):
            return self._send(HTTPStatus.FORBIDDEN, b"the token in the page's URL is needed", "text/plain")
        parts = [unquote(p) for p in url.path.split("/")[2:]]
        try:
            return self._api(parts, query)
        except (ConnectionError, TimeoutError):  # the page went away (closed, reloaded): nothing to say
            self.close_connection = True
            return None
        except Exception:  # kfyaml's own bug: the page says so, the server goes on
            import traceback

            traceback.print_exc()
            return self._send(HTTPStatus.INTERNAL_SERVER_ERROR, b"kfyaml ui failed on this request; the traceback is in "
                              b"the terminal running it. Please report it [KY900]", "text/plain")

    def _api(self, parts: list[str], query: dict):
        store = self.ui.store
        if parts == ["runs"]:
            page = store.page(_int(query.get("page"), 1), _int(query.get("per_page"), 50))
            return self._json(page)
        if parts and parts[0] == "compare":
            runs = [store.run(i) for i in query.get("ids", "").split(",") if i]
            if len(runs) < 2 or any(r is None for r in runs):
                return self._send(HTTPStatus.NOT_FOUND, b"compare needs two or more runs", "text/plain")
            return self._send(HTTPStatus.OK, fragments.compare(runs).encode(), "text/html; charset=utf-8")
        if len(parts) < 2 or parts[0] != "runs" or store.folder(parts[1]) is None:
            return self._send(HTTPStatus.NOT_FOUND, b"no such run", "text/plain")
        run_id, rest = parts[1], parts[2:]
        if rest == []:
            run = store.run(run_id)
            if run is None:
                return self._send(HTTPStatus.NOT_FOUND, b"no record of this run", "text/plain")
            if query.get("steps") == "0":  # what the page's header needs; states come by events
                run = {k: v for k, v in run.items() if k not in ("steps", "graph")}
            return self._json(run)
        if rest == ["dag.svg"]:
            run = store.run(run_id) or {}
            key = (run_id, tuple(sorted((run.get("nodes") or {}).items())))  # a run's DAG is fixed; its states change
            cached = self.ui.svg_cache
            if cached is None or cached[0] != key:
                cached = self.ui.svg_cache = (key, dag_svg.svg(run.get("graph") or {}, run.get("nodes")).encode())
            return self._send(HTTPStatus.OK, cached[1], "image/svg+xml")
        if len(rest) == 2 and rest[0] == "node":
            run = store.run(run_id) or {}
            steps = [s for s in run.get("steps", []) if s.get("node") == rest[1]]
            link = self._linker(run_id)
            return self._send(HTTPStatus.OK, fragments.step_details(steps, store.folder(run_id), link).encode(),
                              "text/html; charset=utf-8")
        if rest == ["events"]:
            return self._events(run_id)
        if rest == ["file"]:
            return self._file(run_id, query.get("path", ""), query.get("download") == "1", query.get("as") == "html")
        return self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

    def _linker(self, run_id: str):
        def link(rel: str) -> str | None:
            if "://" in rel or rel.startswith("/"):
                return None
            return f"/api/runs/{quote(run_id)}/file?path={quote(rel)}&token={self.ui.token}"
        return link

    def _file(self, run_id: str, rel: str, download: bool, as_html: bool):
        path = self.ui.store.file(run_id, rel)
        if path is None:
            return self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
        kind = "text/html" if as_html else fragments.image_type(path) or mimetypes.guess_type(path.name)[0] \
            or "application/octet-stream"
        if path.suffix in (".log", ".txt", ".md"):
            kind = "text/plain"
        headers = {"Content-Security-Policy": "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"}
        if kind == "text/html":
            pass  # shown in the page's sandboxed iframe; the header sandboxes it when opened on its own too
        elif kind not in _SAFE_INLINE or download:
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(path.name)}"
        if kind.startswith("text/") and "charset" not in kind:
            kind += "; charset=utf-8"
        size = path.stat().st_size
        self.send_response(HTTPStatus.OK)
        self._common_headers(kind, size, headers)
        with open(path, "rb") as fh:  # streamed: a full log can be large
            while chunk := fh.read(256 * 1024):
                self.wfile.write(chunk)

    def _events(self, run_id: str):
        """Server-sent events: the run's state and its nodes' states each time `run.json` changes, until it ends."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        record = self.ui.store.folder(run_id) / RUN_FILE
        seen, quiet_since = None, time.monotonic()
        while not self.ui.stopping.is_set():
            try:
                stamp = record.stat().st_mtime_ns
            except OSError:
                stamp = None
            if stamp != seen:
                seen = stamp
                run = self.ui.store.run(run_id) or {}
                event = {"state": run.get("state"), "nodes": run.get("nodes", {}), "counts": run.get("counts", {}),
                         "finished": run.get("finished"), "started": run.get("started"),
                         "running": sorted({s["node"] for s in run.get("steps", [])
                                            if s.get("state") == "running" and s.get("node")})}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
                quiet_since = time.monotonic()
                if run.get("state") in ENDED or run.get("state") == "interrupted":
                    return
            elif time.monotonic() - quiet_since > HEARTBEAT:
                self.wfile.write(b": still here\n\n")
                self.wfile.flush()
                quiet_since = time.monotonic()
            time.sleep(0.05)

    def _json(self, data) -> None:
        self._send(HTTPStatus.OK, json.dumps(data, default=str).encode(), "application/json")

    def _send(self, status, body: bytes, kind: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self._common_headers(kind, len(body), headers or {})
        self.wfile.write(body)

    def _common_headers(self, kind: str, size: int, headers: dict) -> None:
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(size))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for key, val in headers.items():
            self.send_header(key, val)
        self.end_headers()


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default
