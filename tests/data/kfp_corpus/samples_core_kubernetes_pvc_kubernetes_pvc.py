# Reduced from kubeflow/pipelines/samples/core/kubernetes_pvc/kubernetes_pvc.py at commit 7b70c7b95f6832772efd6fd0029a4024491a0f44, for kfyaml's real-world corpus
# (tests/data/kfp_corpus/SOURCES.yaml): the pipeline's structure as the original has it (component
# interfaces and decorator settings, the wiring, control flow and kfp-kubernetes calls); Python
# component bodies, comments and module-level code (compiling, submitting runs) left out.

from kfp import dsl, compiler
from kfp import kubernetes

@dsl.component
def make_data():
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.component
def read_data():
    raise NotImplementedError('reduced for kfyaml tests')

@dsl.pipeline(name='kubernetes-pvc-basic', description='A Basic Example on Kubernetes PVC Usage.')
def my_pipeline():
    pvc1 = kubernetes.CreatePVC(pvc_name_suffix='-my-pvc', access_modes=['ReadWriteOnce'], size='5Gi', storage_class_name='standard')
    task1 = make_data()
    task2 = read_data().after(task1)
    kubernetes.mount_pvc(task1, pvc_name=pvc1.outputs['name'], mount_path='/data')
    kubernetes.mount_pvc(task2, pvc_name=pvc1.outputs['name'], mount_path='/reused_data')
    delete_pvc1 = kubernetes.DeletePVC(pvc_name=pvc1.outputs['name']).after(task2)
