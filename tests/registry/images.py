"""Test images built in Python: a single-platform image and a manifest list, pushed directly.

Each image is one small gzip'd tar layer, an image config and a Docker schema 2 manifest (the
media types ART's registries serve); a list is a Docker manifest list of such images with
their platforms. Content is derived from a `name`, byte for byte reproducible (tar and gzip
times are zero), so two images with different names have different digests and the same name
always gives the same digest. Pushed through the distribution API (`RegistryClient`), no
external tool involved.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass

from registry.testregistry import RegistryClient

MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
CONFIG = "application/vnd.docker.container.image.v1+json"
LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(data: bytes) -> str:
    """The `sha256:...` digest of some bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Blob:
    """A layer or a config, by its bytes."""

    media_type: str
    data: bytes

    @property
    def digest(self) -> str:
        """Its content digest."""
        return sha256(self.data)

    def descriptor(self) -> dict[str, object]:
        """The descriptor a manifest refers to it by."""
        return {"mediaType": self.media_type, "size": len(self.data), "digest": self.digest}


@dataclass(frozen=True)
class Image:
    """One single-platform image."""

    name: str
    arch: str
    os: str
    config: Blob
    layers: tuple[Blob, ...]
    manifest: bytes

    @property
    def digest(self) -> str:
        """The manifest's digest (what a pull by digest names)."""
        return sha256(self.manifest)

    @property
    def media_type(self) -> str:
        """Docker schema 2 manifest."""
        return MANIFEST


@dataclass(frozen=True)
class ImageList:
    """A manifest list of several single-platform images."""

    name: str
    images: tuple[Image, ...]
    manifest: bytes

    @property
    def digest(self) -> str:
        """The list's digest (kept when the list is copied as it is)."""
        return sha256(self.manifest)

    @property
    def media_type(self) -> str:
        """Docker manifest list."""
        return MANIFEST_LIST

    def for_arch(self, arch: str) -> Image:
        """The image of one architecture."""
        return next(image for image in self.images if image.arch == arch)


def _layer(text: str) -> bytes:
    """A gzip'd tar holding one file, with no timestamps (reproducible)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        content = text.encode()
        info = tarfile.TarInfo("etc/cistreams-test")
        info.size, info.mtime, info.mode = len(content), 0, 0o644
        tar.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0)


def image(name: str, arch: str = "amd64", os: str = "linux") -> Image:
    """A single-platform image whose content names `name` and the platform."""
    layer_data = _layer(f"{name} {os}/{arch}\n")
    diff_id = sha256(gzip.decompress(layer_data))
    config = Blob(CONFIG, json.dumps({
        "architecture": arch, "os": os,
        "config": {"Labels": {"io.cistreams.test": name}},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": f"cistreams test image {name}"}],
    }, sort_keys=True).encode())
    layer = Blob(LAYER, layer_data)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST,
                           "config": config.descriptor(), "layers": [layer.descriptor()]},
                          sort_keys=True).encode()
    return Image(name, arch, os, config, (layer,), manifest)


def image_list(name: str, arches: tuple[str, ...] = ("amd64", "arm64")) -> ImageList:
    """A manifest list with one image of `name` per architecture (linux)."""
    images = tuple(image(name, arch) for arch in arches)
    manifests = [{"mediaType": MANIFEST, "size": len(i.manifest), "digest": i.digest,
                  "platform": {"architecture": i.arch, "os": i.os}} for i in images]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST_LIST,
                           "manifests": manifests}, sort_keys=True).encode()
    return ImageList(name, images, manifest)


def push(client: RegistryClient, repo: str, tag: str, what: Image | ImageList) -> str:
    """Push an image or a list (its images by digest first) to `repo:tag`; its digest."""
    for single in what.images if isinstance(what, ImageList) else (what,):
        for blob in (single.config, *single.layers):
            client.put_blob(repo, blob.digest, blob.data)
        if isinstance(what, ImageList):
            client.put_manifest(repo, single.digest, MANIFEST, single.manifest)
    reported = client.put_manifest(repo, tag, what.media_type, what.manifest)
    assert reported == what.digest, f"the registry stored {reported}, expected {what.digest}"
    return what.digest
