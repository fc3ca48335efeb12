"""Stand-in renderers for the job tests, with the interface of
portfolio_site.exports.document.render_portfolio_pdf (chosen through settings.EXPORT_RENDERER).

They make real PDFs with WeasyPrint, a few pages each, so that the job machinery (claiming,
temporary files, hashing, renaming, failure, redelivery) is tested apart from the document, and
so that the worker-kill test can render slowly enough to be killed half-way.
"""

import os
import time
from pathlib import Path

from weasyprint import HTML

from portfolio_site.exports.document import RenderResult

STAGES = ("Reading the portfolio", "Laying out the pages", "Writing the PDF")
PAGES = 3


def quick_render(portfolio, target: Path, *, export_reference, attach_originals, progress=None):
    return _render(portfolio, target, export_reference, progress, pause=0)


def slow_render(portfolio, target: Path, *, export_reference, attach_originals, progress=None):
    """Pauses EXPORT_TEST_STAGE_SECONDS (default 1) before each stage, and writes the PDF in two
    halves with EXPORT_TEST_HALF_WRITTEN_SECONDS (default: the same) between them, so that a
    test has time to look at, and kill, a render whose temporary file is half-written."""
    pause = float(os.environ.get("EXPORT_TEST_STAGE_SECONDS", "1"))
    half_written = float(os.environ.get("EXPORT_TEST_HALF_WRITTEN_SECONDS", pause))
    return _render(
        portfolio, target, export_reference, progress, pause=pause, half_written=half_written
    )


def failing_render(portfolio, target: Path, *, export_reference, attach_originals, progress=None):
    target.write_bytes(b"%PDF-1.7\n% half a document")
    raise ValueError("the template broke")


def _render(
    portfolio, target: Path, reference: str, progress, *, pause: float, half_written: float = 0
) -> RenderResult:
    report = progress or (lambda percent, stage: None)
    pages = "".join(
        f'<section style="break-after: page"><h1>{portfolio.learner}</h1>'
        f"<p>Export {reference}, page {number} of {PAGES}.</p></section>"
        for number in range(1, PAGES + 1)
    )
    time.sleep(pause)
    report(10, STAGES[0])
    document = HTML(string=f"<html><body>{pages}</body></html>").render()
    time.sleep(pause)
    report(50, STAGES[1])
    data = document.write_pdf()
    time.sleep(pause)
    report(80, STAGES[2])
    with target.open("wb") as stream:
        stream.write(data[: len(data) // 2])
        stream.flush()
        time.sleep(half_written)
        stream.write(data[len(data) // 2 :])
    return RenderResult(page_count=len(document.pages), attached_files=0, missing_files=[])
