"""The PDF of a portfolio, rendered by the real WeasyPrint from a portfolio built through the
real services, and read back with pypdf."""

import datetime
import hashlib
import io
import re

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from pypdf import PdfReader

from criteria.models import AssessmentCriterion, Unit
from evidence import services
from evidence.models import EvidenceKind, SignOff, SignOffKind
from portfolio_site.accounts.models import Role
from portfolio_site.exports.document import (
    render_portfolio_pdf,
    should_attach_originals,
)
from tests.factories import EvidenceFileFactory, EvidenceItemFactory

pytestmark = pytest.mark.django_db

ICQ_CUSTOMER_SERVICE = "icq-l4-nvq-diploma-customer-service-rqf"
DESIGN = "design-business-processes"
QUALITY = "review-the-quality-of-customer-service"
EXPORT_REFERENCE = "EXP-2026-0042"

PROCESS_MAP_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="120" viewBox="0 0 400 120">'
    b'<rect x="10" y="30" width="110" height="60" fill="#e6eef0" stroke="#0b5563"/>'
    b'<text x="20" y="65" font-size="12">Log complaint</text>'
    b'<path d="M120 60 H270" stroke="#0b5563"/>'
    b'<rect x="270" y="30" width="110" height="60" fill="#e6eef0" stroke="#0b5563"/>'
    b'<text x="280" y="65" font-size="12">Resolve</text></svg>'
)


def criterion(unit_code: str, number: str) -> AssessmentCriterion:
    return AssessmentCriterion.objects.get_by_natural_key(unit_code, number)


def photo_bytes(width=2400, height=1600) -> bytes:
    """A large photo-like JPEG (noise does not compress, like a real photo)."""
    image = Image.effect_noise((width, height), 60).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def add_file(item, content: bytes, name: str, content_type: str):
    extension = name.rsplit(".", 1)[-1]
    return EvidenceFileFactory(
        item=item,
        content=content,
        file=ContentFile(content, name=f"upload.{extension}"),
        original_name=name,
        content_type=content_type,
    )


def submit_and_review(item, people, references, *, outcome="accepted", feedback="", not_met=()):
    learner, assessor = people[Role.LEARNER], people[Role.ASSESSOR]
    services.evidence_mappings_set(
        item=item, user=learner, references=references, expected_version=item.version
    )
    services.evidence_item_submit(item=item, learner=learner, declared=True)
    review = services.review_record(
        item=item,
        assessor=assessor,
        outcome=outcome,
        feedback=feedback,
        decisions={
            pk: (False, "Say how you measured it.") if pk in not_met else (True, "")
            for pk in references
        },
    )
    item.refresh_from_db()
    return review


