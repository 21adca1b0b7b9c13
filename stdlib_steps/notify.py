"""Report how the pipeline ended, for `finally:`.

Logs the pipeline's final state (and error, if any) and, when `webhook_url`
is set, posts it as JSON (`{"text": ..., "state": ..., "pipeline": ...,
"error": ...}`, which Slack and Teams incoming webhooks accept). A webhook
that fails is reported in the log but never fails the step: the pipeline's
outcome is already decided. Pass the URL from a param backed by a secret in
your CI, not as a literal in the file.

Args:
    status: `${{ pipeline.status }}`: how the pipeline ended.
    webhook_url: Where to post the message (empty: log only).
    message: Text before the status, e.g. the team or model name.

Returns:
    state: The pipeline's final state (SUCCEEDED, FAILED, ...).
"""

from typing import NamedTuple

from kfp.dsl import PipelineTaskFinalStatus

VERSION = "1.0.0"
PACKAGES = []


def notify(
    status: PipelineTaskFinalStatus,
    webhook_url: str = "",
    message: str = "",
) -> NamedTuple("Outputs", [("state", str)]):
    import collections
    import json
    import urllib.request

    state = getattr(status, "state", None) or "UNKNOWN"
    pipeline = getattr(status, "pipeline_job_resource_name", "") or ""
    error = getattr(status, "error_message", "") or ""
    text = f"{message + ': ' if message else ''}pipeline {pipeline or '(unnamed)'} finished: {state}"
    if error:
        text += f" ({error})"
    print(text)
    if webhook_url:
        body = json.dumps({"text": text, "state": state, "pipeline": pipeline, "error": error}).encode()
        request = urllib.request.Request(webhook_url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                print(f"notify: webhook answered {response.status}")
        except Exception as exc:  # the pipeline's result stands; say why the message did not go out
            print(f"notify: could not post to the webhook: {exc}")
    return collections.namedtuple("Outputs", ["state"])(state)
