"""Stage 2, render: typed records in, BuildConfig and DaemonSet objects (plain dicts) out.

`render` applies each entry's transform (see `cistreams.transforms` for the templates and
their registry), edits the Dockerfile (`dockerfile`), maps image references (`imageref`) and
applies the Kubernetes naming rules (`names`). Nothing here reads files or writes output.
"""

from cistreams.render.names import GROUP_LABEL, NAMESPACE
from cistreams.render.objects import Rendered, RenderOptions, render

__all__ = ["GROUP_LABEL", "NAMESPACE", "RenderOptions", "Rendered", "render"]
