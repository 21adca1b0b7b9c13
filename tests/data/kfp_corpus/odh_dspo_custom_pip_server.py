# Reduced from opendatahub-io/data-science-pipelines-operator/tests/resources/test-pipeline-with-custom-pip-server.py at commit 148d64ef8f2ed988a6cb07518e9196bc853e4a69, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from kfp import dsl, compiler

@dsl.component(base_image='quay.io/opendatahub/ds-pipelines-ci-executor-image:v1.0', packages_to_install=['numpy'], pip_index_urls=['https://nginx-service.test-pypiserver.svc.cluster.local/simple/'], pip_trusted_hosts=[])
def say_hello() -> str:
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline
def hello_pipeline() -> str:
    hello_task = say_hello()
    return hello_task.output
