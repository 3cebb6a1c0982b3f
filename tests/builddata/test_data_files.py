"""Every build-data file that exists in some form but is not a readable regular file is an
error naming it (never "absent", which would drop BuildConfigs silently); truly absent
files keep their meaning; every file read is recorded so that -o can never overwrite it.
All files, device nodes included, are made inside tmp_path."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from cistreams import app
from cistreams.errors import Problems
from cistreams.options import Source
from helpers import PROJECT, run_cli

LAYOUT_2025 = PROJECT / "tests" / "cases" / "group-ext-layout" / "data"
BUNDLED = PROJECT / "src" / "cistreams" / "transforms" / "bundled"
GROUP = "openshift-4.21"
PREVIOUS = b"# output of an earlier, good run\n"
DESCRIPTOR = "repos: dnf\nci_mirror: base-{MAJOR}-{MINOR}-rhel10.ocp.svc\nlocaldev_profile: el10\n"
# every kind of file the run reads: group files, includes (named and globbed), image
# metadata, a template override, and a declared transform's descriptor and template
FILES = ["group.yml", "streams.yml", "group.ext.yml", "plashet.yml",
         "repos/rhel-9-baseos-rpms.yml", "images/openshift-base-nodejs.rhel9.yml",
         "ci_transforms/rhel-9/base-repos/Dockerfile", "ci_transforms/rhel-10/golang/transform.yml",
         "ci_transforms/rhel-10/golang/Dockerfile"]
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    """The 2025 layout plus a template override and a transform declared by the data."""
    root = tmp_path / "data"
    shutil.copytree(LAYOUT_2025, root)
    for name in ("rhel-9/base-repos", "rhel-10/golang"):
        (root / "ci_transforms" / name).mkdir(parents=True)
        shutil.copyfile(BUNDLED / "rhel-9" / "base-repos" / "Dockerfile",
                        root / "ci_transforms" / name / "Dockerfile")
    (root / "ci_transforms" / "rhel-10" / "golang" / "transform.yml").write_text(DESCRIPTOR)
    return root


def _gen(data: Path, output: Path) -> tuple[int, str]:
    result = run_cli("gen-buildconfigs", "--data-path", str(data), "-g", GROUP,
                     "-o", str(output))
    return result.code, result.stderr


def _directory(path: Path) -> str:
    path.mkdir()
    return "is a directory, not a regular file"


def _dangling(path: Path) -> str:
    path.symlink_to("nowhere.yml")
    return "is a dangling symbolic link (to 'nowhere.yml', which does not exist)"


def _looping(path: Path) -> str:
    path.symlink_to(path.name)
    return "is a symbolic link that loops (too many levels of symbolic links)"


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return "is a FIFO (named pipe), not a regular file"


def _huge(path: Path) -> str:
    with path.open("wb") as handle:
        handle.truncate(64 * 2**20 + 1)  # sparse
    return "is 67,108,865 bytes, larger than a build-data file may be (67,108,864 bytes)"


FORMS: dict[str, Callable[[Path], str]] = {"directory": _directory, "dangling": _dangling,
                                           "looping": _looping, "fifo": _fifo, "huge": _huge}


def _assert_refused(data: Path, tmp_path: Path, expected: str) -> None:
    output = tmp_path / "out.yaml"
    output.write_bytes(PREVIOUS)
    code, stderr = _gen(data, output)
    assert code == 1
    assert expected in stderr.splitlines()
    assert "Traceback" not in stderr
    assert output.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out.yaml"]


def test_the_fixture_renders(data: Path, tmp_path: Path) -> None:
    code, stderr = _gen(data, tmp_path / "out.yaml")
    assert (code, stderr) == (0, f"wrote 1 BuildConfig to {tmp_path / 'out.yaml'}\n")


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("name", FILES)
def test_a_file_that_is_not_a_plain_file_is_an_error(data: Path, tmp_path: Path, name: str,
                                                      form: str) -> None:
    path = data / name
    path.unlink()
    message = FORMS[form](path)
    _assert_refused(data, tmp_path, f"error: {name}: {message}")


@needs_root
@pytest.mark.parametrize("name", FILES)
def test_a_device_is_an_error(data: Path, tmp_path: Path, name: str) -> None:
    path = data / name
    path.unlink()
    os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # like /dev/zero, in tmp_path
    _assert_refused(data, tmp_path, f"error: {name}: is a character device, not a regular file")


@pytest.mark.parametrize("name", ["streams.yml", "images/openshift-base-nodejs.rhel9.yml",
                                  "ci_transforms/rhel-9/base-repos/Dockerfile"])
def test_an_unreadable_file_is_an_error(data: Path, tmp_path: Path, name: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open
    denied = str(data / name)

    def open_(path: str | Path, flags: int, *rest: int) -> int:
        if str(path) == denied:  # root reads every file: simulate a refusal for this one
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, *rest)

    monkeypatch.setattr(os, "open", open_)
    _assert_refused(data, tmp_path, f"error: {name}: cannot read: Permission denied")


def test_a_link_to_a_plain_file_is_read(data: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared.yml"
    (data / "streams.yml").rename(shared)
    (data / "streams.yml").symlink_to(shared)
    assert _gen(data, tmp_path / "out.yaml")[0] == 0


def test_an_odd_file_wins_over_a_later_extension(data: Path, tmp_path: Path) -> None:
    """streams.yaml comes before streams.yml (doozer's order): a directory there is an error,
    not a reason to read streams.yml instead."""
    (data / "streams.yaml").mkdir()
    _assert_refused(data, tmp_path, "error: streams.yaml: is a directory, not a regular file")


def test_the_check_command_reports_it_too(data: Path) -> None:
    (data / "images" / "openshift-base-nodejs.rhel9.yml").unlink()
    (data / "images" / "openshift-base-nodejs.rhel9.yml").mkdir()
    result = run_cli("check", "--data-path", str(data), "-g", GROUP)
    assert result.code == 1
    assert result.stderr == ("error: images/openshift-base-nodejs.rhel9.yml: is a directory, "
                             "not a regular file\n")


# truly absent files keep their meaning

def test_no_streams_file_means_no_streams(data: Path, tmp_path: Path) -> None:
    (data / "streams.yml").unlink()
    assert _gen(data, tmp_path / "out.yaml")[0] == 0
    assert (tmp_path / "out.yaml").read_text().count("kind: BuildConfig") == 1


def test_other_names_in_images_are_ignored(data: Path, tmp_path: Path) -> None:
    (data / "images" / "README").mkdir()
    (data / "images" / "notes.txt").symlink_to("nowhere")
    assert _gen(data, tmp_path / "out.yaml")[0] == 0


def test_a_missing_include_is_still_no_such_file(data: Path, tmp_path: Path) -> None:
    (data / "plashet.yml").unlink()
    _assert_refused(data, tmp_path, "error: group.ext.yml:1: !include plashet.yml: no such file")


def test_no_group_ext_file_means_no_extension(data: Path, tmp_path: Path) -> None:
    (data / "group.ext.yml").unlink()
    assert _gen(data, tmp_path / "out.yaml")[0] == 0
    assert (tmp_path / "out.yaml").read_text().count("kind: BuildConfig") == 1


def test_a_descriptor_without_a_template_is_still_that_error(data: Path, tmp_path: Path) -> None:
    (data / "ci_transforms" / "rhel-10" / "golang" / "Dockerfile").unlink()
    _assert_refused(data, tmp_path, "error: ci_transforms/rhel-10/golang/Dockerfile: the "
                    "transform has no Dockerfile beside its descriptor")


def test_a_folder_without_files_is_ignored(data: Path, tmp_path: Path) -> None:
    (data / "ci_transforms" / "rhel-11" / "golang").mkdir(parents=True)
    assert _gen(data, tmp_path / "out.yaml")[0] == 0


# every file read is recorded, and -o can never be one of them

def test_every_file_read_is_recorded(data: Path) -> None:
    loaded, _ = app.load_build_data(Source(str(data), GROUP), doozer_2020=False, problems=Problems())
    recorded = {read.display: read for read in loaded.files_read}
    assert sorted(recorded) == sorted([*FILES, "repos/rhel-9-server-ose-rpms.yml",
                                       "images/openshift-base-rhel8.yml"])
    for display, read in recorded.items():
        status = (data / display).stat()
        assert (read.path, read.dev, read.ino) == (str(data / display), status.st_dev,
                                                   status.st_ino)


@pytest.mark.parametrize("name", FILES)
def test_the_output_can_never_be_a_file_read(data: Path, name: str) -> None:
    before = (data / name).read_bytes()
    code, stderr = _gen(data, data / name)
    assert (code, stderr) == (1, f"error: -o {data / name}: that is the build-data file {name} "
                                 "this run reads; write the output elsewhere\n")
    assert (data / name).read_bytes() == before


def test_doozer_2020_mode_protects_what_it_reads(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(PROJECT / "examples" / "build-data", data)
    result = run_cli("gen-buildconfigs", "--data-path", str(data), "-g", "openshift-4.7",
                     "--compat", "doozer-2020", "-o", str(data / "streams.yml"))
    assert result.code == 1
    assert "that is the build-data file streams.yml this run reads" in result.stderr
