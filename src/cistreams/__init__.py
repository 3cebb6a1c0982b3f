"""cistreams: generate the OpenShift BuildConfigs that turn ART images into CI images."""

__version__ = "0.1.0"
