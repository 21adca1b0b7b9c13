"""The container variables that ask Argo Workflows (3.5 or later) to pause a step's pod, as KFP 2.17's
`PipelineTask.set_debug_pause` sets them: the compiler writes them for `debug_pause:`, the runner reads them."""

BEFORE = "ARGO_DEBUG_PAUSE_BEFORE"
AFTER = "ARGO_DEBUG_PAUSE_AFTER"
ON_ERROR = "ARGO_DEBUG_PAUSE_ON_ERROR"
