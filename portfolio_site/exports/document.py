"""The portfolio as a PDF/A-3u document (WeasyPrint). Interface agreed between the job side
(services, task, views) and the document side; the document side fills in the body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# progress(percent: int, stage: str) -> None; called a handful of times per render.
ProgressCallback = Callable[[int, str], None]


@dataclass(frozen=True)
class RenderResult:
    page_count: int
    attached_files: int  # original evidence files embedded in the PDF
    missing_files: list[str] = field(default_factory=list)  # names of files that could not be read


def render_portfolio_pdf(
    portfolio,
    target: Path,
    *,
    export_reference: str,
    attach_originals: bool,
    progress: ProgressCallback | None = None,
) -> RenderResult:
    """Write the portfolio's PDF to ``target`` (a path the caller later renames into place)."""
    raise NotImplementedError("filled in by the document side of the export issue")
