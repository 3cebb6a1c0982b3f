"""cistreams: generate the OpenShift BuildConfigs that turn ART images into CI images.

The pipeline, one package per stage, in this order everywhere:
1 builddata (load), 2 render (with transforms), 3 schemas (validate), 4 output (write),
5 cluster (apply); registry talks to image registries beside cluster. yamlio reads and
writes YAML for them all. app runs the stages in order, commands/ holds one module per
further verb, and cli is the command line on top.
"""

__version__ = "0.1.0"
