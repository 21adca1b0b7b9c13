"""`kfyaml run` and `kfyaml submit`: a compiled pipeline, on this machine or on KFP.

The local runner interprets the IR that `kfyaml compile` writes, the same
document a KFP backend runs, reading it through the IR vocabulary
(`kfyaml.ir`) and never the compiler's model:

    params.py        --param values bound to the pipeline's inputs (run and submit)
    engine.py        scheduling: DAGs, tasks, loops, importers, retries, the cache
    bindings.py      a task's inputs from its bindings; a DAG's outputs
    conditions.py    CEL trigger conditions, by cel-python
    launch.py        one attempt of a container step: command, venv, process, outputs
    placeholders.py  the executor contract: executor input, command placeholders, output files
    cache.py         a content-addressed cache of step results
    environments.py  a virtual environment per requirement set
    records.py       step records, the run's result, user errors and kfyaml bugs
    run_folders.py   a new folder per run under WORKDIR/runs
    display.py       the live view, the summary, --json
    submit.py        the IR to a KFP API server through `kfp.Client`
"""