@pytest.fixture
def full_portfolio(portfolio, people):
    """Evidence in both units: a process redesign with a photo, an SVG process map and a PDF
    (accepted, sampled by the IQA); the quality review pack (accepted, every Quality criterion
    signed off, the unit signed off and countersigned by learner and IQA); a witness testimony
    signed by the witness; and an item referred back."""
    redesign = EvidenceItemFactory(
        portfolio=portfolio,
        title="Complaints process redesign",
        activity_date=datetime.date(2026, 10, 1),
        narrative="<p>I mapped the <strong>complaints process</strong> and cut two hand-offs.</p>",
    )
    photo = add_file(redesign, photo_bytes(), "whiteboard-photo.jpg", "image/jpeg")
    process_map = add_file(redesign, PROCESS_MAP_SVG, "complaints-process.svg", "image/svg+xml")
    add_file(redesign, b"%PDF-1.4\n% a report\n", "redesign-report.pdf", "application/pdf")
    redesign_review = submit_and_review(
        redesign,
        people,
        {
            criterion(DESIGN, "1.1").pk: "Page 2, the current-state swimlane",
            criterion(DESIGN, "2.1").pk: "The future-state map, second diagram",
            criterion(QUALITY, "2.1").pk: "Section 3, complaint volumes before and after",
        },
        feedback="A clear map; the hand-off analysis is convincing.",
    )

    pack = EvidenceItemFactory(
        portfolio=portfolio, title="Quality review pack", activity_date=datetime.date(2026, 10, 8)
    )
    add_file(pack, b"Survey results, October\n", "survey-results.txt", "text/plain")
    submit_and_review(
        pack,
        people,
        {criterion(QUALITY, number).pk: f"Slide {number}" for number in ("2.1", "3.1", "3.2")},
    )
    services.criteria_sign_off(
        portfolio=portfolio,
        assessor=people[Role.ASSESSOR],
        criterion_ids=[criterion(QUALITY, n).pk for n in ("2.1", "3.1", "3.2")],
        declared=True,
    )
    quality_unit = Unit.objects.get(code=QUALITY)
    unit_sign_off = services.unit_sign_off(
        portfolio=portfolio, unit=quality_unit, assessor=people[Role.ASSESSOR], declared=True
    )
    services.unit_countersign(sign_off=unit_sign_off, learner=people[Role.LEARNER], declared=True)
    services.iqa_sample_record(
        iqa=people[Role.IQA],
        sign_off=unit_sign_off,
        unit=quality_unit,
        method="summative",
        decision="agree",
        comments="Sampled the unit sign-off: evidence valid and sufficient.",
        countersign=True,
    )
    services.iqa_sample_record(
        iqa=people[Role.IQA],
        review=redesign_review,
        unit=Unit.objects.get(code=DESIGN),
        method="interim",
        decision="disagree",
        comments="2.1 needs the learner's own analysis, not the team's.",
        actions="Ask for a reflective account on 2.1.",
    )

    testimony = EvidenceItemFactory(
        portfolio=portfolio,
        title="Complaints huddle, witnessed",
        kind=EvidenceKind.WITNESS_TESTIMONY,
        activity_date=datetime.date(2026, 10, 12),
        narrative="<p>Sam ran the Monday complaints huddle and closed every open case.</p>",
        witness_name="Jo Brown",
        witness_job_title="Customer Service Manager",
        witness_relationship="Line manager",
        witness_email="jo.brown@example.org",
    )
    request, _ = services.witness_request_send(item=testimony, sender=people[Role.LEARNER])
    services.witness_sign(
        request=request,
        typed_name="Jo Brown",
        comments="I was there for all of it.",
        confirmed=True,
        shown_statement_sha256=request.statement_sha256,
        ip_address="203.0.113.9",
        user_agent="pytest",
    )
    submit_and_review(testimony, people, {criterion(DESIGN, "3.1").pk: "The whole testimony"})

    referred = EvidenceItemFactory(
        portfolio=portfolio, title="KPI baseline", activity_date=datetime.date(2026, 10, 20)
    )
    add_file(referred, b"FCR 61%, CSAT 72%\n", "kpi-baseline.txt", "text/plain")
    submit_and_review(
        referred,
        people,
        {criterion(DESIGN, "3.2").pk: "The baseline table"},
        outcome="referred",
        feedback="Add where the figures come from.",
        not_met={criterion(DESIGN, "3.2").pk},
    )
    portfolio.refresh_from_db()
    return {"portfolio": portfolio, "photo": photo, "process_map": process_map}


