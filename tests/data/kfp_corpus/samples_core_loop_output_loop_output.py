# Reduced from kubeflow/pipelines/samples/core/loop_output/loop_output.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from kfp import compiler, dsl
from typing import List

@dsl.component
def args_generator_op() -> List[str]:
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.component
def print_op(s: str):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='pipeline-with-loop-output-v2')
def my_pipeline():
    args_generator = args_generator_op()
    with dsl.ParallelFor(args_generator.output) as item:
        print_op(s=item)
