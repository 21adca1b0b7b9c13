# Reduced from kubeflow/pipelines/samples/core/resource_spec/resource_spec.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from kfp import dsl

@dsl.component
def training_op(n: int) -> int:
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='pipeline-with-resource-spec', description='A pipeline with resource specification.')
def my_pipeline(n: int=11234567):
    training_task = training_op(n=n).set_cpu_limit('1').set_memory_limit('650M')
