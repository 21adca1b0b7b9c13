"""Remote `uses:` pinned in kfyaml.lock (issue 21).

Repositories are real bare git repositories on disk (`git+file://`), their
tags moved in the tests; HTTPS files come from a loopback HTTP server. Every
test has its own cache (XDG_CACHE_HOME) and runs `kfyaml` as a user does.
"""

import hashlib
import http.server
import os
import shutil
import subprocess
import textwrap
import threading
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, run_cli

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

ECHO = textwrap.dedent("""\
    name: Echo
    inputs:
    - {name: msg, type: String}
    implementation:
      container:
        image: alpine
        command: [echo, {inputValue: msg}]
    """)


def _git(*args, cwd):
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


class Repo:
    """A bare repository and a working copy that pushes to it."""

    def __init__(self, root: Path, name: str):
        self.bare = root / f"{name}.git"
        self.work = root / f"{name}-work"
        subprocess.run(["git", "init", "-q", "--bare", str(self.bare)], check=True)
        subprocess.run(["git", "init", "-q", "-b", "main", str(self.work)], check=True)
        _git("remote", "add", "origin", str(self.bare), cwd=self.work)

    @property
    def url(self) -> str:
        return f"git+file://{self.bare}"

    def commit(self, files: dict[str, str], tag: str | None = None, move: bool = False) -> str:
        for rel, text in files.items():
            (self.work / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.work / rel).write_text(text)
        _git("add", "-A", cwd=self.work)
        _git("commit", "-q", "-m", "change", cwd=self.work)
        if tag:
            _git("tag", *(["-f"] if move else []), tag, cwd=self.work)
        _git("push", "-q", "--force", "origin", "main", "--tags", cwd=self.work)
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=self.work, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def env(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    project = tmp_path / "project"
    project.mkdir()
    (project / ".kfyaml.yaml").write_text("{}\n")
    return project


def kfyaml(*args, cwd):
    return run_cli(*args, cwd=cwd)


def _pipeline(project: Path, uses: str, extra: str = "") -> Path:
    path = project / "pipeline.yaml"
    path.write_text(f"name: remote\nsteps:\n  hello:\n    uses: {uses}\n{extra}    with: {{msg: hi}}\n")
    return path


def test_a_step_from_another_repository_at_a_tag_is_pinned_and_compiles_offline(env, tmp_path):
    repo = Repo(tmp_path, "steps")
    commit = repo.commit({"steps/echo.yaml": ECHO}, tag="v1")
    _pipeline(env, f"{repo.url}//steps/echo.yaml@v1")
    done = kfyaml("lock", cwd=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == (f"locked {repo.url}//steps/echo.yaml@v1 at {commit[:12]}\n"
                           f"{env / 'kfyaml.lock'}: 1 source(s) pinned\n")
    lock = yaml.safe_load((env / "kfyaml.lock").read_text())
    assert lock == {"version": 1, "sources": {f"{repo.url}//steps/echo.yaml@v1": {
        "commit": commit, "files": {"steps/echo.yaml": "sha256:" + hashlib.sha256(ECHO.encode()).hexdigest()}}}}
    shutil.rmtree(repo.bare)  # the network is gone: everything below reads the cache
    compiled = kfyaml("compile", "pipeline.yaml", "--frozen", cwd=env)
    assert compiled.returncode == 0, compiled.stderr
    ir = yaml.safe_load(compiled.stdout)
    assert ir["deploymentSpec"]["executors"]["exec-hello"]["container"] == {
        "image": "alpine", "command": ["echo", "{{$.inputs.parameters['msg']}}"]}
    assert kfyaml("lint", "pipeline.yaml", cwd=env).returncode == 0
    check = kfyaml("lock", "--check", cwd=env)
    assert (check.returncode, check.stderr) == (0, f"{env / 'kfyaml.lock'} is current: 1 source(s)\n")


def test_the_ir_is_the_same_bytes_from_the_network_the_cache_and_the_vendored_copy(env, tmp_path):
    repo = Repo(tmp_path, "steps")
    repo.commit({"steps/echo.yaml": ECHO}, tag="v1")
    _pipeline(env, f"{repo.url}//steps/echo.yaml@v1")
    first = kfyaml("compile", "pipeline.yaml", cwd=env)  # not locked yet: fetched and locked on the way
    assert first.returncode == 0, first.stderr
    assert first.stderr == f"kfyaml: locked {repo.url}//steps/echo.yaml@v1 in {env / 'kfyaml.lock'}\n"
    cached = kfyaml("compile", "pipeline.yaml", "--frozen", cwd=env)
    assert kfyaml("vendor", cwd=env).returncode == 0
    shutil.rmtree(tmp_path / "cache")
    vendored = kfyaml("compile", "pipeline.yaml", "--frozen", cwd=env)
    assert vendored.returncode == 0, vendored.stderr
    assert first.stdout == cached.stdout == vendored.stdout


def test_a_moved_tag_is_an_error_naming_both_commits_until_update(env, tmp_path):
    repo = Repo(tmp_path, "steps")
    old = repo.commit({"steps/echo.yaml": ECHO}, tag="v1")
    _pipeline(env, f"{repo.url}//steps/echo.yaml@v1")
    assert kfyaml("lock", cwd=env).returncode == 0
    new = repo.commit({"steps/echo.yaml": ECHO.replace("alpine", "busybox")}, tag="v1", move=True)
    moved = kfyaml("lock", cwd=env)
    assert moved.returncode == 1
    ref = f"{repo.url}//steps/echo.yaml@v1"
    assert moved.stderr.splitlines() == [
        f"kfyaml lock: `{ref}`: `v1` now points at commit {new}, but kfyaml.lock pinned {old}: the tag moved. If you "
        f"trust the new commit, `kfyaml lock --update {ref}`",
        f"kfyaml lock: 1 problem(s); {env / 'kfyaml.lock'} was not changed"]
    # the pinned commit still compiles, offline, as it was locked
    assert "image: alpine" in kfyaml("compile", "pipeline.yaml", "--frozen", cwd=env).stdout
    assert kfyaml("lock", "--update", ref, cwd=env).returncode == 0
    assert yaml.safe_load((env / "kfyaml.lock").read_text())["sources"][ref]["commit"] == new
    assert "image: busybox" in kfyaml("compile", "pipeline.yaml", "--frozen", cwd=env).stdout


def test_tampered_content_is_refused_with_both_digests(env, tmp_path):
    repo = Repo(tmp_path, "steps")
    repo.commit({"steps/echo.yaml": ECHO}, tag="v1")
    _pipeline(env, f"{repo.url}//steps/echo.yaml@v1")
    assert kfyaml("lock", cwd=env).returncode == 0
    expected = hashlib.sha256(ECHO.encode()).hexdigest()
    evil = ECHO.replace("echo", "curl")
    kept = tmp_path / "cache" / "kfyaml" / "components"
    for blob in [*(kept / "blobs").iterdir(), *(kept / "trees").rglob("echo.yaml")]:
        if blob.read_bytes() == ECHO.encode():
            blob.write_text(evil)
    done = kfyaml("compile", "pipeline.yaml", "--frozen", cwd=env)
    assert done.returncode == 1
    first = done.stderr.splitlines()[0]
    assert first.startswith("pipeline.yaml:4:11: error: ") and first.endswith("[KY317]")
    assert f"the lock says sha256:{expected}" in first
    assert f"its content is sha256:{hashlib.sha256(evil.encode()).hexdigest()}" in first
    check = kfyaml("lock", "--check", cwd=env)
    assert check.returncode == 1 and f"the lock says sha256:{expected}" in check.stderr


def test_frozen_refuses_what_is_not_locked_and_never_reaches_the_network(env):
    _pipeline(env, "https://127.0.0.1:9/steps/echo.yaml", extra=f"    sha256: {'a' * 64}\n")  # nothing listens
    done = kfyaml("lint", "pipeline.yaml", "--frozen", cwd=env)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        f"pipeline.yaml:4:11: error: `uses: https://127.0.0.1:9/steps/echo.yaml`: not in {env / 'kfyaml.lock'}; "
        "run `kfyaml lock` (a remote component is never fetched with `--frozen` or in the editor) [KY316]")
    check = kfyaml("lock", "--check", cwd=env)
    assert check.returncode == 1
    assert check.stderr.splitlines()[0] == (f"kfyaml lock --check: `uses: https://127.0.0.1:9/steps/echo.yaml` is not "
                                            f"in {env / 'kfyaml.lock'}: run `kfyaml lock`")


@pytest.fixture
def http_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_an_https_file_needs_its_sha256_and_must_match_it(env, http_server):
    served, base = http_server
    (served / "echo.yaml").write_text(ECHO)
    good = hashlib.sha256(ECHO.encode()).hexdigest()
    _pipeline(env, f"{base}/echo.yaml")
    missing = kfyaml("lint", "pipeline.yaml", cwd=env)
    assert missing.stdout.splitlines()[0] == (
        f"pipeline.yaml:4:11: error: `uses: {base}/echo.yaml`: `sha256:` is the file's SHA-256 as 64 lowercase hex "
        "digits (`sha256sum component.yaml`) [KY316]")
    _pipeline(env, f"{base}/echo.yaml", extra=f"    sha256: {'b' * 64}\n")
    wrong = kfyaml("lock", cwd=env)
    assert wrong.returncode == 1
    assert wrong.stderr.splitlines()[0] == (
        f"kfyaml lock: {base}/echo.yaml does not match kfyaml.lock: its content is sha256:{good}, the lock says "
        f"sha256:{'b' * 64} (the pipeline's `sha256:`); something changed it since it was locked. Delete it (or run "
        "`kfyaml lock --update`) and check where it came from")
    _pipeline(env, f"{base}/echo.yaml", extra=f"    sha256: {good}\n")
    assert kfyaml("lock", cwd=env).returncode == 0
    (served / "echo.yaml").unlink()  # the server no longer has it: the lock and cache do
    assert kfyaml("compile", "pipeline.yaml", "--frozen", cwd=env).returncode == 0


def test_a_remote_pipeline_brings_its_own_files_and_remote_steps(env, tmp_path):
    steps = Repo(tmp_path, "steps")
    steps_commit = steps.commit({"echo.yaml": ECHO}, tag="v2")
    flows = Repo(tmp_path, "flows")
    inner = textwrap.dedent(f"""\
        name: greet
        params:
          who: {{type: string, default: world}}
        steps:
          local:
            uses: ./parts/echo.yaml
            with: {{msg: "${{{{ params.who }}}}"}}
          remote:
            uses: {steps.url}//echo.yaml@v2
            with: {{msg: remote}}
        """)
    flows_commit = flows.commit({"flows/greet.yaml": inner, "flows/parts/echo.yaml": ECHO}, tag="v1")
    (env / "pipeline.yaml").write_text(f"name: outer\nsteps:\n  greet:\n    uses: {flows.url}//flows/greet.yaml@v1\n"
                                       "    with: {who: you}\n")
    done = kfyaml("lock", cwd=env)
    assert done.returncode == 0, done.stderr
    sources = yaml.safe_load((env / "kfyaml.lock").read_text())["sources"]
    digest = "sha256:" + hashlib.sha256(ECHO.encode()).hexdigest()
    assert sources == {
        f"{flows.url}//flows/greet.yaml@v1": {
            "commit": flows_commit, "uses": [f"{steps.url}//echo.yaml@v2"],
            "files": {"flows/greet.yaml": "sha256:" + hashlib.sha256(inner.encode()).hexdigest(),
                      "flows/parts/echo.yaml": digest}},
        f"{steps.url}//echo.yaml@v2": {"commit": steps_commit, "files": {"echo.yaml": digest}}}
    shutil.rmtree(steps.bare)
    shutil.rmtree(flows.bare)
    compiled = kfyaml("compile", "pipeline.yaml", "--frozen", cwd=env)
    assert compiled.returncode == 0, compiled.stderr
    ir = yaml.safe_load(compiled.stdout)
    assert sorted(ir["components"]["comp-greet"]["dag"]["tasks"]) == ["local", "remote"]
    assert str(tmp_path) not in compiled.stdout  # no path of this machine (the cache) reaches the IR


def test_remote_pipelines_that_use_each_other_are_a_cycle(env, tmp_path):
    a, b = Repo(tmp_path, "a"), Repo(tmp_path, "b")
    a_ref, b_ref = f"{a.url}//p.yaml@v1", f"{b.url}//p.yaml@v1"
    a.commit({"p.yaml": f"name: a\nsteps:\n  x:\n    uses: {b_ref}\n"}, tag="v1")
    b.commit({"p.yaml": f"name: b\nsteps:\n  y:\n    uses: {a_ref}\n"}, tag="v1")
    (env / "pipeline.yaml").write_text(f"name: top\nsteps:\n  top:\n    uses: {a_ref}\n")
    done = kfyaml("lock", cwd=env)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (f"kfyaml lock: remote pipelines use each other in a cycle: {a_ref} -> "
                                           f"{b_ref} -> {a_ref}")
    assert not (env / "kfyaml.lock").exists()


def test_credentials_are_never_taken_from_the_pipeline_nor_printed(env):
    _pipeline(env, "git+https://alice:s3cret-token@example.com/org/repo//steps/echo.yaml@v1")
    done = kfyaml("lint", "pipeline.yaml", cwd=env)
    assert done.returncode == 1
    assert "s3cret" not in done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == (
        "pipeline.yaml:4:11: error: `uses: git+https://***@example.com/org/repo//steps/echo.yaml@v1`: a URL with "
        "credentials in it: a pipeline file is read by everyone who reads the repository; let git supply them (a "
        "credential helper, an SSH key) and remove them from the URL [KY316]")
    locked = kfyaml("lock", cwd=env)
    assert locked.returncode == 1 and "s3cret" not in locked.stdout + locked.stderr


def test_a_path_out_of_the_repository_is_refused(env, tmp_path):
    repo = Repo(tmp_path, "steps")
    repo.commit({"p.yaml": "name: p\nsteps:\n  x:\n    uses: ../../outside.yaml\n"}, tag="v1")
    _pipeline(env, f"{repo.url}//../etc/passwd@v1")
    bad = kfyaml("lint", "pipeline.yaml", cwd=env)
    assert "the path `../etc/passwd` must be a file inside the repository (no `..`, not absolute) [KY316]" in bad.stdout
    (env / "pipeline.yaml").write_text(f"name: top\nsteps:\n  top:\n    uses: {repo.url}//p.yaml@v1\n")
    done = kfyaml("lock", cwd=env)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (f"kfyaml lock: `../../outside.yaml` in p.yaml of {repo.url}//p.yaml@v1 "
                                           "leads outside its repository")


def test_a_kfp_sample_component_is_used_from_a_repository(env, tmp_path):
    """A component file from KFP's own test data (tests/data/kfp_components/README.md says where)."""
    sample = (ROOT / "tests" / "data" / "kfp_components" / "add_component.yaml").read_text()
    repo = Repo(tmp_path, "kfp-samples")
    repo.commit({"components/add_component.yaml": sample}, tag="2.17.3")
    (env / "pipeline.yaml").write_text(textwrap.dedent(f"""\
        name: sums
        steps:
          add:
            uses: {repo.url}//components/add_component.yaml@2.17.3
            with: {{op_1: 1, op2: 2}}  # KFP names the input `op-1` as `op_1`, as its own loader does
        """))
    done = kfyaml("compile", "pipeline.yaml", cwd=env)
    assert done.returncode == 0, done.stderr
    ir = yaml.safe_load(done.stdout)
    assert ir["components"]["comp-add"]["inputDefinitions"]["parameters"] == {
        "op_1": {"parameterType": "NUMBER_INTEGER"}, "op2": {"parameterType": "NUMBER_INTEGER"}}
    assert os.path.exists(env / "kfyaml.lock")


def test_a_private_repository_uses_gits_own_credentials_and_they_are_never_printed(env, tmp_path, monkeypatch):
    """git's credential helper (from its configuration, not the pipeline) answers the server's 401; the server
    then says the repository is not there. kfyaml reports that, without the password and without a prompt."""
    seen = []

    class Private(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.headers.get("Authorization"))
            if self.headers.get("Authorization") is None:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="private"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Private)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = tmp_path / "gitconfig"
    config.write_text('[credential]\n\thelper = "!f() { echo username=ci; echo password=topsecret-42; }; f"\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    try:
        url = f"git+http://127.0.0.1:{server.server_address[1]}/acme/private.git//echo.yaml@v1"
        _pipeline(env, url)
        done = kfyaml("lock", cwd=env)
    finally:
        server.shutdown()
    assert done.returncode == 1
    assert "topsecret" not in done.stdout + done.stderr
    assert done.stderr.splitlines()[0].startswith("kfyaml lock: git ls-remote: ")
    assert any(auth and auth.startswith("Basic ") for auth in seen)  # git sent what its helper gave


class Registry:
    """A stand-in for an image registry, written from the OCI distribution spec: `HEAD /v2/<name>/manifests/<tag>`
    answers `Docker-Content-Digest`, after the bearer-token sign-in its 401 challenge asks for."""

    def __init__(self):
        self.tags: dict[tuple[str, str], str] = {}
        self.requests: list[tuple[str, str, str | None]] = []
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the token service)
                registry.requests.append(("GET", self.path, None))
                body = b'{"token": "pull-token-1"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_HEAD(self):  # noqa: N802
                auth = self.headers.get("Authorization")
                registry.requests.append(("HEAD", self.path, auth))
                name, _, tag = self.path[len("/v2/"):].partition("/manifests/")
                if auth != "Bearer pull-token-1":
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", f'Bearer realm="http://127.0.0.1:{registry.port}/token",'
                                                         f'service="stand-in",scope="repository:{name}:pull"')
                elif (name, tag) in registry.tags:
                    self.send_response(200)
                    self.send_header("Docker-Content-Digest", registry.tags[(name, tag)])
                else:
                    self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_images_by_tag_are_pinned_to_digests_when_asked(env, tmp_path):
    registry = Registry()
    image = f"127.0.0.1:{registry.port}/acme/trainer:1.0"
    first, second = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    registry.tags[("acme/trainer", "1.0")] = first
    repo = Repo(tmp_path, "steps")
    repo.commit({"echo.yaml": ECHO.replace("image: alpine", f"image: {image}")}, tag="v1")
    ref = f"{repo.url}//echo.yaml@v1"
    _pipeline(env, ref)
    try:
        assert kfyaml("lock", cwd=env).returncode == 0  # not asked: no registry is contacted
        assert registry.requests == []
        assert f"image: {image}\n" in kfyaml("compile", "pipeline.yaml", "--frozen", cwd=env).stdout
        done = kfyaml("lock", "--images", cwd=env)
        assert done.returncode == 0, done.stderr
        assert yaml.safe_load((env / "kfyaml.lock").read_text())["sources"][ref]["images"] == {image: first}
        assert [r[0] for r in registry.requests] == ["HEAD", "GET", "HEAD"]  # challenged, signed in, asked again
        assert registry.requests[1][1] == "/token?service=stand-in&scope=repository%3Aacme%2Ftrainer%3Apull"
        compiled = kfyaml("compile", "pipeline.yaml", "--frozen", cwd=env)
        assert f"image: {image}@{first}\n" in compiled.stdout
        assert kfyaml("lock", cwd=env).returncode == 0  # a plain lock keeps the image pins
        assert f"image: {image}@{first}\n" in kfyaml("compile", "pipeline.yaml", "--frozen", cwd=env).stdout
        registry.tags[("acme/trainer", "1.0")] = second  # the tag is pushed again
        moved = kfyaml("lock", "--images", cwd=env)
        assert moved.returncode == 1
        assert moved.stderr.splitlines()[0] == (
            f"kfyaml lock: `{image}` (in {ref}) now names {second}, but kfyaml.lock pinned {first}: the image tag "
            f"moved. If you trust the new image, `kfyaml lock --images --update {ref}`")
        assert kfyaml("lock", "--images", "--update", ref, cwd=env).returncode == 0
        assert f"image: {image}@{second}\n" in kfyaml("compile", "pipeline.yaml", "--frozen", cwd=env).stdout
    finally:
        registry.server.shutdown()


