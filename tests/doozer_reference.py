"""An independent re-implementation of the seed doozer `gen-buildconfigs` (late 2020), for tests.

This is the oracle that `--compat doozer-2020` is compared against. It deliberately does not
import cistreams: it follows doozer's own code paths (Model/Missing, `Runtime.initialize`,
`get_group_config`, `GitData.load_data`, `Repos`, the verb's loop) as closely as a test can,
so that a shortcut taken in cistreams shows up as a byte difference.

What it leaves out (none of it changes the bytes of a successful run):
- cloning, `git remote get-url origin`, working-dir bookkeeping, logging, state.yaml;
- image/RPM metadata loading (doozer also required an `images/` directory);
- `image_build_log_scanner` regex compilation, `--apply`.

Templates: doozer read its bundled templates from its package; here (as in cistreams) a
`<data_dir>/ci_transforms/<transform>/Dockerfile` wins, else the template bundled with
cistreams (read as a file, not imported).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from dockerfile_parse import DockerfileParser

BUNDLED = Path(__file__).resolve().parents[1] / "src" / "cistreams" / "transforms" / "bundled"

FREEZE_MESSAGE = ("Automation (builds / mutations) for this group is currently frozen "
                  "(freeze_automation set to yes). Coordinate with the group owner to change "
                  "this if you believe it is incorrect.")


class DoozerFatalError(Exception):
    """doozer's DoozerFatalError (the red "Doozer Failed With Error" banner)."""


class ModelException(Exception):
    """doozer's ModelException (writing into a Missing branch)."""


# --- doozerlib/model.py ----------------------------------------------------------------------


class MissingModel(dict[Any, Any]):
    """The value of every absent key: falsy, empty, and absorbing further lookups."""

    def __getattr__(self, attr: str) -> MissingModel:
        return self

    def __setattr__(self, key: str, value: object) -> None:
        raise ModelException(f"Invalid attempt to set key({key}) in missing branch of model")

    def __getitem__(self, attr: object) -> MissingModel:
        return self

    def __setitem__(self, key: object, value: object) -> None:
        raise ModelException(f"Invalid attempt to set key({key}) in missing branch of model")

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return "(MissingModel)"

    def __repr__(self) -> str:
        return "(MissingModel)"


Missing = MissingModel()


def to_model_or_val(value: Any) -> Any:
    """Wrap dicts and lists on access, as doozer's Model did."""
    if isinstance(value, list):
        return ListModel(value)
    if isinstance(value, dict):
        return Model(value)
    return value


class ListModel(list[Any]):
    """A list whose dict/list items are wrapped (and cached back) when read."""

    def __getitem__(self, index: Any) -> Any:
        if super().__len__() > index:
            value = super().__getitem__(index)
            if isinstance(value, Model):
                return value
            value = to_model_or_val(value)
            super().__setitem__(index, value)
            return value
        return super().__getitem__(index)

    def __iter__(self) -> Iterator[Any]:
        for i in range(super().__len__()):
            yield self[i]

    def primitive(self) -> list[Any]:
        """Shallow at the seed (made recursive in December 2020)."""
        return list(self)


class Model(dict[Any, Any]):
    """A dict read by attribute: absent keys give Missing, dict/list values are wrapped."""

    def __init__(self, dict_to_model: Any = None) -> None:
        super().__init__()
        if dict_to_model is not None:
            for key, value in dict_to_model.items():
                self[key] = value

    def __getattr__(self, attr: Any) -> Any:
        if super().__contains__(attr):
            value = super().get(attr)
            if isinstance(value, Model):
                return value
            value = to_model_or_val(value)
            self.__setattr__(attr, value)
            return value
        return Missing

    def __setattr__(self, key: Any, value: Any) -> None:
        self.__setitem__(key, value)

    def __getitem__(self, key: Any) -> Any:
        return self.__getattr__(key)

    def primitive(self) -> dict[Any, Any]:
        """Turn Models back into dicts."""
        result = {}
        for key, value in self.items():
            if isinstance(value, Model | ListModel):
                value = value.primitive()
            result[key] = value
        return result


# --- doozerlib/gitdata.py, runtime.py, repos.py ----------------------------------------------


class DataObj:
    """What GitData.load_data returned for one file (always truthy)."""

    def __init__(self, data: Any) -> None:
        self.data = data


