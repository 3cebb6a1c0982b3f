"""cistreams: generate the OpenShift BuildConfigs that turn ART images into CI images.

The pipeline, one package per stage: builddata (load) -> schemas (validate) -> render (with
transforms) -> output (write) -> cluster (apply); yamlengine reads and writes YAML for all
of them; app runs the stages in order and cli is the command line on top.
"""

__version__ = "0.1.0"
