# Reduced from kubeflow/pipelines/samples/core/secret/secret.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from kfp import dsl, compiler
from kfp.components import load_component_from_text
gcs_list_items_op = load_component_from_text(text='\nname: GCS - List items\ninputs:\n- {name: url, type: STRING}\nimplementation:\n  container:\n    image: \'google/cloud-sdk:279.0.0\'\n    command:\n    - sh\n    - -exc\n    - |\n      if [ -n "${GOOGLE_APPLICATION_CREDENTIALS}" ]; then\n          echo "Using auth token from ${GOOGLE_APPLICATION_CREDENTIALS}"\n          gcloud auth activate-service-account --key-file="${GOOGLE_APPLICATION_CREDENTIALS}"\n      fi\n      gcloud auth list\n      gsutil ls "$0"\n    - {inputValue: url}\n')

@dsl.component(base_image='python:3.7', packages_to_install=['google-cloud-storage==1.31.2'])
def gcs_list_buckets():
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='secret-pipeline', description='A pipeline to demonstrate mounting and use of secretes.')
def secret_op_pipeline(url: str='gs://ml-pipeline/sample-data/shakespeare/shakespeare1.txt'):
    """A pipeline that uses secret to access cloud hosted resouces."""
    gcs_list_items_task = gcs_list_items_op(url=url)
    gcs_list_buckets_task = gcs_list_buckets()
