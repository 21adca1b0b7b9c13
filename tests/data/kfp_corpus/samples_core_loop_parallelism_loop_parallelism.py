# Reduced from kubeflow/pipelines/samples/core/loop_parallelism/loop_parallelism.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from kfp import compiler, dsl

@dsl.component()
def print_op(s: int):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='my-pipeline')
def pipeline():
    loop_args = [{'A_a': 1, 'B_b': 2}, {'A_a': 10, 'B_b': 20}]
    with dsl.ParallelFor(items=loop_args, parallelism=10) as item:
        print_op(s=item.A_a)
        print_op(s=item.B_b)
