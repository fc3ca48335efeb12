"""Server-side drawing of process maps: layout, then plain SVG that WeasyPrint can print."""

from processes.render.svg import (
    fishbone_svg,
    sipoc_svg,
    swimlane_svg,
    technique_svg,
    value_stream_svg,
)

__all__ = ["fishbone_svg", "sipoc_svg", "swimlane_svg", "technique_svg", "value_stream_svg"]
