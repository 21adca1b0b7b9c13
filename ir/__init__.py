"""The KFP IR vocabulary: the formats that the compiler writes and the runner reads.

A fact about KFP's PipelineSpec (a type name, a placeholder, a duration, how
a value becomes text) is written once, here, and imported by both sides. Only
the standard library is used: the compile path may import this, and the
runner interprets any IR with it, also IR that `kfp` itself wrote.
"""
