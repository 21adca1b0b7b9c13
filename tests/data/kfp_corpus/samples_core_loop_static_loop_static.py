# Reduced from kubeflow/pipelines/samples/core/loop_static/loop_static.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from kfp import compiler, dsl

@dsl.component
def print_op(text: str) -> str:
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.component
def concat_op(a: str, b: str) -> str:
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='pipeline-with-loop-static')
def my_pipeline(greeting: str='this is a test for looping through parameters'):
    import json
    print_task = print_op(text=greeting)
    static_loop_arguments = [json.dumps({'a': '1', 'b': '2'}), json.dumps({'a': '10', 'b': '20'})]
    with dsl.ParallelFor(static_loop_arguments) as item:
        concat_task = concat_op(a=item.a, b=item.b)
        print_task_2 = print_op(text=concat_task.output)
