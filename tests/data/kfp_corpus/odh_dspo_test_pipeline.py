# Reduced from opendatahub-io/data-science-pipelines-operator/tests/resources/test-pipeline.py at commit 5870503a4d7757e1a390fccdd6ba9f45a562f500,
# for kfyaml's real-world corpus (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the
# original has it; Python component bodies, comments and module-level code left out.

from kfp import dsl


@dsl.component(base_image="quay.io/opendatahub/ds-pipelines-ci-executor-image:v1.1")
def say_hello(name: str) -> str:
    raise NotImplementedError('reduced for kfyaml tests')


@dsl.pipeline
def hello_pipeline(recipient: str) -> str:
    hello_task = say_hello(name=recipient)
    return hello_task.output
