"""Signing criteria and units off: what may be signed, what a signature holds, countersigning,
withdrawal, and what a sign-off locks."""

import html

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from evidence import services
from evidence.models import ImmutableRow, Signature, SignOff, SignOffKind, sha256_of
from evidence.selectors import GRID_CLAIMS_SHOWN
from portfolio_site.accounts.models import Role
from tests.evidence.helpers import QUALITY, criterion
from tests.factories import EvidenceFileFactory, EvidenceItemFactory

pytestmark = pytest.mark.django_db

QUALITY_CRITERIA = ("2.1", "3.1", "3.2")


def accepted_item(portfolio, people, numbers, *, title="Quality review pack"):
    """An item meeting ``numbers`` of the Quality unit, submitted and accepted."""
    item = EvidenceItemFactory(portfolio=portfolio, title=title)
    EvidenceFileFactory(item=item)
    references = {criterion(QUALITY, number).pk: f"Section {number}" for number in numbers}
    services.evidence_mappings_set(
        item=item, user=people[Role.LEARNER], references=references, expected_version=item.version
    )
    services.evidence_item_submit(item=item, learner=people[Role.LEARNER], declared=True)
    services.review_record(
        item=item,
        assessor=people[Role.ASSESSOR],
        outcome="accepted",
        feedback="",
        decisions={pk: (True, "") for pk in references},
    )
    item.refresh_from_db()
    return item


def sign(client, portfolio, numbers, declared=True):
    data = {"criteria": [criterion(QUALITY, n).pk for n in numbers]}
    if declared:
        data["declared"] = "on"
    return client.post(
        reverse("evidence:criteria-sign-off", args=[portfolio.pk]), data, follow=True
    )


@pytest.fixture
def assessor_client(client_for, people):
    return client_for(people[Role.ASSESSOR])


def test_sign_off_page_shows_what_is_ready(assessor_client, portfolio, people):
    accepted_item(portfolio, people, ["2.1"])
    response = assessor_client.get(reverse("evidence:sign-offs", args=[portfolio.pk]))
    states = {
        state.criterion.number: state
        for unit in response.context["units"]
        if unit.unit.code == QUALITY
        for state in unit.criteria
    }
    assert states["2.1"].ready and not states["3.1"].ready
    assert "1 ready to sign off" in response.content.decode()


def test_a_criterion_met_by_many_items_shows_the_latest_and_links_to_the_rest(
    assessor_client, portfolio, people
):
    for number in range(1, GRID_CLAIMS_SHOWN + 3):
        accepted_item(portfolio, people, ["2.1"], title=f"Survey week {number:02d}")

    page = assessor_client.get(reverse("evidence:sign-offs", args=[portfolio.pk]))
    row = page.content.decode().split('id="sign-' + str(criterion(QUALITY, "2.1").pk))[1]
    row = row.split("</tr>")[0]

    shown = [f"Survey week {number:02d}" for number in range(3, GRID_CLAIMS_SHOWN + 3)]
    assert [title for title in shown if title in row] == shown
    assert "Survey week 01" not in row and "Survey week 02" not in row
    list_url = reverse("evidence:evidence-list", args=[portfolio.pk])
    assert f'and 2 more (<a href="{list_url}?criterion={criterion(QUALITY, "2.1").pk}' in row


def test_criterion_sign_off_signs_the_decisions_and_file_hashes(assessor_client, portfolio, people):
    item = accepted_item(portfolio, people, ["2.1"])
    evidence_file = item.files.get()

    response = sign(assessor_client, portfolio, ["2.1"])

    assert "Signed off: 2.1." in response.content.decode()
    sign_off = SignOff.objects.get()
    signature = sign_off.assessor_signature
    assert signature.signer == people[Role.ASSESSOR] and signature.role == "assessor"
    assert signature.is_intact and signature.payload_sha256 == sha256_of(signature.payload)
    evidence = signature.payload["evidence"][0]
    assert evidence["item"] == item.pk and evidence["met"] is True
    assert evidence["files"] == [
        {"name": evidence_file.original_name, "sha256": evidence_file.sha256}
    ]
    assert signature.payload["criterion"] == {
        "unit": QUALITY,
        "number": "2.1",
        "text": criterion(QUALITY, "2.1").text,
    }
    assert list(sign_off.decisions.all()) == list(
        item.reviews.get().decisions.filter(criterion__number="2.1")
    )


