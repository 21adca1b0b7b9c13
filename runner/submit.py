"""`kfyaml submit`: compile, then hand the IR to a KFP API server.

Everything goes through `kfp.Client` (the KFP SDK's own client): the
experiment is found or created, the run created from the compiled IR (or
from a pipeline uploaded first, as a new pipeline or a new version of one),
and with `--wait` the run is followed to the end. kfp's own
`wait_for_run_completion` keeps waiting on a CANCELED run; here CANCELED,
FAILED, ERROR and SKIPPED end the wait with a non-zero exit, and only
SUCCEEDED exits 0. The token comes from the environment (or a file, or
`--token`) and is never printed: any text from the server is redacted of it.

Before kfp.Client, one plain request to the API's health endpoint checks that
the host is a KFP API and takes the credentials: an auth proxy's sign-in page
(HTML with status 200) or a 401 is a one-line error at once, not "submitted run
None" or minutes of the client's retries and tracebacks.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

SUCCEEDED = "SUCCEEDED"
FAILED_STATES = ("FAILED", "ERROR", "SKIPPED", "CANCELED")


class SubmitError(Exception):
    pass


@contextlib.contextmanager
def api_errors(host: str, token: str | None):
    """What kfp.Client raises (the API's answers, replies it cannot read, a refused connection) as one
    SubmitError line, with the token redacted: every command that talks to KFP reports through here."""
    import kfp_server_api
    import urllib3

    token = resolved_token(token)
    try:
        yield
    except kfp_server_api.ApiException as exc:
        raise SubmitError(_redacted(f"the KFP API at {host} answered {exc.status} {exc.reason}: "
                                    f"{(exc.body or '').strip()[:300]}", token)) from None
    except kfp_server_api.exceptions.OpenApiException as exc:  # a reply that is not the API's JSON
        raise SubmitError(_redacted(f"the KFP API at {host} gave a reply kfp cannot read: {exc}", token)[:400]) from None
    except (OSError, ValueError, TimeoutError, urllib3.exceptions.HTTPError) as exc:  # refused, bad URL, ...
        reason = getattr(exc, "reason", None) or exc
        raise SubmitError(_redacted(f"cannot reach the KFP API at {host}: {reason}", token)) from None


def resolved_token(token: str | None) -> str | None:
    """The token given, or the one in the environment."""
    return token or os.environ.get("KFP_TOKEN") or os.environ.get("KF_PIPELINES_TOKEN")


def submit(ir_path: str, host: str, params: dict, namespace: str | None = None, experiment: str = "Default",
           run_name: str | None = None, pipeline: str | None = None, version: str | None = None,
           wait: bool = False, timeout: float = 3600, token: str | None = None, poll_seconds: float = 5.0,
           out=sys.stderr) -> int:
    client = client_for(host, namespace, token)
    with api_errors(host, token):
        found = client.create_experiment(name=experiment, namespace=namespace)
        run_name = run_name or f"{os.path.basename(ir_path).split('.')[0]}-{time.strftime('%Y%m%d-%H%M%S')}"
        if pipeline:
            pipeline_id, version_id = _upload(client, ir_path, pipeline, version, out)
            run = client.run_pipeline(experiment_id=found.experiment_id, job_name=run_name, params=params,
                                      pipeline_id=pipeline_id, version_id=version_id)
        else:
            run = client.run_pipeline(experiment_id=found.experiment_id, job_name=run_name, params=params,
                                      pipeline_package_path=ir_path)
    if not getattr(run, "run_id", None):
        raise SubmitError(f"the KFP API at {host} accepted the request but returned no run id; nothing is running")
    print(f"submitted run {run.run_id} ({run_name}) in experiment {experiment}: {host.rstrip('/')}/#/runs/details/{run.run_id}",
          file=out)
    if not wait:
        return 0
    with api_errors(host, token):
        return _follow(client, run.run_id, timeout, poll_seconds, out)


MAX_LISTED = 10_000  # a bound on what one listing reads, page by page


def every_page(list_call, field: str, **query) -> list:
    """All items of a KFP list call, following `next_page_token` page after page (KFP answers 100 at
    most per page; the 101st schedule or the failed run on page 2 must be seen too)."""
    items, token = [], ""
    while len(items) < MAX_LISTED:
        page = list_call(page_size=100, page_token=token, **query)
        items += getattr(page, field) or []
        token = getattr(page, "next_page_token", None) or ""
        if not token:
            break
    return items


def client_for(host: str, namespace: str | None, token: str | None):
    """A kfp.Client for a host that answered the health check."""
    import warnings

    warnings.filterwarnings("ignore", message="This client only works with Kubeflow Pipeline", category=FutureWarning)
    import kfp

    token = resolved_token(token)
    _preflight(host, token)
    with api_errors(host, token):
        return kfp.Client(host=host, namespace=namespace, existing_token=token)


def experiment_id(client, name: str, namespace: str | None, host: str, token: str | None, create: bool = True) -> str:
    try:
        if create:
            return client.create_experiment(name=name, namespace=namespace).experiment_id
        return client.get_experiment(experiment_name=name, namespace=namespace).experiment_id
    except Exception as exc:  # kfp's API errors, or a missing experiment
        raise SubmitError(_redacted(f"experiment {name!r} at {host}: {str(exc).splitlines()[0][:300]}", token)) from None


def _preflight(host: str, token: str | None, timeout: float = 15.0) -> None:
    """One request to `/apis/v2beta1/healthz`: the host must answer as a KFP API, with these credentials."""
    import json
    import urllib.error
    import urllib.request

    url = host.rstrip("/") + "/apis/v2beta1/healthz"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            kind = reply.headers.get("Content-Type", "")
            body = reply.read(65536)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise SubmitError(f"the KFP API at {host} refused the credentials ({exc.code} {exc.reason}); give a "
                              "valid token in KFP_TOKEN (or --token-file)") from None
        text = exc.read(300).decode("utf-8", "replace").strip()
        raise SubmitError(_redacted(f"the KFP API at {host} answered {exc.code} {exc.reason}: {text}", token)) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise SubmitError(_redacted(f"cannot reach the KFP API at {host}: {reason}", token)) from None
    try:
        if not isinstance(json.loads(body), dict):
            raise ValueError
    except ValueError:
        what = "an HTML page" if b"<html" in body[:2000].lower() or "html" in kind else f"something else ({kind or 'no type'})"
        raise SubmitError(f"{host} answered with {what}, not the KFP API: a sign-in page of an auth proxy, or the "
                          "wrong --host? (the KFP API answers JSON at /apis/v2beta1/healthz)") from None


def _redacted(text: str, token: str | None) -> str:
    """Text from a server never shows the token, even when the server echoes it."""
    return text.replace(token, "<token>") if token else text


def _upload(client, ir_path: str, pipeline: str, version: str | None, out) -> tuple[str, str]:
    """Upload as a new pipeline, or as a new version of an existing one."""
    pipeline_id = client.get_pipeline_id(pipeline)
    if pipeline_id is None:
        created = client.upload_pipeline(ir_path, pipeline_name=pipeline)
        versions = client.list_pipeline_versions(created.pipeline_id).pipeline_versions or []
        print(f"uploaded pipeline {pipeline} ({created.pipeline_id})", file=out)
        return created.pipeline_id, versions[0].pipeline_version_id
    name = version or time.strftime("%Y%m%d-%H%M%S")
    uploaded = client.upload_pipeline_version(ir_path, pipeline_version_name=name, pipeline_id=pipeline_id)
    print(f"uploaded version {name} of pipeline {pipeline} ({uploaded.pipeline_version_id})", file=out)
    return pipeline_id, uploaded.pipeline_version_id


def _follow(client, run_id: str, timeout: float, poll_seconds: float, out) -> int:
    deadline = time.monotonic() + timeout
    last = None
    while True:
        state = (client.get_run(run_id).state or "PENDING").upper()
        if state != last:
            print(f"run {run_id}: {state}", file=out)
            last = state
        if state == SUCCEEDED:
            return 0
        if state in FAILED_STATES:
            return 1
        if time.monotonic() > deadline:
            print(f"run {run_id} was still {state} after {timeout:g}s; it goes on without kfyaml waiting", file=out)
            return 1
        time.sleep(poll_seconds)
