"""`kfyaml ui` and `kfyaml report`: local runs as pictures, from the files a run leaves (runner/run_record.py).

store reads the run folders, dag_svg lays the pipeline out, charts draws KFP
metrics, fragments writes the HTML both the page and the report show, server
serves the page, report writes one file. None of it imports the compiler or
the engine: a run folder is all it needs.
"""
