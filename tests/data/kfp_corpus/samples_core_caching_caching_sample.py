# Reduced from kubeflow/pipelines/samples/core/caching/caching_sample.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

kfp_endpoint = None
import datetime
import time
import kfp as kfp
from kfp import dsl

@dsl.component
def do_work_op(seconds: float=60) -> str:
    raise NotImplementedError('reduced for kfyaml tests')

@kfp.dsl.pipeline(name='caching-pipeline')
def caching_pipeline(seconds: float=60):
    work_task = do_work_op(seconds=seconds)
