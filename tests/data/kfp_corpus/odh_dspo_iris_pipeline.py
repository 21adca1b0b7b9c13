# Reduced from opendatahub-io/data-science-pipelines-operator/docs/example_pipelines/iris/iris-pipeline.py at commit 03d83de7db00bec0436e8d110a39eba772884053, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from typing import List
import kfp
from kfp import compiler
from kfp import dsl
from kfp import Client
from kfp.dsl import Dataset
from kfp.dsl import Input
from kfp.dsl import Model
from kfp.dsl import Output

@dsl.component(base_image='quay.io/rhn_support_ddalvi/ds-pipelines-iris-base:v1.0', packages_to_install=['pandas==2.2.0'])
def create_dataset(iris_dataset: Output[Dataset]):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.component(base_image='quay.io/rhn_support_ddalvi/ds-pipelines-iris-base:v1.0', packages_to_install=['pandas==2.2.0', 'scikit-learn==1.4.0'])
def normalize_dataset(input_iris_dataset: Input[Dataset], normalized_iris_dataset: Output[Dataset], standard_scaler: bool, min_max_scaler: bool):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.component(base_image='quay.io/rhn_support_ddalvi/ds-pipelines-iris-base:v1.0', packages_to_install=['pandas==2.2.0', 'scikit-learn==1.4.0'])
def train_model(normalized_iris_dataset: Input[Dataset], model: Output[Model], n_neighbors: int):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='iris-training-pipeline')
def my_pipeline(standard_scaler: bool, min_max_scaler: bool, neighbors: int):
    create_dataset_task = create_dataset()
    normalize_dataset_task = normalize_dataset(input_iris_dataset=create_dataset_task.outputs['iris_dataset'], standard_scaler=True, min_max_scaler=False)
    train_model(normalized_iris_dataset=normalize_dataset_task.outputs['normalized_iris_dataset'], n_neighbors=neighbors)
endpoint = 'http://ml-pipeline-ui-kubeflow.apps.rmartine.dev.datahub.redhat.com/'
