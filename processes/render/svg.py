"""The public face of the renderers: one SVG string per technique.

Each function is a pure function of a MapData: the same data gives the same bytes. The
page preview, the PDF and the evidence file all call these.
"""

from __future__ import annotations

from collections.abc import Callable

from processes.diagram import MapData
from processes.render.fishbone import fishbone_svg
from processes.render.sipoc import sipoc_svg
from processes.render.swimlane import swimlane_svg
from processes.render.value_stream import value_stream_svg

# Keys are processes.models.Technique values (a str enum, so its members work as keys too).
RENDERERS: dict[str, Callable[[MapData], str]] = {
    "swimlane": swimlane_svg,
    "sipoc": sipoc_svg,
    "value_stream": value_stream_svg,
    "fishbone": fishbone_svg,
}


def technique_svg(data: MapData, technique: str) -> str:
    """The SVG for one technique; ValueError for a technique we do not draw."""
    try:
        renderer = RENDERERS[str(technique)]
    except KeyError:
        raise ValueError(f"No renderer for technique {technique!r}.") from None
    return renderer(data)


__all__ = [
    "RENDERERS",
    "fishbone_svg",
    "sipoc_svg",
    "swimlane_svg",
    "technique_svg",
    "value_stream_svg",
]
