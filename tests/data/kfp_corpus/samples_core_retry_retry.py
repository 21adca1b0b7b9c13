# Reduced from kubeflow/pipelines/samples/core/retry/retry.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from kfp import dsl, compiler

@dsl.component
def random_failure_op(exit_codes: str):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='retry-random-failures', description='The pipeline includes two steps which fail randomly. It shows how to use ContainerOp(...).set_retry(...).')
def retry_sample_pipeline():
    op1 = random_failure_op(exit_codes='0,1,2,3').set_retry(10)
    op2 = random_failure_op(exit_codes='0,1').set_retry(5)
