"""Which BuildConfigs and entries a run is about, from the build data.

The group's BuildConfigs are those its build data renders now (every stream and image entry
with a transform and both images, as gen-buildconfigs writes them); a listed BuildConfig
that is not among them is outdated. With --stream/--image only the named entries are
selected; the others are not selected, which is not the same as outdated (doozer said
"outdated" for both). Mistakes in the build data stop the run as everywhere: one line each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cistreams import options, render
from cistreams.builddata.model import Entry
from cistreams.errors import Problems

LIVE_TEST_SUFFIX = ".test"
OUTDATED, NOT_SELECTED, SELECTED = "outdated", "not selected", "selected"


@dataclass(frozen=True)
class Selection:
    """The group's names and the run's choice among them."""

    group: str
    label: str  # the art-builder-group label (`.test` appended in live-test mode)
    major: str
    minor: str
    rendered: frozenset[str]  # every BuildConfig the build data renders
    selected: tuple[str, ...]  # those the run is about, in build-data order
    entries: tuple[Entry, ...]  # the selected entries (all of them without --stream/--image)
    live_test: bool = False

    def status(self, buildconfig: str) -> str:
        """OUTDATED, NOT_SELECTED or SELECTED for a BuildConfig listed on the cluster."""
        if buildconfig not in self.rendered:
            return OUTDATED
        return SELECTED if buildconfig in self.selected else NOT_SELECTED


def load(source: options.Source, streams: Sequence[str], images: Sequence[str],
         live_test: bool, problems: Problems) -> Selection:
    """Load and render the group (nothing is written); raises CistreamsError with every
    mistake of the build data."""
    from cistreams import app  # the loading stages: imported when a run needs them

    data, registry = app.load_build_data(source, False, problems)
    named = bool(streams or images)
    if named:
        problems.check()  # an entry dropped for its own errors must not read as "no such stream"
    chosen = app.select(data, streams, images, False, problems)
    everything = app.select(data, (), (), False, problems) if named else chosen
    settings = render.RenderOptions(live_test=live_test, all_entries=False, daemonset=False)
    rendered = render.render(data.group, everything, registry, settings, problems)
    selected = render.render(data.group, chosen, registry, settings, problems) \
        if named else rendered
    label = data.group.name + (LIVE_TEST_SUFFIX if live_test else "")
    return Selection(data.group.name, label, data.group.major, data.group.minor,
                     frozenset(rendered.buildconfig_names), tuple(selected.buildconfig_names),
                     tuple(chosen), live_test)