def load_data(data_dir: Path, key: str, replace_vars: Any = None) -> DataObj | dict[Any, Any]:
    """`<key>.yaml|.yml|.json` (first found), raw text str.format'ed with the vars, full_load."""
    for ext in (".yaml", ".yml", ".json"):
        path = Path(data_dir) / (key + ext)
        if path.is_file():
            with open(path, encoding="utf-8") as f:  # noqa: PTH123 - as doozer did
                raw_text = f.read()
            if replace_vars:
                # doozer logged a warning and used the unformatted text
                with contextlib.suppress(KeyError):
                    raw_text = raw_text.format(**replace_vars)
            return DataObj(yaml.full_load(raw_text))
    return {}


def get_group_config(data_dir: Path) -> Model:
    """Load group.yml; with vars: safe_dump (sorted keys), str.format(**vars), reload."""
    loaded = load_data(data_dir, "group")
    tmp_config = Model(loaded.data)  # type: ignore[union-attr]  # AttributeError as in doozer
    replace_vars = tmp_config.vars
    if replace_vars is not Missing:
        try:
            group_yml = yaml.safe_dump(tmp_config.primitive(), default_flow_style=False)
            tmp_config = Model(yaml.full_load(group_yml.format(**replace_vars)))
        except KeyError as e:
            raise ValueError(f"group.yml contains template key `{e.args[0]}` but no value "
                             "was provided") from e
    return tmp_config


def _repo_baseurl(data: Model, repotype: str, arch: Any, valid_arches: Any) -> Any:
    bu = data.conf.baseurl
    if isinstance(bu, str):
        return bu
    if isinstance(bu, dict):
        if arch in bu:
            bu_sub = bu
        else:
            if repotype not in bu:
                raise ValueError(f"{repotype} is not a valid repotype option in {list(bu.keys())}")
            bu_sub = bu[repotype]
        if isinstance(bu_sub, str):
            return bu_sub
        if isinstance(bu_sub, dict):
            if arch not in valid_arches:
                raise ValueError(f"{arch} is not a valid arch option!")
            if arch not in bu_sub:
                raise ValueError(f"No baseurl available for arch {arch}")
            return bu_sub[arch]
        return bu[repotype]
    raise ValueError("baseurl must be str or dict!")


def check_repo(name: Any, raw: Any, valid_arches: Any) -> None:
    """doozer's `Repo.__init__` validation (run by Runtime.initialize for every repo)."""
    data = Model(raw)
    for req in ("conf", "content_set"):
        if req not in data:
            raise ValueError(f'Repo definitions must contain "{req}" key!')
    if data.conf.baseurl is Missing:
        raise ValueError("Repo definitions must include conf.baseurl!")
    conf = data.conf
    conf.name = conf.get("name", name)
    conf.enabled = conf.get("enabled", None)
    data.content_set.get("optional", False)
    _repo_baseurl(data, "unsigned", valid_arches[0], valid_arches)
    _ = True if data.reposync.enabled is Missing else data.reposync.enabled


class Runtime:
    """The parts of doozer's Runtime that gen-buildconfigs used, after initialize()."""

    def __init__(self, data_dir: Path, group: str) -> None:
        self.data_dir = data_dir
        self.group_config = get_group_config(data_dir)
        config = self.group_config
        arches = config.arches_override or config.get("arches", ["x86_64"])
        _gpgcheck = config.build_profiles.image.signed.gpgcheck
        repos = config.repos
        for name, repo in repos.items():
            check_repo(name, repo, arches)
        self.freeze_automation = config.freeze_automation or "no"
        if config.name != group:
            raise OSError("Name in group.yml does not match group name. Someone may have "
                          "copied this group without updating group.yml (make sure to check "
                          "branch)")
        self.streams: Any = {}
        if load_data(data_dir, "streams"):
            replace = config.vars.primitive() if config.vars else {}
            self.streams = Model(load_data(data_dir, "streams", replace_vars=replace).data)  # type: ignore[union-attr]

    def assert_mutation_is_permitted(self) -> None:
        """Only the string 'yes' blocks (an unquoted YAML yes is True and does not)."""
        if self.freeze_automation == "yes":
            raise DoozerFatalError(FREEZE_MESSAGE)

    def get_stream_names(self) -> list[Any]:
        """Stream names in file order."""
        return list(self.streams.keys())


