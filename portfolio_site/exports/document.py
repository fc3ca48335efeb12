"""The portfolio as a PDF/A-3u document (WeasyPrint). Interface agreed between the job side
(services, task, views) and the document side: ``render_portfolio_pdf`` and
``should_attach_originals``.

A pure function of the data: read the portfolio (exports.selectors), check its files on disk,
render a template to HTML, lay it out with WeasyPrint through a fetcher that may read only the
project's static files and this portfolio's evidence (exports.fetcher), and write the PDF.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from criteria.models import Requirement
from evidence.models import (
    EvidenceFile,
    EvidenceItem,
    EvidenceStatus,
    Portfolio,
    Signature,
    SignOffKind,
)
from evidence.narrative import sanitise_narrative
from evidence.services import fixity
from portfolio_site.exports import selectors
from portfolio_site.exports.fetcher import (
    RASTER_CONTENT_TYPES,
    SVG_CONTENT_TYPE,
    PortfolioURLFetcher,
    static_roots,
)

logger = logging.getLogger(__name__)

# progress(percent: int, stage: str) -> None; called a handful of times per render.
ProgressCallback = Callable[[int, str], None]

PDF_VARIANT = "pdf/a-3u"
STYLESHEET = "css/print-portfolio.css"
# PDF/A-3 says how an embedded file relates to the document: these are its sources.
ATTACHMENT_RELATIONSHIP = "Source"


@dataclass(frozen=True)
class RenderResult:
    page_count: int
    attached_files: int  # original evidence files embedded in the PDF
    missing_files: list[str] = field(default_factory=list)  # names of files that could not be read


class FileState:
    PRESENT = "present"
    # The same values as evidence.models.FileDamage, which the fixity check records.
    MISSING = "missing"  # not in storage, or not readable
    CHANGED = "changed"  # in storage, but its bytes no longer hash to the recorded SHA-256


@dataclass
class FileEntry:
    """One evidence file as the document shows it."""

    file: EvidenceFile
    item_reference: str
    path: Path | None  # resolved path in storage; None when the file cannot be read
    state: str = FileState.PRESENT

    @property
    def url(self) -> str:
        return self.path.as_uri() if self.path else ""

    @property
    def is_current(self) -> bool:
        return self.file.removed_at is None

    @property
    def shows_as(self) -> str:
        """How the document shows it: "image" (raster, scaled), "svg" (vector) or ""."""
        if self.state != FileState.PRESENT or not self.is_current:
            return ""
        if self.file.content_type == SVG_CONTENT_TYPE:
            return "svg"
        return "image" if self.file.content_type in RASTER_CONTENT_TYPES else ""


@dataclass
class ItemEntry:
    reference: str  # "E1", "E2" ... in order of activity date: how criteria point at items
    item: EvidenceItem
    narrative: str
    files: list[FileEntry]

    @property
    def current_files(self) -> list[FileEntry]:
        return [entry for entry in self.files if entry.is_current]

    @property
    def removed_files(self) -> list[FileEntry]:
        return [entry for entry in self.files if not entry.is_current]

    @property
    def images(self) -> list[FileEntry]:
        return [entry for entry in self.files if entry.shows_as]


@dataclass(frozen=True)
class SignatureEntry:
    """A row of the signature manifest."""

    what: str
    signature: Signature
    note: str = ""


def should_attach_originals(portfolio: Portfolio) -> bool:
    """Attach the original files when their total size is within EXPORT_ATTACH_MAX_BYTES."""
    return selectors.current_file_bytes(portfolio.pk) <= settings.EXPORT_ATTACH_MAX_BYTES


def render_portfolio_pdf(
    portfolio: Portfolio,
    target: Path,
    *,
    export_reference: str,
    attach_originals: bool,
    progress: ProgressCallback | None = None,
    generated_at: datetime.datetime | None = None,
) -> RenderResult:
    """Write the portfolio's PDF to ``target`` (a path the caller later renames into place).

    A missing or unreadable evidence file does not stop the export: the document says where it
    should be and the result lists it.
    """
    import weasyprint

    report = progress or (lambda percent, stage: None)
    report(5, "Reading the portfolio")
    prepared = prepare_document(
        portfolio,
        export_reference=export_reference,
        attach_originals=attach_originals,
        generated_at=generated_at,
    )
    report(20, "Laying out the pages")
    document = weasyprint.HTML(
        string=prepared.html, base_url=prepared.base_url, url_fetcher=prepared.fetcher
    ).render()
    attachments = prepared.attachments()
    report(75, "Attaching the original files" if attachments else "Writing the PDF")
    document.write_pdf(target, pdf_variant=PDF_VARIANT, attachments=attachments)
    report(100, "Written")
    return RenderResult(
        page_count=len(document.pages),
        attached_files=len(attachments),
        missing_files=prepared.missing_files,
    )


@dataclass
class PreparedDocument:
    """The HTML of a portfolio and what WeasyPrint needs to lay it out: the inputs the
    benchmark also gives WeasyPrint directly."""

    html: str
    base_url: str
    fetcher: PortfolioURLFetcher
    files_to_attach: list[FileEntry]
    missing_files: list[str]

    def attachments(self) -> list:
        import weasyprint

        return [
            weasyprint.Attachment(
                # Opened only while the PDF is written, one at a time.
                filename=str(entry.path),
                name=name,
                description=(
                    f"{entry.item_reference}: {entry.file.original_name}, "
                    f"SHA-256 {entry.file.sha256}"
                ),
                created=_utc(entry.file.uploaded_at),
                modified=_utc(entry.file.uploaded_at),
                relationship=ATTACHMENT_RELATIONSHIP,
            )
            for entry, name in zip(
                self.files_to_attach, _unique_names(self.files_to_attach), strict=True
            )
        ]


def prepare_document(
    portfolio: Portfolio,
    *,
    export_reference: str,
    attach_originals: bool,
    generated_at: datetime.datetime | None = None,
) -> PreparedDocument:
    record = selectors.portfolio_record(portfolio.pk)
    portfolio = record.portfolio
    items = [
        ItemEntry(
            reference=f"E{number}",
            item=item,
            narrative=sanitise_narrative(item.narrative),
            files=[],
        )
        for number, item in enumerate(record.items, start=1)
    ]
    checks: list[fixity.FixityResult] = []
    for entry in items:
        entry.files = [
            _check_file(evidence_file, entry.reference, checks=checks)
            for evidence_file in entry.item.document_files
        ]
    # Every file read is hashed (fixity): a changed or missing one is marked damaged for the
    # whole application, not only in this document.
    fixity.fixity_record_many(checks, during="export")
    all_files = [file_entry for entry in items for file_entry in entry.files]
    references = {entry.item.pk: entry.reference for entry in items}
    _label_evidence(record, items, references)
    declarations = _declarations(items)

    stylesheet = _static_path(STYLESHEET)
    context = {
        "portfolio": portfolio,
        "summary": record.summary,
        "item_counts": _item_counts(record.summary),
        "progress_rows": _progress_rows(record),
        "units": record.units,
        "items": items,
        "testimonies": [entry for entry in items if entry.item.is_witness_testimony],
        "submissions": _submissions(items),
        "declarations": declarations,
        "witness_rows": [
            (entry, signature)
            for entry in items
            for signature in entry.item.witness_signatures.all()
        ],
        "iqa_samples": record.iqa_samples,
        "files": all_files,
        "signatures": _signatures(record, items),
        "export_reference": export_reference,
        "generated_at": generated_at or timezone.now(),
        "attach_originals": attach_originals,
        "stylesheet_url": stylesheet.as_uri(),
        "footer_left": css_string(f"{portfolio.learner} · {export_reference}"),
        "header_right": css_string(portfolio.qualification.title),
    }
    html = render_to_string("exports/document/portfolio.html", context)
    fetcher = PortfolioURLFetcher(
        static_folders=static_roots(),
        evidence_files={
            entry.path: entry.file.content_type for entry in all_files if entry.shows_as
        },
    )
    return PreparedDocument(
        html=html,
        base_url=stylesheet.parent.as_uri() + "/",
        fetcher=fetcher,
        files_to_attach=[
            entry
            for entry in all_files
            if attach_originals and entry.is_current and entry.state == FileState.PRESENT
        ],
        missing_files=[
            entry.file.original_name for entry in all_files if entry.state != FileState.PRESENT
        ],
    )


def _check_file(evidence_file: EvidenceFile, item_reference: str, *, checks: list):
    """Where the file is and whether it can be read and still has the bytes that were
    recorded. The hash check's outcome is appended to ``checks`` for recording."""
    entry = FileEntry(file=evidence_file, item_reference=item_reference, path=None)
    try:
        path = Path(evidence_file.file.path).resolve(strict=True)
        media_root = Path(settings.MEDIA_ROOT).resolve()
        if media_root not in path.parents:
            raise FileNotFoundError("outside MEDIA_ROOT")
    except (OSError, ValueError) as error:
        logger.warning(
            "Evidence file %s (%s) cannot be read: %s", evidence_file.pk, item_reference, error
        )
        checks.append(fixity.FixityResult(evidence_file=evidence_file, state=FileState.MISSING))
        entry.state = FileState.MISSING
        return entry
    result = fixity.file_hash_state(evidence_file)
    checks.append(result)
    if result.state != fixity.INTACT:
        entry.state = result.state
        return entry
    entry.path = path
    return entry