def test_only_criteria_met_by_accepted_evidence_can_be_signed(assessor_client, portfolio, people):
    accepted_item(portfolio, people, ["2.1"])

    response = sign(assessor_client, portfolio, ["2.1", "3.1"])

    assert "Not signed off: 3.1" in response.content.decode()
    assert not SignOff.objects.exists()  # all or nothing


def test_sign_off_needs_the_declaration(assessor_client, portfolio, people):
    accepted_item(portfolio, people, ["2.1"])
    response = sign(assessor_client, portfolio, ["2.1"], declared=False)
    assert "Tick the declaration" in response.content.decode()
    assert not SignOff.objects.exists()


def test_learner_and_others_cannot_sign(client_for, people, portfolio, other_centre_people):
    accepted_item(portfolio, people, ["2.1"])
    assert sign(client_for(people[Role.LEARNER]), portfolio, ["2.1"]).status_code == 403
    assert sign(client_for(people[Role.IQA]), portfolio, ["2.1"]).status_code == 403
    assert (
        sign(client_for(other_centre_people[Role.ASSESSOR]), portfolio, ["2.1"]).status_code == 404
    )
    assert not SignOff.objects.exists()


def test_unit_sign_off_needs_every_criterion_then_the_learners_countersignature(
    assessor_client, client_for, people, portfolio
):
    unit = criterion(QUALITY, "2.1").outcome.unit
    accepted_item(portfolio, people, QUALITY_CRITERIA)
    url = reverse("evidence:unit-sign-off", args=[portfolio.pk, unit.pk])
    sign(assessor_client, portfolio, ["2.1", "3.1"])

    response = assessor_client.post(url, {"declared": "on"}, follow=True)
    assert "still open: 3.2" in response.content.decode()

    sign(assessor_client, portfolio, ["3.2"])
    response = assessor_client.post(url, {"declared": "on"}, follow=True)
    assert "is asked to countersign" in response.content.decode()
    unit_sign_off = SignOff.objects.get(kind=SignOffKind.UNIT)
    assert [c["number"] for c in unit_sign_off.assessor_signature.payload["criteria"]] == list(
        QUALITY_CRITERIA
    )

    learner = client_for(people[Role.LEARNER])
    page = learner.get(reverse("evidence:sign-offs", args=[portfolio.pk])).content.decode()
    assert "Your countersignature is needed." in page
    learner.post(reverse("evidence:unit-countersign", args=[unit_sign_off.pk]), {"declared": "on"})
    unit_sign_off.refresh_from_db()
    countersignature = unit_sign_off.learner_signature
    assert countersignature.signer == people[Role.LEARNER] and countersignature.is_intact
    assert (
        countersignature.payload["assessor_signature_sha256"]
        == unit_sign_off.assessor_signature.payload_sha256
    )
    # The dashboard shows the signed-off progress.
    summary = learner.get(reverse("evidence:learner-dashboard")).context["summaries"][0]
    quality = next(unit for unit in summary.units if unit.unit.code == QUALITY)
    assert (quality.signed_off, quality.accepted, quality.criteria) == (3, 3, 3)


def test_only_the_learner_countersigns(client_for, people, portfolio, assessor_client):
    unit = criterion(QUALITY, "2.1").outcome.unit
    accepted_item(portfolio, people, QUALITY_CRITERIA)
    sign(assessor_client, portfolio, QUALITY_CRITERIA)
    assessor_client.post(
        reverse("evidence:unit-sign-off", args=[portfolio.pk, unit.pk]), {"declared": "on"}
    )
    unit_sign_off = SignOff.objects.get(kind=SignOffKind.UNIT)
    url = reverse("evidence:unit-countersign", args=[unit_sign_off.pk])
    assert assessor_client.post(url, {"declared": "on"}).status_code == 403
    unit_sign_off.refresh_from_db()
    assert unit_sign_off.learner_signature is None