def read_template(data_dir: Path, transform: str) -> str:
    """The Dockerfile template of `transform` (build-data override first)."""
    override = Path(data_dir) / "ci_transforms" / transform / "Dockerfile"
    path = override if override.is_file() else BUNDLED / transform / "Dockerfile"
    with open(path, encoding="utf-8") as tt:  # noqa: PTH123 - as doozer did
        return tt.read()


# --- doozerlib/cli/images_streams.py: images_streams_gen_buildconfigs (seed) ----------------

KEEPALIVE = ("#!/bin/bash\nset -euo pipefail\ntrap 'jobs -p | xargs -r kill || true; exit 0' "
             "TERM\nwhile true; do\n  sleep 600 &\n  wait $!\ndone\n")


def gen_buildconfigs(  # noqa: C901 - the seed function, statement for statement
        data_dir: Path, group: str, streams: Sequence[str] = (),
        live_test_mode: bool = False) -> str:
    """The text doozer wrote to `-o`, or the exception it raised."""
    runtime = Runtime(data_dir, group)
    runtime.assert_mutation_is_permitted()

    all_streams = not streams
    if not streams:
        streams = runtime.get_stream_names()

    rhel_7_base_repos = "rhel-7/base-repos"
    rhel_8_base_repos = "rhel-8/base-repos"
    rhel_7_golang = "rhel-7/golang"
    rhel_8_golang = "rhel-8/golang"
    transforms = {rhel_7_base_repos, rhel_8_base_repos, rhel_7_golang, rhel_8_golang,
                  "rhel-7/ci-build-root", "rhel-8/ci-build-root"}

    major = runtime.group_config.vars["MAJOR"]
    minor = runtime.group_config.vars["MINOR"]
    rpm_repos_conf = runtime.group_config.repos or {}

    group_label = runtime.group_config.name
    if live_test_mode:
        group_label += ".test"

    buildconfig_definitions: list[dict[str, Any]] = []
    ds_container_definitions: list[dict[str, Any]] = []
    streams_config = runtime.streams
    for stream in streams:
        if streams_config[stream] is Missing:
            raise OSError(f"Did not find stream {stream} in streams.yml for this group")

        config = streams_config[stream]
        transform = config.transform
        if transform is Missing:
            continue
        if transform not in transforms:
            raise OSError(f"Unable to render buildconfig for stream {stream} - transform "
                          f"{transform} not found within {transforms}")

        upstream_dest = config.upstream_image
        upstream_intermediate_image = config.upstream_image_base
        if upstream_dest is Missing or upstream_intermediate_image is Missing:
            raise OSError(f"Unable to render buildconfig for stream {stream} - you must define "
                          "upstream_image_base AND upstream_image")

        _, intermediate_ns, intermediate_istag = upstream_intermediate_image.rsplit(
            "/", maxsplit=2)
        if live_test_mode:
            intermediate_istag += ".test"
        _intermediate_imagestream, _intermediate_tag = intermediate_istag.split(":")

        _, dest_ns, dest_istag = upstream_dest.rsplit("/", maxsplit=2)
        if live_test_mode:
            dest_istag += ".test"
        dest_imagestream, dest_tag = dest_istag.split(":")

        transform_template_content = read_template(data_dir, transform)

        dfp = DockerfileParser(cache_content=True, fileobj=io.BytesIO())
        dfp.content = transform_template_content
        dfp.envs["OPENSHIFT_CI"] = "true"
        dfp.labels["io.k8s.display-name"] = f"{dest_imagestream}-{dest_tag}"
        dfp.labels["io.k8s.description"] = (f"ART equivalent image {group_label}-{stream} - "
                                            f"{transform}")

        def add_localdev_repo_profile(profile: str, dfp: Any = dfp) -> None:
            for repo_name in rpm_repos_conf.keys():  # noqa: SIM118 - Model semantics
                repo_desc = rpm_repos_conf[repo_name]
                localdev_repo_name = f"localdev-{repo_name}"
                repo_conf = repo_desc.conf
                ci_alignment = repo_conf.ci_alignment
                if ci_alignment.localdev.enabled and profile in ci_alignment.profiles:
                    if repo_conf.baseurl.unsigned:
                        x86_64_url = repo_conf.baseurl.unsigned.x86_64
                    else:
                        x86_64_url = repo_conf.baseurl.x86_64
                    if not x86_64_url:
                        raise OSError(f"Expected x86_64 baseurl for repo {repo_name}")
                    dfp.add_lines(
                        f"RUN echo -e '[{localdev_repo_name}]\\nname = {localdev_repo_name}"
                        f"\\nid = {localdev_repo_name}\\nbaseurl = {x86_64_url}\\nenabled = 1"
                        f"\\ngpgcheck = 0\\n' > /etc/yum.repos.d/{localdev_repo_name}.repo"
                    )

        if transform == rhel_8_base_repos or config.transform == rhel_8_golang:
            dfp.add_lines(f"RUN rm -rf /etc/yum.repos.d/*.repo && curl http://base-{major}-"
                          f"{minor}-rhel8.ocp.svc > /etc/yum.repos.d/ci-rpm-mirrors.repo")
            dfp.add_lines("RUN yum config-manager --setopt=skip_if_unavailable=True --save")
            add_localdev_repo_profile("el8")

        if transform == rhel_7_base_repos or config.transform == rhel_7_golang:
            dfp.add_lines(f"RUN rm -rf /etc/yum.repos.d/*.repo && curl http://base-{major}-"
                          f"{minor}.ocp.svc > /etc/yum.repos.d/ci-rpm-mirrors.repo")
            dfp.add_lines("RUN yum-config-manager --save '--setopt=*.skip_if_unavailable=True'")
            add_localdev_repo_profile("el7")

        dockerfile_content = dfp.content

        buildconfig_definitions.append({
            "apiVersion": "v1",
            "kind": "BuildConfig",
            "metadata": {
                "name": f"{dest_imagestream}-{dest_tag}--art-builder",
                "namespace": "ci",
                "labels": {
                    "art-builder-group": group_label,
                    "art-builder-stream": stream,
                },
                "annotations": {
                    "description": "Generated by the ART pipeline by doozer. Processes raw ART "
                                   "images into ART equivalent images for CI."
                },
            },
            "spec": {
                "failedBuildsHistoryLimit": 2,
                "output": {"to": {"kind": "ImageStreamTag", "namespace": dest_ns,
                                  "name": dest_istag}},
                "source": {"dockerfile": dockerfile_content, "type": "Dockerfile"},
                "strategy": {
                    "dockerStrategy": {
                        "from": {"kind": "ImageStreamTag", "name": intermediate_istag,
                                 "namespace": intermediate_ns},
                        "imageOptimizationPolicy": "SkipLayers",
                    },
                },
                "successfulBuildsHistoryLimit": 2,
                "triggers": [{"imageChange": {}, "type": "ImageChange"}],
            },
        })

        ds_container_definitions.append({
            "image": f"registry.svc.ci.openshift.org/{dest_ns}/{dest_istag}",
            "command": ["/bin/bash", "-c", KEEPALIVE],
            "name": f"{dest_ns}-{dest_imagestream}-{dest_tag}".replace(".", "-"),
            "resources": {"requests": {"cpu": "50m"}},
            "imagePullPolicy": "Always",
        })

    ds_name = "art-managed-" + group_label + "-dont-gc-me-bro"
    daemonset_definition = {
        "kind": "DaemonSet",
        "spec": {
            "revisionHistoryLimit": 1,
            "template": {
                "spec": {"containers": ds_container_definitions},
                "metadata": {"labels": {"app": ds_name}},
            },
            "selector": {"matchLabels": {"app": ds_name}},
            "templateGeneration": 1,
            "updateStrategy": {"rollingUpdate": {"maxUnavailable": "50%"},
                               "type": "RollingUpdate"},
        },
        "apiVersion": "extensions/v1beta1",
        "metadata": {
            "labels": {"app": ds_name, "art-builder-group": runtime.group_config.name},
            "namespace": "ci",
            "name": ds_name,
        },
    }

    objects: list[dict[str, Any]] = []
    objects.extend(buildconfig_definitions)
    if buildconfig_definitions and all_streams:
        objects.append(daemonset_definition)
    text: str = yaml.dump_all(objects, default_flow_style=False)
    return text
