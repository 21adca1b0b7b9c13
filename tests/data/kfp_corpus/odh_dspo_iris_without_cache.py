# Reduced from opendatahub-io/data-science-pipelines-operator/tests/resources/iris_pipeline_without_cache.py at commit 5870503a4d7757e1a390fccdd6ba9f45a562f500,
# for kfyaml's real-world corpus (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the
# original has it; Python component bodies, comments and module-level code left out.

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output


@dsl.component()
def create_dataset(iris_dataset: Output[Dataset]):
    raise NotImplementedError('reduced for kfyaml tests')


@dsl.component()
def train_model(iris_dataset: Input[Dataset], model: Output[Model]):
    raise NotImplementedError('reduced for kfyaml tests')


@dsl.pipeline(name="sample-training-pipeline")
def my_pipeline():
    create_dataset_task = create_dataset().set_caching_options(False)
    train_model(iris_dataset=create_dataset_task.output).set_caching_options(False)