def test_withdrawal_needs_a_reason_and_signing_again_keeps_the_old_signature(
    assessor_client, portfolio, people
):
    accepted_item(portfolio, people, ["2.1"])
    sign(assessor_client, portfolio, ["2.1"])
    first = SignOff.objects.get()
    url = reverse("evidence:sign-off-withdraw", args=[first.pk])

    assessor_client.post(url, {"reason": "   "})
    first.refresh_from_db()
    assert first.is_active

    assessor_client.post(url, {"reason": "Signed the wrong learner's criterion."})
    first.refresh_from_db()
    assert not first.is_active and first.withdrawal_reason.startswith("Signed the wrong")

    sign(assessor_client, portfolio, ["2.1"])
    second = SignOff.objects.active().get()
    assert second.pk != first.pk
    assert Signature.objects.count() == 2 and first.assessor_signature.is_intact
    page = assessor_client.get(reverse("evidence:sign-offs", args=[portfolio.pk])).content.decode()
    assert "Withdrawn sign-offs (1)" in page and "Signed the wrong" in page


def test_a_criterion_inside_a_signed_off_unit_needs_the_unit_withdrawn_first(
    assessor_client, portfolio, people
):
    unit = criterion(QUALITY, "2.1").outcome.unit
    accepted_item(portfolio, people, QUALITY_CRITERIA)
    sign(assessor_client, portfolio, QUALITY_CRITERIA)
    assessor_client.post(
        reverse("evidence:unit-sign-off", args=[portfolio.pk, unit.pk]), {"declared": "on"}
    )
    criterion_sign_off = SignOff.objects.get(criterion__number="2.1")

    response = assessor_client.post(
        reverse("evidence:sign-off-withdraw", args=[criterion_sign_off.pk]),
        {"reason": "x"},
        follow=True,
    )

    assert "Withdraw the unit's sign-off first" in html.unescape(response.content.decode())
    criterion_sign_off.refresh_from_db()
    assert criterion_sign_off.is_active


def test_signatures_are_never_changed_or_deleted(assessor_client, portfolio, people):
    accepted_item(portfolio, people, ["2.1"])
    sign(assessor_client, portfolio, ["2.1"])
    signature = Signature.objects.get()
    signature.statement = "Something else"
    with pytest.raises(ImmutableRow):
        signature.save()
    with pytest.raises(ImmutableRow):
        signature.delete()
    # Tampering past the model shows: the stored payload no longer matches its hash.
    Signature.objects.filter(pk=signature.pk).update(payload={"forged": True})
    signature.refresh_from_db()
    assert not signature.is_intact


def test_the_database_allows_one_active_sign_off_per_criterion(assessor_client, portfolio, people):
    accepted_item(portfolio, people, ["2.1"])
    sign(assessor_client, portfolio, ["2.1"])
    existing = SignOff.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        SignOff.objects.create(
            portfolio=portfolio,
            kind=SignOffKind.CRITERION,
            criterion=existing.criterion,
            assessor_signature=Signature.objects.create(
                signer=people[Role.ASSESSOR],
                role="assessor",
                statement="x",
                payload={},
                signed_at=existing.assessor_signature.signed_at,
            ),
        )


def test_evidence_behind_a_sign_off_cannot_change(client_for, people, portfolio, assessor_client):
    item = accepted_item(portfolio, people, ["2.1"])
    sign(assessor_client, portfolio, ["2.1"])
    learner = client_for(people[Role.LEARNER])
    evidence_file = item.files.get()

    for url, data in [
        (
            reverse("evidence:item-edit", args=[item.pk]),
            {"title": "Changed", "version": item.version},
        ),
        (reverse("evidence:item-mappings", args=[item.pk]), {"version": item.version}),
        (reverse("evidence:item-delete", args=[item.pk]), {}),
        (reverse("evidence:file-delete", args=[evidence_file.pk]), {}),
    ]:
        learner.post(url, data)

    item.refresh_from_db()
    assert item.title == "Quality review pack"
    assert item.mappings.count() == 1 and item.files.count() == 1
    with pytest.raises(services.EvidenceLocked):
        services.evidence_file_delete(evidence_file=evidence_file, user=people[Role.LEARNER])
