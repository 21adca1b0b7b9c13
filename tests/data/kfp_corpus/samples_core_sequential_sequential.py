# Reduced from kubeflow/pipelines/samples/core/sequential/sequential.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from kfp import dsl, compiler

@dsl.container_component
def gcs_download_op(url: str, output: dsl.OutputPath(str)):
    return dsl.ContainerSpec(image='google/cloud-sdk:279.0.0', command=['sh', '-c'], args=['gsutil cat $0 | tee $1', url, output])

@dsl.container_component
def echo_op(text: str):
    return dsl.ContainerSpec(image='library/bash:4.4.23', command=['sh', '-c'], args=['echo "$0"', text])

@dsl.pipeline(name='sequential-pipeline', description='A pipeline with two sequential steps.')
def sequential_pipeline(url: str='gs://ml-pipeline/sample-data/shakespeare/shakespeare1.txt'):
    """A pipeline with two sequential steps."""
    download_task = gcs_download_op(url=url)
    echo_task = echo_op(text=download_task.output)
