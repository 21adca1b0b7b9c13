# Reduced from rh-aiservices-bu/fraud-detection/pipeline/7_get_data_train_upload.py at commit 004621a27a3f829f349a415ddfce89ad04a29827, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

import os
from kfp import compiler
from kfp import dsl
from kfp.dsl import InputPath, OutputPath
from kfp import kubernetes

@dsl.component(base_image='quay.io/modh/runtime-images:runtime-cuda-tensorflow-ubi9-python-3.9-2024a-20240523')
def get_data(train_data_output_path: OutputPath(), validate_data_output_path: OutputPath()):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.component(base_image='quay.io/modh/runtime-images:runtime-cuda-tensorflow-ubi9-python-3.9-2024a-20240523', packages_to_install=['onnx==1.17.0', 'onnxruntime==1.19.2', 'tf2onnx==1.16.1'])
def train_model(train_data_input_path: InputPath(), validate_data_input_path: InputPath(), model_output_path: OutputPath()):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.component(base_image='quay.io/modh/runtime-images:runtime-cuda-tensorflow-ubi9-python-3.9-2024a-20240523', packages_to_install=['boto3==1.35.55', 'botocore==1.35.55'])
def upload_model(input_model_path: InputPath()):
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name=os.path.basename(__file__).replace('.py', ''))
def pipeline():
    get_data_task = get_data()
    train_data_csv_file = get_data_task.outputs['train_data_output_path']
    validate_data_csv_file = get_data_task.outputs['validate_data_output_path']
    train_model_task = train_model(train_data_input_path=train_data_csv_file, validate_data_input_path=validate_data_csv_file)
    onnx_file = train_model_task.outputs['model_output_path']
    upload_model_task = upload_model(input_model_path=onnx_file)
    upload_model_task.set_env_variable(name='S3_KEY', value='models/fraud/1/model.onnx')
    kubernetes.use_secret_as_env(task=upload_model_task, secret_name='aws-connection-my-storage', secret_key_to_env={'AWS_ACCESS_KEY_ID': 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY': 'AWS_SECRET_ACCESS_KEY', 'AWS_DEFAULT_REGION': 'AWS_DEFAULT_REGION', 'AWS_S3_BUCKET': 'AWS_S3_BUCKET', 'AWS_S3_ENDPOINT': 'AWS_S3_ENDPOINT'})
