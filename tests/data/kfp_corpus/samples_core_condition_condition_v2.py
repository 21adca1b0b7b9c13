# Reduced from kubeflow/pipelines/samples/core/condition/condition_v2.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

import os
from kfp import dsl
_KFP_PACKAGE_PATH = os.getenv('KFP_PACKAGE_PATH')

@dsl.component(kfp_package_path=_KFP_PACKAGE_PATH)
def flip_coin(force_flip_result: str='') -> str:
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.component(kfp_package_path=_KFP_PACKAGE_PATH)
def print_msg(msg: str):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='condition-v2')
def condition(text: str='condition test', force_flip_result: str=''):
    flip1 = flip_coin(force_flip_result=force_flip_result)
    print_msg(msg=flip1.output)
    with dsl.Condition(flip1.output == 'heads'):
        flip2 = flip_coin()
        print_msg(msg=flip2.output)
        print_msg(msg=text)
