# Reduced from kubeflow/pipelines/samples/core/execution_order/execution_order.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from kfp import compiler
from kfp import dsl

@dsl.component
def echo1_op(text1: str):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.component
def echo2_op(text2: str):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='execution-order-pipeline', description='A pipeline to demonstrate execution order management.')
def execution_order_pipeline(text1: str='message 1', text2: str='message 2'):
    """A two step pipeline with an explicitly defined execution order."""
    step1_task = echo1_op(text1=text1)
    step2_task = echo2_op(text2=text2)
    step2_task.after(step1_task)
