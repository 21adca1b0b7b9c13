"""Recurring runs on a KFP server: `kfyaml submit --schedule` and `kfyaml schedules ...`.

A schedule is found by its name in its experiment, so a second submit from CI
never duplicates it: when what it would create equals what is there (trigger,
concurrency, catch-up, params, pipeline) nothing changes; otherwise the old
one is replaced by the new (KFP's API has no update), and the run says which.
"""

from __future__ import annotations

import json
import sys

from .submit import SubmitError, api_errors, client_for, every_page, experiment_id


def _name_filter(name: str) -> str:
    return json.dumps({"predicates": [{"key": "display_name", "operation": "EQUALS", "string_value": name}]})


def _by_name(client, experiment: str, name: str) -> list:
    found = every_page(client.list_recurring_runs, "recurring_runs", experiment_id=experiment, filter=_name_filter(name))
    return [r for r in found if r.display_name == name]


def _wanted(plan: dict, params: dict, spec: dict) -> dict:
    trigger = ({"cron_schedule": {"cron": plan["cron"], "start_time": plan.get("start"), "end_time": plan.get("end")}}
               if plan.get("cron") else
               {"periodic_schedule": {"interval_second": str(plan["interval_s"]), "start_time": plan.get("start"),
                                      "end_time": plan.get("end")}})
    return {"trigger": trigger, "max_concurrency": str(plan.get("max_concurrency", 1)),
            "no_catchup": not plan.get("catchup", True), "parameters": params, "pipeline_spec": spec}


def _existing(run) -> dict:
    raw = run.to_dict()

    def clean(trigger: dict) -> dict:
        out = {}
        for kind, body in (trigger or {}).items():
            if body:
                out[kind] = {k: (str(v) if k == "interval_second" else (v.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(v, "strftime") else v))
                             for k, v in body.items()}
                for key in ("start_time", "end_time"):
                    out[kind].setdefault(key, None)
        return out

    return {"trigger": clean(raw.get("trigger")), "max_concurrency": str(raw.get("max_concurrency") or 1),
            "no_catchup": bool(raw.get("no_catchup")), "parameters": (raw.get("runtime_config") or {}).get("parameters") or {},
            "pipeline_spec": raw.get("pipeline_spec")}


def apply(ir_path: str, spec: dict, plan: dict, host: str, params: dict, experiment: str, namespace: str | None,
          token: str | None, out=sys.stderr) -> int:
    """Create the schedule, or update it in place; 0 when it is as the pipeline says."""
    client = client_for(host, namespace, token)
    with api_errors(host, token):
        exp = experiment_id(client, experiment, namespace, host, token)
        wanted = _wanted(plan, params, spec)
        existing = _by_name(client, exp, plan["name"])
        if len(existing) == 1 and _existing(existing[0]) == wanted:
            print(f"schedule {plan['name']} is unchanged ({existing[0].recurring_run_id})", file=out)
            return 0
        # The new one first: a create that fails leaves the old schedule running, as it was.
        created = client.create_recurring_run(
            experiment_id=exp, job_name=plan["name"], cron_expression=plan.get("cron"),
            interval_second=plan.get("interval_s"), max_concurrency=plan.get("max_concurrency", 1),
            no_catchup=not plan.get("catchup", True), params=params, pipeline_package_path=ir_path,
            start_time=plan.get("start"), end_time=plan.get("end"))
        if not getattr(created, "recurring_run_id", None):
            raise SubmitError(f"the KFP API at {host} did not return the new schedule's id; the old one "
                              "(if any) was left as it was")
        for old in existing:
            client.delete_recurring_run(old.recurring_run_id)
        verb = "updated" if existing else "created"
        print(f"schedule {plan['name']} {verb} ({created.recurring_run_id}) in experiment {experiment}", file=out)
        return 0


def manage(action: str, name: str | None, host: str, experiment: str | None, namespace: str | None,
           token: str | None, as_json: bool, out=sys.stdout) -> int:
    """`schedules list|pause|resume|delete`."""
    client = client_for(host, namespace, token)
    with api_errors(host, token):
        exp = experiment_id(client, experiment, namespace, host, token, create=False) if experiment else None
        if action == "list":
            listed = every_page(client.list_recurring_runs, "recurring_runs", experiment_id=exp)
            rows = [{"id": r.recurring_run_id, "name": r.display_name, "enabled": str(r.mode).upper().endswith("ENABLE"),
                     "trigger": (r.trigger.cron_schedule.cron if r.trigger and r.trigger.cron_schedule
                                 else f"every {r.trigger.periodic_schedule.interval_second}s" if r.trigger else "")}
                    for r in listed]
            if as_json:
                json.dump(rows, out, indent=2)
                out.write("\n")
            else:
                for row in rows:
                    print(f"{row['name']}  {'enabled' if row['enabled'] else 'paused'}  {row['trigger']}  {row['id']}", file=out)
            return 0
        matches = [r for r in every_page(client.list_recurring_runs, "recurring_runs", experiment_id=exp)
                   if r.display_name == name or r.recurring_run_id == name]
        if not matches:
            raise SubmitError(f"no schedule named {name!r} at {host}")
        experiments = sorted({str(r.experiment_id) for r in matches})
        if len(experiments) > 1:  # the same name in several experiments: say which, never act on all
            raise SubmitError(f"{len(matches)} schedules are named {name!r} at {host}, in experiments "
                              f"{', '.join(experiments)}: give --experiment, or the schedule's id")
        for run in matches:
            {"pause": client.disable_recurring_run, "resume": client.enable_recurring_run,
             "delete": client.delete_recurring_run}[action](run.recurring_run_id)
            past = {"pause": "paused", "resume": "resumed", "delete": "deleted"}[action]
            print(json.dumps({"id": run.recurring_run_id, "name": run.display_name, "done": past}) if as_json
                  else f"schedule {run.display_name} {past} ({run.recurring_run_id})", file=out)
        return 0