def _label_evidence(
    record: selectors.PortfolioRecord, items: list[ItemEntry], references: dict[int, str]
) -> None:
    """Cross-references the templates show: each criterion's mappings get their item's
    reference (E1, E2 ...), each item mapping the assessor's latest decision on it, each IQA
    sample the reference of the item it sampled."""
    for unit in record.units:
        for state in unit.criteria:
            for mapping in state.criterion.evidence:
                mapping.item_reference = references.get(mapping.item_id, "")
    for entry in items:
        latest: dict[int, object] = {}
        for submission in entry.item.submissions.all():
            review = getattr(submission, "review", None)
            if review is not None:
                latest = {decision.criterion_id: decision for decision in review.decisions.all()}
        for mapping in entry.item.mappings.all():
            mapping.decision = latest.get(mapping.criterion_id)
    for sample in record.iqa_samples:
        sample.item_reference = references.get(sample.review.item_id, "") if sample.review else ""


def _item_counts(summary) -> list[tuple[str, int]]:
    return [
        (status.label, summary.item_counts[status])
        for status in EvidenceStatus
        if summary.item_counts.get(status)
    ]


def _progress_rows(record: selectors.PortfolioRecord) -> list[dict]:
    unit_sign_offs = {state.unit.pk: state.sign_off for state in record.units}
    return [
        {
            "progress": progress,
            "requirement": Requirement(progress.requirement).label,
            "sign_off": unit_sign_offs.get(progress.unit.pk),
        }
        for progress in record.summary.units
    ]


