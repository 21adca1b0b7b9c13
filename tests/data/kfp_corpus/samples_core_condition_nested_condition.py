# Reduced from kubeflow/pipelines/samples/core/condition/nested_condition.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from kfp import dsl, compiler

@dsl.component()
def flip_coin_op() -> str:
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.component()
def print_op(msg: str):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='nested-conditions-pipeline')
def my_pipeline():
    flip1 = flip_coin_op()
    print_op(msg=flip1.output)
    flip2 = flip_coin_op()
    print_op(msg=flip2.output)
    with dsl.Condition(flip1.output != 'no-such-result'):
        flip3 = flip_coin_op()
        print_op(msg=flip3.output)
        with dsl.Condition(flip2.output == flip3.output):
            flip4 = flip_coin_op()
            print_op(msg=flip4.output)