def test_image_names_are_read_as_registries_read_them_and_pinned_in_every_executor():
    from kfyaml.compiler.model import Component
    from kfyaml.compiler.remote import images

    assert images.parse("alpine") == images.Image("registry-1.docker.io", "library/alpine", "latest")
    assert images.parse("python:3.11") == images.Image("registry-1.docker.io", "library/python", "3.11")
    assert images.parse("bitnami/kubectl:1.31") == images.Image("registry-1.docker.io", "bitnami/kubectl", "1.31")
    assert images.parse("ghcr.io/acme/train:v2") == images.Image("ghcr.io", "acme/train", "v2")
    assert images.parse("localhost:5000/x") == images.Image("localhost:5000", "x", "latest")
    assert images.parse("alpine@sha256:" + "0" * 64) is None  # already pinned
    assert images.parse("{{$.inputs.parameters['image']}}") is None  # chosen by a param: not a name
    digest = "sha256:" + "3" * 64
    nested = Component("inner", {}, {}, "", dag={"deploymentSpec": {"executors": {
        "exec-a": {"container": {"image": "python:3.11", "command": ["python"]}},
        "exec-b": {"container": {"image": "alpine:3.20"}}}}})
    pinned = images.pinned(nested, {"python:3.11": digest})
    executors = pinned.dag["deploymentSpec"]["executors"]
    assert executors["exec-a"]["container"]["image"] == f"python:3.11@{digest}"
    assert executors["exec-b"]["container"]["image"] == "alpine:3.20"  # not in the lock: as written
    assert nested.dag["deploymentSpec"]["executors"]["exec-a"]["container"]["image"] == "python:3.11"  # a copy


def test_a_lock_file_that_is_not_one_is_a_clear_error_and_no_uses_locks_nothing(env, tmp_path):
    (env / "pipeline.yaml").write_text("name: plain\nsteps:\n  a: {image: alpine, command: [echo]}\n")
    done = kfyaml("lock", cwd=env)
    assert (done.returncode, done.stderr) == (0, "no remote `uses:` in 1 pipeline(s); nothing to lock\n")
    assert not (env / "kfyaml.lock").exists()
    (env / "kfyaml.lock").write_text("sources: [1, 2\n")
    broken = kfyaml("lock", cwd=env)
    assert broken.returncode == 2
    assert broken.stderr.startswith(f"kfyaml: {env / 'kfyaml.lock'}: not valid YAML (")
    _pipeline(env, "git+https://example.com/a/b//c.yaml@v1")
    linted = kfyaml("lint", "pipeline.yaml", "--frozen", cwd=env)
    assert linted.returncode == 1 and "not valid YAML" in linted.stdout and "[KY316]" in linted.stdout
