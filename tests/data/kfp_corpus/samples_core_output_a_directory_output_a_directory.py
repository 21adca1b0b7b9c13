# Reduced from kubeflow/pipelines/samples/core/output_a_directory/output_a_directory.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

import os
from kfp import client, dsl
from kfp.dsl import Input, Output, Artifact
_KFP_PACKAGE_PATH = os.getenv('KFP_PACKAGE_PATH')

@dsl.component(kfp_package_path=_KFP_PACKAGE_PATH)
def list_dir_files_python(input_dir: Input[Artifact], subdir: str='texts'):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.component(kfp_package_path=_KFP_PACKAGE_PATH)
def produce_dir_with_files_python_op(output_dir: Output[Artifact], num_files: int=10, subdir: str='texts'):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='dir-pipeline')
def dir_pipeline(subdir: str='texts'):
    produce_dir_python_task = produce_dir_with_files_python_op(num_files=15, subdir=subdir)
    list_dir_files_python(input_dir=produce_dir_python_task.output, subdir=subdir)
