"""`kfyaml run` and `kfyaml submit`: a compiled pipeline, on this machine or on KFP.

The local runner interprets the IR that `kfyaml compile` writes, the same
document a KFP backend runs: scheduling (`engine`), the executor contract
of each step (`placeholders`), a content-addressed cache (`cache`), and a
virtual environment per requirement set (`environments`). `submit` hands the
IR to a KFP API server through `kfp.Client`.
"""
