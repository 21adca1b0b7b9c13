# Reduced from kubeflow/pipelines/samples/core/resource_spec/runtime_resource_request.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from kfp import dsl, compiler
from typing import NamedTuple

@dsl.component
def training_op(n: int) -> int:
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.component
def generate_resource_request() -> NamedTuple('output', memory=str, cpu=str):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='Runtime resource request pipeline', description='An example on how to make resource requests at runtime.')
def resource_request_pipeline(n: int=11234567):
    resource_task = generate_resource_request()
    traning_task = training_op(n=n).set_memory_limit('500Mi').set_cpu_limit('200m').set_cpu_request('200m')
