"""The helpers under scripts/, run as programs on sample inputs in temporary folders."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import PROJECT

TO_SRC = PROJECT / "scripts" / "apt-sources-to-src"

DEBIAN_SOURCES = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://off.example/debian
Suites: bookworm
Components: main
Enabled: no
"""
BOOKWORM_STANZA = """\
Types: deb deb-src
URIs: http://mirror.example/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def to_src(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TO_SRC), *map(str, args)], text=True,
                          capture_output=True, check=False)


def test_a_deb822_source_becomes_deb_and_deb_src_on_the_same_mirror(tmp_path: Path) -> None:
    sources = tmp_path / "debian.sources"
    sources.write_text(DEBIAN_SOURCES)
    result = to_src("--suite", "bookworm", sources)
    assert result.returncode == 0, result.stderr
    # only bookworm main: not -updates, not -security, not contrib, not the disabled stanza
    assert result.stdout == BOOKWORM_STANZA


def test_one_line_sources_keep_their_options(tmp_path: Path) -> None:
    sources = tmp_path / "sources.list"
    sources.write_text(
        "# deb http://commented.example/debian bookworm main\n"
        "deb-src http://src-only.example/debian bookworm main\n"
        "deb [ arch=amd64,i386 signed-by=/k.gpg ] http://m.example/debian bookworm main non-free\n"
        "deb [arch+=arm64 check-valid-until=no] http://n.example/debian bookworm main # note\n"
        "deb http://m.example/debian bookworm-updates main\n"
        "deb http://m.example/debian bookworm contrib\n")
    result = to_src("--suite", "bookworm", sources)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "Types: deb deb-src\nURIs: http://m.example/debian\nSuites: bookworm\n"
        "Components: main\nArchitectures: amd64 i386\nSigned-By: /k.gpg\n"
        "\n"
        "Types: deb deb-src\nURIs: http://n.example/debian\nSuites: bookworm\n"
        "Components: main\nArchitectures-Add: arm64\nCheck-Valid-Until: no\n")


def test_an_inline_key_is_carried_over_line_for_line(tmp_path: Path) -> None:
    key = (" -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mQINBGPL\n"
           " -----END PGP PUBLIC KEY BLOCK-----")
    sources = tmp_path / "inline.sources"
    sources.write_text("Types: deb\nURIs: http://k.example/debian\nSuites: bookworm\n"
                       f"Components: main\nSigned-By:\n{key}\n")
    result = to_src("--suite", "bookworm", sources)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(f"Components: main\nSigned-By:\n{key}\n")


def test_a_folder_is_read_like_apt_reads_sources_list_d(tmp_path: Path) -> None:
    parts = tmp_path / "sources.list.d"
    parts.mkdir()
    (parts / "b.sources").write_text(DEBIAN_SOURCES)
    (parts / "a.list").write_text("deb http://a.example/debian bookworm main\n")
    # apt ignores other suffixes; the same source twice is written once
    (parts / "c.list.disabled").write_text("deb http://c.example/debian bookworm main\n")
    (parts / "d.list").write_text("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
                                  "http://mirror.example/debian bookworm main\n")
    result = to_src("--suite", "bookworm", tmp_path / "missing.list", parts)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("Types: deb deb-src\nURIs: http://a.example/debian\n"
                             "Suites: bookworm\nComponents: main\n\n" + BOOKWORM_STANZA)


def test_no_matching_source_is_one_line_and_exit_1(tmp_path: Path) -> None:
    sources = tmp_path / "debian.sources"
    sources.write_text(DEBIAN_SOURCES)
    result = to_src("--suite", "trixie", sources)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"apt-sources-to-src: no enabled 'deb' source for trixie main in {sources}; "
        "add one (any mirror) and run again"]


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="needs apt-get (Debian)")
def test_apt_reads_the_stanzas_as_deb_and_deb_src(tmp_path: Path) -> None:
    """apt itself parses the output: its update plan (printed, nothing fetched) names the
    mirror's source index next to its package index."""
    given = tmp_path / "given.list"
    given.write_text("deb [arch=amd64] http://mirror.example/debian bookworm main\n")
    parts = tmp_path / "apt" / "sources.list.d"
    parts.mkdir(parents=True)
    result = to_src("--suite", "bookworm", given)
    (parts / "src.sources").write_text(result.stdout)
    (tmp_path / "apt" / "sources.list").write_text("")
    lists = tmp_path / "apt" / "lists"
    (lists / "partial").mkdir(parents=True)
    (tmp_path / "apt" / "cache" / "archives" / "partial").mkdir(parents=True)
    plan = subprocess.run(
        ["apt-get", "-o", f"Dir::Etc::SourceList={tmp_path / 'apt' / 'sources.list'}",
         "-o", f"Dir::Etc::SourceParts={parts}", "-o", f"Dir::State::Lists={lists}",
         "-o", f"Dir::Cache={tmp_path / 'apt' / 'cache'}", "--print-uris", "update"],
        text=True, capture_output=True, check=False)
    assert plan.returncode == 0, plan.stderr
    uris = {line.split()[0].strip("'") for line in plan.stdout.splitlines()}
    assert "http://mirror.example/debian/dists/bookworm/main/source/Sources.xz" in uris
    assert "http://mirror.example/debian/dists/bookworm/main/binary-amd64/Packages.xz" in uris