def _submissions(items: list[ItemEntry]) -> list[tuple[ItemEntry, object]]:
    return [(entry, submission) for entry in items for submission in entry.item.submissions.all()]


def _declarations(items: list[ItemEntry]) -> list[str]:
    """The distinct declaration texts, in the order first seen (most submissions share one);
    each submission is labelled with its text's number (D1, D2 ...)."""
    seen: dict[str, str] = {}
    for entry in items:
        for submission in entry.item.submissions.all():
            label = seen.setdefault(submission.declaration, f"D{len(seen) + 1}")
            submission.declaration_label = label
    return list(seen)


def _signatures(record: selectors.PortfolioRecord, items: list[ItemEntry]) -> list[SignatureEntry]:
    rows: list[SignatureEntry] = []
    seen: set[int] = set()

    def add(what: str, signature: Signature | None, note: str = "") -> None:
        if signature is not None and signature.pk not in seen:
            seen.add(signature.pk)
            rows.append(SignatureEntry(what=what, signature=signature, note=note))

    for unit in record.units:
        unit_name = unit.unit.reference or unit.unit.title
        sign_offs = [state.sign_off for state in unit.criteria if state.sign_off]
        sign_offs += [unit.sign_off] if unit.sign_off else []
        for sign_off in sign_offs + unit.withdrawn:
            if sign_off.kind == SignOffKind.UNIT:
                what = f"Unit {unit_name} sign-off"
            else:
                what = f"Criterion {sign_off.criterion.number} ({unit_name}) sign-off"
            note = (
                f"withdrawn {timezone.localtime(sign_off.withdrawn_at):%d %b %Y}"
                if sign_off.withdrawn_at
                else ""
            )
            add(what, sign_off.assessor_signature, note)
            add(f"{what}: learner countersignature", sign_off.learner_signature, note)
            add(f"{what}: IQA countersignature", sign_off.iqa_signature, note)
    for entry in items:
        for submission in entry.item.submissions.all():
            add(
                f"{entry.reference} record confirmed by the learner",
                submission.learner_confirmation,
            )
    for sample in record.iqa_samples:
        add(
            f"IQA countersignature ({sample.unit.reference or sample.unit.title})",
            sample.countersignature,
        )
    rows.sort(key=lambda row: (row.signature.signed_at, row.signature.pk))
    return rows


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string, safe inside a <style> element."""
    escaped = "".join(
        f"\\{ord(char):x} " if char in '"\\<>&' or ord(char) < 32 else char for char in text
    )
    return f'"{escaped}"'


def _static_path(relative: str) -> Path:
    from django.contrib.staticfiles import finders

    found = finders.find(relative)
    if not found:
        raise FileNotFoundError(f"static file {relative} is missing")
    return Path(found).resolve()


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC)


def _unique_names(entries: list[FileEntry]) -> list[str]:
    """The original names, with the item reference added where two files share one (an
    embedded file's name is how a reader finds it)."""
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.file.original_name] = counts.get(entry.file.original_name, 0) + 1
    return [
        entry.file.original_name
        if counts[entry.file.original_name] == 1
        else f"{entry.item_reference}-{entry.file.pk}-{entry.file.original_name}"
        for entry in entries
    ]
