# Reduced from kubeflow/pipelines/samples/core/exit_handler/exit_handler.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

import os
from kfp import compiler
from kfp import dsl
from kfp.dsl import component

@component
def print_op(message: str):
    raise NotImplementedError('reduced for kfyaml tests')

@component
def fail_op(message: str):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='pipeline-with-exit-handler')
def pipeline_exit_handler(message: str='Hello World!'):
    exit_task = print_op(message='Exit handler has worked!')
    with dsl.ExitHandler(exit_task):
        print_op(message=message)
        fail_op(message='Task failed.')