def render(portfolio, tmp_path, *, attach_originals=True, name="portfolio.pdf"):
    target = tmp_path / name
    stages = []
    result = render_portfolio_pdf(
        portfolio,
        target,
        export_reference=EXPORT_REFERENCE,
        attach_originals=attach_originals,
        progress=lambda percent, stage: stages.append((percent, stage)),
    )
    return result, PdfReader(target), stages


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Text with line breaks and runs of spaces made single spaces (table cells wrap)."""
    return re.sub(r"\s+", " ", text)


def test_document_holds_the_portfolio(full_portfolio, people, tmp_path):
    portfolio = full_portfolio["portfolio"]

    result, reader, stages = render(portfolio, tmp_path)

    text = text_of(reader)
    flat_text = flat(text)
    learner = str(people[Role.LEARNER])
    assert learner in text
    assert str(people[Role.ASSESSOR]) in text and str(people[Role.IQA]) in text
    assert portfolio.centre.name in text and portfolio.qualification.title in flat_text
    # Every criterion of both enrolled units, with its text, in the unit tables.
    for unit_code in (DESIGN, QUALITY):
        for each in AssessmentCriterion.objects.filter(outcome__unit__code=unit_code):
            opening = " ".join(each.text.split()[:3])
            assert re.search(rf"{re.escape(each.number)} {re.escape(opening)}", flat_text), (
                unit_code,
                each.number,
            )
    # Sign-off names, the learner's references, the assessor's feedback, IQA and witness.
    assert "Unit signed off by " + str(people[Role.ASSESSOR]) in flat_text
    assert f"Countersigned by {learner} (learner)" in flat_text
    assert f"Countersigned by {people[Role.IQA]} (internal quality assurer)" in flat_text
    assert "Page 2, the current-state swimlane" in flat_text
    assert "the hand-off analysis is convincing" in flat_text
    assert "Say how you measured it." in flat_text
    assert "Ask for a reflective account on 2.1." in flat_text
    assert "Jo Brown" in text and "203.0.113.9" in text
    assert "I confirm that this evidence is my own work" in flat_text
    # The manifest: every file's SHA-256 and every signature's payload hash.
    for evidence_file in portfolio_files(portfolio):
        assert evidence_file.sha256 in text, evidence_file.original_name
    for sign_off in SignOff.objects.filter(portfolio=portfolio):
        assert sign_off.assessor_signature.payload_sha256 in text
    unit_sign_off = SignOff.objects.get(portfolio=portfolio, kind=SignOffKind.UNIT)
    assert unit_sign_off.learner_signature.payload_sha256 in text
    assert unit_sign_off.iqa_signature.payload_sha256 in text
    # Footer on every page, and the page count as the PDF has it.
    assert result.page_count == len(reader.pages) > 10
    first_page = reader.pages[0].extract_text()
    assert f"Page 1 of {len(reader.pages)}" in first_page
    assert f"{learner} · {EXPORT_REFERENCE}" in first_page
    last_page = reader.pages[-1].extract_text()
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in last_page
    # Contents with page numbers taken from the layout.
    contents = flat(reader.pages[1].extract_text())
    assert re.search(r"E1 Complaints process redesign \.*\s*\d+", contents)
    assert [percent for percent, _ in stages] == sorted(percent for percent, _ in stages)
    assert stages[-1][0] == 100 and result.missing_files == []


def portfolio_files(portfolio):
    from evidence.models import EvidenceFile

    return list(EvidenceFile.objects.filter(item__portfolio=portfolio))


def test_pdf_is_pdf_a_3u_with_metadata_and_bookmarks(full_portfolio, tmp_path):
    portfolio = full_portfolio["portfolio"]

    _, reader, _ = render(portfolio, tmp_path)

    xmp = reader.xmp_metadata
    assert xmp is not None
    raw = xmp.stream.get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", raw), raw
    assert re.search(r"pdfaid:conformance(>|=\")U", raw), raw
    assert reader.metadata.title.startswith(f"Portfolio of {portfolio.learner}")
    assert reader.metadata.author == portfolio.centre.name
    assert EXPORT_REFERENCE in reader.metadata.subject
    titles = outline_titles(reader.outline)
    assert (
        "Contents" in titles
        and "Evidence" in titles
        and "Manifest of files and signatures" in titles
    )
    assert any("Complaints process redesign" in title for title in titles)
    assert any("Review the quality of customer service" in title for title in titles)


def outline_titles(outline) -> list[str]:
    titles = []
    for entry in outline:
        if isinstance(entry, list):
            titles += outline_titles(entry)
        else:
            titles.append(entry.title)
    return titles


def test_original_files_are_attached_with_their_names_and_bytes(full_portfolio, tmp_path):
    portfolio = full_portfolio["portfolio"]
    files = portfolio_files(portfolio)

    result, reader, _ = render(portfolio, tmp_path)

    attachments = reader.attachments
    assert result.attached_files == len(files) == len(attachments)
    for evidence_file in files:
        (content,) = attachments[evidence_file.original_name]
        assert hashlib.sha256(content).hexdigest() == evidence_file.sha256
    # PDF/A-3 associated files (WeasyPrint lists each one twice; once is what counts).
    associated = {reference.idnum for reference in reader.trailer["/Root"]["/AF"]}
    assert len(associated) == len(files)


def test_without_attaching_originals_there_are_no_attachments(full_portfolio, tmp_path):
    result, reader, _ = render(full_portfolio["portfolio"], tmp_path, attach_originals=False)

    assert reader.attachments == {} and result.attached_files == 0
    assert "were too large to attach" in flat(reader.pages[0].extract_text())


def test_images_are_scaled_down_and_the_process_map_stays_vector(full_portfolio, tmp_path):
    portfolio = full_portfolio["portfolio"]
    photo = full_portfolio["photo"]

    _, reader, _ = render(portfolio, tmp_path, attach_originals=False)

    # Pages share one resource dictionary, so every page lists the document's images.
    images = {image.name: image for image in reader.pages[-1].images}
    assert len(images) == 1  # the photo; the SVG map is drawn as vectors, not as an image
    (image,) = images.values()
    assert max(image.image.size) == 1600 < 2400
    assert len(image.data) < photo.size / 2
    # The SVG's labels are drawn as text (in the project's font), on the page of its caption.
    map_page = next(
        page for page in reader.pages if "E1 · complaints-process.svg" in page.extract_text()
    )
    assert "Log complaint" in map_page.extract_text()
    fonts = {
        font["/BaseFont"].split("+", 1)[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts == {"Portfolio-Sans", "Portfolio-Sans-Bold", "Portfolio-Mono"}, fonts


def test_a_missing_file_is_noted_and_listed_but_does_not_stop_the_export(full_portfolio, tmp_path):
    portfolio = full_portfolio["portfolio"]
    photo = full_portfolio["photo"]
    photo.file.storage.delete(photo.file.name)

    result, reader, _ = render(portfolio, tmp_path)

    text = flat(text_of(reader))
    assert (
        f"File missing from storage: whiteboard-photo.jpg, expected SHA-256 {photo.sha256}" in text
    )
    assert result.missing_files == ["whiteboard-photo.jpg"]
    assert "whiteboard-photo.jpg" not in reader.attachments
    assert result.attached_files == len(reader.attachments) == len(portfolio_files(portfolio)) - 1


def test_a_file_whose_bytes_changed_is_not_attached(full_portfolio, tmp_path):
    portfolio = full_portfolio["portfolio"]
    process_map = full_portfolio["process_map"]
    with open(process_map.file.path, "wb") as stored:
        stored.write(PROCESS_MAP_SVG.replace(b"Resolve", b"Ignore!"))

    result, reader, _ = render(portfolio, tmp_path)

    assert "does not match its recorded hash: complaints-process.svg" in flat(text_of(reader))
    assert "complaints-process.svg" not in reader.attachments
    assert result.missing_files == ["complaints-process.svg"]


def test_queries_do_not_grow_with_the_number_of_items(
    full_portfolio, people, tmp_path, django_assert_max_num_queries
):
    portfolio = full_portfolio["portfolio"]
    for number in range(8):
        item = EvidenceItemFactory(portfolio=portfolio, title=f"Extra evidence {number}")
        add_file(item, f"Notes {number}\n".encode(), f"notes-{number}.txt", "text/plain")
        submit_and_review(item, people, {criterion(DESIGN, "1.2").pk: f"Paragraph {number}"})

    with django_assert_max_num_queries(30):
        result = render_portfolio_pdf(
            portfolio, tmp_path / "big.pdf", export_reference="EXP-1", attach_originals=True
        )
    assert result.page_count > 18


def test_attach_originals_follows_the_size_setting(full_portfolio, settings):
    portfolio = full_portfolio["portfolio"]
    total = sum(evidence_file.size for evidence_file in portfolio_files(portfolio))

    settings.EXPORT_ATTACH_MAX_BYTES = total
    assert should_attach_originals(portfolio)
    settings.EXPORT_ATTACH_MAX_BYTES = total - 1
    assert not should_attach_originals(portfolio)
