"""`kfyaml runs`: see and stop what runs on a KFP server, through kfp.Client.

Exit codes for CI: `runs get` exits 0 when the run SUCCEEDED, 1 when it ended
otherwise (FAILED, ERROR, SKIPPED, CANCELED), 3 while it is still going;
`list`, `cancel` and `retry` exit 0 when the server did what was asked.
"""

from __future__ import annotations

import json
import sys

from .submit import FAILED_STATES, SUCCEEDED, SubmitError, api_errors, client_for, every_page, experiment_id

STILL_GOING = 3


def _state(run) -> str:
    return (str(run.state or "PENDING")).upper()


def _row(run) -> dict:
    return {"id": run.run_id, "name": run.display_name, "state": _state(run),
            "created": run.created_at.isoformat() if getattr(run, "created_at", None) else None}


def command(action: str, run_id: str | None, host: str, experiment: str | None, state: str | None,
            namespace: str | None, token: str | None, as_json: bool, out=sys.stdout) -> int:
    client = client_for(host, namespace, token)
    with api_errors(host, token):
        if action == "list":
            exp = experiment_id(client, experiment, namespace, host, token, create=False) if experiment else None
            # The state is filtered by the server (a v2beta1 filter field), so the failed run on page 2 is found.
            wanted = json.dumps({"predicates": [{"key": "state", "operation": "EQUALS", "string_value": state.upper()}]}
                                ) if state else None
            runs = every_page(client.list_runs, "runs", experiment_id=exp, namespace=namespace, sort_by="created_at desc",
                              filter=wanted)
            rows = [_row(r) for r in runs if state is None or _state(r) == state.upper()]
            if as_json:
                json.dump(rows, out, indent=2)
                out.write("\n")
            else:
                for row in rows:
                    print(f"{row['id']}  {row['state']:<10} {row['name']}", file=out)
            return 0
        if action == "get":
            run = client.get_run(run_id)
            tasks = [{"name": t.display_name, "state": str(t.state or "").upper(), "id": t.task_id}
                     for t in ((run.run_details.task_details if run.run_details else None) or [])]
            row = {**_row(run), "tasks": tasks}
            if as_json:
                json.dump(row, out, indent=2)
                out.write("\n")
            else:
                print(f"{row['id']}  {row['state']}  {row['name']}", file=out)
                for task in tasks:
                    print(f"  {task['state']:<10} {task['name']}", file=out)
            current = _state(run)
            return 0 if current == SUCCEEDED else 1 if current in FAILED_STATES else STILL_GOING
        if action == "cancel":
            client.terminate_run(run_id)
        elif action == "retry":
            client._run_api.run_service_retry_run(run_id=run_id)  # kfp.Client has no wrapper for it
        else:
            raise SubmitError(f"unknown action {action}")
        done = {"cancel": "cancelled", "retry": "retried"}[action]
        print(json.dumps({"id": run_id, "done": done}) if as_json else f"run {run_id} {done}", file=out)
        return 0
