"""mirror at ART's size against real registries 20 ms away: cistreams beside doozer's serial way.

40 entries, each asking for three copies (main, arm64, one upstream_image_mirror), so 120
copies, between real registries (distribution 2.8, TLS, htpasswd; tests/registry) reached
through TCP proxies that add 20 ms of round-trip latency (latency_proxy.py; TLS passes
through). Rows:
- serial skopeo: the same 120 copies with the same skopeo arguments, one process after
  another (doozer ran one `oc image mirror` after another);
- cistreams mirror with --max-inflight 8 (the default), 16, 32 and 40 (every entry at
  once), each into fresh destination registries so that every run pushes everything. With N
  in flight the best possible speed-up is N (the same copies, N at a time; the registries,
  the proxies and every skopeo share the machine's 2 cores), so the issue's 8x target is
  checked on the fastest row;
- cistreams mirror --only-if-missing with everything present: the requests each destination
  registry served are counted from its access log (manifest reads, writes).

    python bench/mirror_bench.py [--entries 40] [--check]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from latency_proxy import latency_proxy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from cistreams.registry import plan as planning  # noqa: E402
from cistreams.registry.skopeo import Skopeo  # noqa: E402
from registry import images  # noqa: E402  (test infrastructure, found above)
from registry.testregistry import Registries, Registry  # noqa: E402

LATENCY_SECONDS = 0.01  # each way: 20 ms per round trip
GROUP = "openshift-4.17"
SPEEDUP_TARGET = 8.0
INFLIGHTS = (8, 16, 32, 40)


@dataclass
class Row:
    """One measured run."""

    name: str
    copies: int
    seconds: float
    manifest_reads: int = -1
    writes: int = -1


@contextmanager
def proxied(registries: Registries, names: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """A latency proxy in front of each named registry; yields name -> proxied host, each
    trusted (certs.d) and in the auth file."""
    with ExitStack() as stack:
        hosts = {}
        for name in names:
            port = stack.enter_context(latency_proxy(("127.0.0.1", registries[name].port),
                                                     LATENCY_SECONDS))
            hosts[name] = f"127.0.0.1:{port}"
            registries.trust(hosts[name])
        registries.write_authfile(registries.authfile, "mirror", registries.password,
                                  tuple(hosts.values()))
        yield hosts


def seed(registries: Registries, dests: tuple[str, ...], count: int) -> None:
    """Two-arch source images in `source`, and in each destination the upstream_image the
    upstream_image_mirror copies read (what CI's build would have pushed)."""
    source = registries.client("source")
    for index in range(count):
        images.push(source, f"rh-osbs/openshift-bench-{index}", "v1",
                    images.image_list(f"bench-{index}"))
        for dest in dests:
            images.push(registries.client(dest), "ci/builder", f"bench-{index}",
                        images.image(f"built-{index}"))


def write_data(folder: Path, source: str, dest: str, count: int) -> Path:
    """group.yml and a streams.yml of `count` entries, brew names resolving to `source`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "group.yml").write_text(
        f"name: {GROUP}\nvars: {{MAJOR: 4, MINOR: 17}}\narches: [x86_64, aarch64]\n"
        f"urls:\n  brew_image_host: {source}\n  brew_image_namespace: rh-osbs\n",
        encoding="utf-8")
    (folder / "streams.yml").write_text("".join(
        f"bench-{i}:\n  image: openshift/bench-{i}:v1\n  mirror: true\n"
        f"  upstream_image_base: {dest}/ci/builder:bench-{i}.art\n"
        f"  upstream_image: {dest}/ci/builder:bench-{i}\n"
        f"  upstream_image_mirror: [{dest}/ci-private/builder:bench-{i}]\n"
        for i in range(count)), encoding="utf-8")
    return folder


def cistreams(registries: Registries, data: Path, *extra: str) -> tuple[float, str]:
    """Seconds and standard output of one `cistreams mirror` run."""
    argv = [sys.executable, "-m", "cistreams", "mirror", "--data-path", str(data), "-g", GROUP,
            "--registry-auth", str(registries.authfile), "--registry-certs",
            str(registries.certs_dir), *extra]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"cistreams mirror failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def serial(registries: Registries, data: Path) -> tuple[float, int]:
    """The plan's copies, one skopeo process after another; (seconds, copies)."""
    from cistreams import app
    from cistreams.errors import Problems
    from cistreams.options import Source

    problems = Problems()
    loaded, _ = app.load_build_data(Source(str(data), GROUP), False, problems)
    entries = app.select(loaded, (), (), False, problems)
    plans = planning.plan(loaded.group, entries, planning.Settings(), problems)
    tool = Skopeo(authfile=registries.authfile, certs_dir=registries.certs_dir)
    copies = [step for entry in plans for target in entry.targets for step in target.steps
              if isinstance(step, planning.Copy)]
    start = time.perf_counter()
    for step in copies:
        subprocess.run(tool.copy_args(step.source, step.dest, step.selection), check=True,
                       capture_output=True)
    return time.perf_counter() - start, len(copies)


def counted(registry: Registry, since: int) -> tuple[int, int]:
    """(successful manifest reads, writes) the registry served since `since`."""
    served = registry.requests()[since:]
    reads = sum(r.method in ("GET", "HEAD") and "/manifests/" in r.path and r.status == 200
                for r in served)
    writes = sum(r.method in ("PUT", "POST", "PATCH") for r in served)
    return reads, writes


def run(count: int, work: Path) -> list[Row]:
    names = ("source", "dest-serial", *(f"dest-{n}" for n in INFLIGHTS))
    rows = []
    with Registries(work / "registries", names) as registries:
        seed(registries, names[1:], count)
        with proxied(registries, names) as hosts:
            data = {name: write_data(work / name, hosts["source"], hosts[name], count)
                    for name in names[1:]}
            seconds, copies = serial(registries, data["dest-serial"])
            rows.append(Row("serial skopeo (doozer's way)", copies, seconds))
            print(f"serial: {copies} copies in {seconds:.1f} s", flush=True)
            for inflight in INFLIGHTS:
                dest = f"dest-{inflight}"
                seconds, out = cistreams(registries, data[dest], "--max-inflight", str(inflight))
                copied = sum(line.startswith("copied ") for line in out.splitlines())
                rows.append(Row(f"cistreams --max-inflight {inflight}", copied, seconds))
                print(f"cistreams x{inflight}: {copied} copies in {seconds:.1f} s", flush=True)
            mark = registries["dest-8"].mark()
            seconds, out = cistreams(registries, data["dest-8"], "--only-if-missing")
            reads, writes = counted(registries["dest-8"], mark)
            present = sum(line.startswith("present ") for line in out.splitlines())
            rows.append(Row(f"cistreams --only-if-missing, {present} present", 0, seconds,
                            reads, writes))
    return rows


def table(rows: list[Row]) -> str:
    base = rows[0].seconds
    lines = ["| run | copies | wall time | speed-up | manifest reads | writes |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        reads = str(row.manifest_reads) if row.manifest_reads >= 0 else "-"
        writes = str(row.writes) if row.writes >= 0 else "-"
        speed = f"{base / row.seconds:.1f}x" if row.copies else "-"
        lines.append(f"| {row.name} | {row.copies} | {row.seconds:.1f} s | {speed} | {reads} | "
                     f"{writes} |")
    return "\n".join(lines)


def missed(rows: list[Row], count: int) -> list[str]:
    """The issue's targets that were not met."""
    problems = []
    measured = min((r for r in rows[1:] if r.copies), key=lambda r: r.seconds)
    if rows[0].seconds < SPEEDUP_TARGET * measured.seconds:
        problems.append(f"{measured.name}: {rows[0].seconds / measured.seconds:.1f}x, target "
                        f"{SPEEDUP_TARGET:.0f}x")
    check = rows[-1]
    if check.manifest_reads != 3 * count or check.writes != 0:
        problems.append(f"--only-if-missing: {check.manifest_reads} manifest reads and "
                        f"{check.writes} writes, expected {3 * count} and 0")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=40)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="cistreams-mirror-bench-") as temp:
        rows = run(args.entries, Path(temp))
    print(f"load average after: {os.getloadavg()[0]:.2f}\n")
    print(table(rows))
    problems = missed(rows, args.entries)
    for line in problems:
        print(f"missed: {line}")
    return 1 if problems and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
