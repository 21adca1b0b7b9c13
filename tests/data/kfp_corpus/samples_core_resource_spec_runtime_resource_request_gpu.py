# Reduced from kubeflow/pipelines/samples/core/resource_spec/runtime_resource_request_gpu.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from kfp import dsl, compiler
from typing import NamedTuple

@dsl.component(base_image='pytorch/pytorch:1.7.1-cuda11.0-cudnn8-runtime')
def training_job():
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.component
def generate_resource_constraints_request() -> NamedTuple('output', nbr_gpus=str, accelerator=str):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='Runtime resource request pipeline', description='An example on how to make resource requests at runtime.')
def resource_constraint_request_pipeline():
    resource_constraints_task = generate_resource_constraints_request()
    traning_task = training_job().set_accelerator_limit(resource_constraints_task.outputs['nbr_gpus']).set_accelerator_type('NVIDIA_TESLA_K80')
