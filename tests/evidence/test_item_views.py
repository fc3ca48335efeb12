"""Evidence items through their pages: create, edit, map, submit, delete, and who may."""

import pytest
from django.urls import reverse

from evidence.models import CriterionMapping, EvidenceItem, EvidenceStatus, Submission
from portfolio_site.accounts.models import Role
from tests.evidence.helpers import DESIGN, PLAN, QUALITY, criterion, item_form_data
from tests.factories import CriterionMappingFactory, EvidenceFileFactory, EvidenceItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(portfolio):
    return EvidenceItemFactory(portfolio=portfolio, title="Complaints swimlane")


def mapped_and_ready(item):
    CriterionMappingFactory(item=item, criterion=criterion(DESIGN, "1.1"), reference="Page 2")
    return item


# --- Creating -----------------------------------------------------------------------------------


def test_learner_creates_a_draft(learner_client, portfolio):
    url = reverse("evidence:item-create", args=[portfolio.pk])
    assert learner_client.get(url).status_code == 200

    response = learner_client.post(url, item_form_data())

    item = EvidenceItem.objects.get()
    assert response.url == reverse("evidence:item-detail", args=[item.pk])
    assert item.status == EvidenceStatus.DRAFT
    assert item.title == "Complaints process redesign"
    assert item.created_by == portfolio.learner


def test_double_submitted_form_creates_one_item(learner_client, portfolio):
    url = reverse("evidence:item-create", args=[portfolio.pk])
    data = item_form_data()

    first = learner_client.post(url, data)
    second = learner_client.post(url, data, follow=True)

    assert EvidenceItem.objects.count() == 1
    assert second.redirect_chain[-1][0] == first.url
    assert "already saved: the form was sent twice" in second.content.decode()


def test_narrative_is_sanitised(learner_client, portfolio):
    hostile = '<div>Fine <b>bold</b></div><script>alert(1)</script><img src=x onerror="alert(2)">'
    learner_client.post(
        reverse("evidence:item-create", args=[portfolio.pk]), item_form_data(narrative=hostile)
    )
    item = EvidenceItem.objects.get()
    assert item.narrative == "<div>Fine <b>bold</b></div>"
    page = learner_client.get(reverse("evidence:item-detail", args=[item.pk])).content.decode()
    assert "<script>alert(1)" not in page and "onerror" not in page


def test_witness_testimony_needs_the_witness(learner_client, portfolio):
    url = reverse("evidence:item-create", args=[portfolio.pk])
    response = learner_client.post(url, item_form_data(kind="witness_testimony"))
    assert response.status_code == 200
    assert response.content.decode().count("A witness testimony needs this.") == 4
    assert not EvidenceItem.objects.exists()

    learner_client.post(
        url,
        item_form_data(
            kind="witness_testimony",
            witness_name="Jo Brown",
            witness_job_title="Customer Service Manager",
            witness_relationship="My line manager",
            witness_email="jo.brown@example.org",
        ),
    )
    assert EvidenceItem.objects.get().witness_name == "Jo Brown"


def test_future_activity_date_is_refused(learner_client, portfolio):
    response = learner_client.post(
        reverse("evidence:item-create", args=[portfolio.pk]),
        item_form_data(activity_date="2099-01-01"),
    )
    assert "The date is in the future" in response.content.decode()
    assert not EvidenceItem.objects.exists()


def test_only_the_learner_adds_evidence(client_for, people, portfolio):
    url = reverse("evidence:item-create", args=[portfolio.pk])
    assert client_for(people[Role.CENTRE_ADMIN]).post(url, item_form_data()).status_code == 403
    assert client_for(people[Role.IQA]).get(url).status_code == 403
    # The assessor may write records about the learner, but not the learner's own evidence.
    assessor = client_for(people[Role.ASSESSOR])
    form = assessor.get(url).context["form"]
    assert [value for value, _ in form.fields["kind"].choices] == [
        "observation",
        "professional_discussion",
    ]
    response = assessor.post(url, item_form_data(kind="work_product"))
    assert response.status_code == 200
    assert not EvidenceItem.objects.exists()


def test_no_evidence_for_a_withdrawn_portfolio(learner_client, portfolio):
    portfolio.status = "withdrawn"
    portfolio.save()
    response = learner_client.post(
        reverse("evidence:item-create", args=[portfolio.pk]), item_form_data()
    )
    assert "no evidence can be added or changed" in response.content.decode()
    assert not EvidenceItem.objects.exists()


# --- Reading ------------------------------------------------------------------------------------


def test_assessor_iqa_and_centre_admin_read_the_item(client_for, people, draft):
    url = reverse("evidence:item-detail", args=[draft.pk])
    for role in (Role.ASSESSOR, Role.IQA, Role.CENTRE_ADMIN):
        page = client_for(people[role]).get(url)
        assert page.status_code == 200, role
        assert "Edit details" not in page.content.decode()


def test_other_learners_and_other_centres_get_404(client_for, people, other_centre_people, draft):
    from tests.factories import member

    classmate = member(Role.LEARNER, draft.portfolio.centre)
    outsiders = [classmate, *other_centre_people.values()]
    for path in ("item-detail", "item-edit", "item-mappings", "item-submit", "item-delete"):
        url = reverse(f"evidence:{path}", args=[draft.pk])
        for user in outsiders:
            assert client_for(user).get(url).status_code == 404, (path, user)
    for path in ("evidence-list", "tracking-grid", "item-create"):
        url = reverse(f"evidence:{path}", args=[draft.portfolio.pk])
        for user in outsiders:
            assert client_for(user).get(url).status_code == 404, (path, user)


def test_a_forged_item_id_gives_404(learner_client, draft):
    assert (
        learner_client.get(reverse("evidence:item-detail", args=[draft.pk + 999])).status_code
        == 404
    )


# --- Editing ------------------------------------------------------------------------------------


def test_learner_edits_a_draft(learner_client, draft):
    url = reverse("evidence:item-edit", args=[draft.pk])
    assert learner_client.get(url).status_code == 200
    response = learner_client.post(url, item_form_data(title="Renamed", version=draft.version))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.version) == ("Renamed", 2)


def test_stale_edit_is_refused_and_keeps_what_was_typed(learner_client, draft):
    url = reverse("evidence:item-edit", args=[draft.pk])
    opened_at = draft.version
    learner_client.post(url, item_form_data(title="From the phone", version=opened_at))

    response = learner_client.post(url, item_form_data(title="From the laptop", version=opened_at))

    page = response.content.decode()
    assert response.status_code == 200
    assert "was changed elsewhere" in page
    assert 'value="From the laptop"' in page  # nothing typed is lost
    draft.refresh_from_db()
    assert draft.title == "From the phone"
    # Saving again applies over the latest version.
    learner_client.post(url, item_form_data(title="From the laptop", version=draft.version))
    draft.refresh_from_db()
    assert draft.title == "From the laptop"


def test_assessor_cannot_edit(client_for, people, draft):
    url = reverse("evidence:item-edit", args=[draft.pk])
    assert client_for(people[Role.ASSESSOR]).post(url, item_form_data(version=1)).status_code == 403


# --- Mapping to criteria ------------------------------------------------------------------------


def test_map_to_criteria_in_two_units(learner_client, draft):
    url = reverse("evidence:item-mappings", args=[draft.pk])
    page = learner_client.get(url).content.decode()
    assert "Design business processes" in page and "Review the quality of customer service" in page
    assert "What the assessor looks for" in page

    first, second = criterion(DESIGN, "1.1"), criterion(QUALITY, "2.1")
    response = learner_client.post(
        url,
        {
            "version": draft.version,
            "criteria": [first.pk, second.pk],
            f"reference-{first.pk}": "Page 3, the swimlane diagram",
            f"reference-{second.pk}": "Appendix B, the measurement plan",
        },
    )

    assert response.status_code == 302
    assert dict(draft.mappings.values_list("criterion_id", "reference")) == {
        first.pk: "Page 3, the swimlane diagram",
        second.pk: "Appendix B, the measurement plan",
    }


def test_mapping_changes_and_removals(learner_client, draft):
    kept = CriterionMappingFactory(item=draft, criterion=criterion(DESIGN, "1.1"))
    dropped = CriterionMappingFactory(item=draft, criterion=criterion(DESIGN, "1.2"))
    learner_client.post(
        reverse("evidence:item-mappings", args=[draft.pk]),
        {
            "version": draft.version,
            "criteria": [kept.criterion_id],
            f"reference-{kept.criterion_id}": "Now page 4",
        },
    )
    assert list(draft.mappings.values_list("criterion_id", "reference")) == [
        (kept.criterion_id, "Now page 4")
    ]
    assert not CriterionMapping.objects.filter(pk=dropped.pk).exists()


def test_mapping_needs_a_reference_and_loses_nothing(learner_client, draft):
    first, second = criterion(DESIGN, "1.1"), criterion(DESIGN, "2.1")
    response = learner_client.post(
        reverse("evidence:item-mappings", args=[draft.pk]),
        {
            "version": draft.version,
            "criteria": [first.pk, second.pk],
            f"reference-{first.pk}": "Page 1",
            f"reference-{second.pk}": "  ",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Say where and how the evidence meets this criterion." in page
    assert ">Page 1</textarea>" in page
    assert not draft.mappings.exists()


@pytest.mark.parametrize(
    "forged",
    [lambda: criterion(PLAN, "1.1").pk, lambda: 999999, lambda: "not-a-number"],
    ids=["criterion outside the qualification", "no such criterion", "not a number"],
)
def test_forged_criterion_is_refused(learner_client, draft, forged):
    value = forged()
    good = criterion(DESIGN, "1.1")
    response = learner_client.post(
        reverse("evidence:item-mappings", args=[draft.pk]),
        {
            "version": draft.version,
            "criteria": [good.pk, value],
            f"reference-{good.pk}": "Page 1",
            f"reference-{value}": "Page 2",
        },
    )
    assert response.status_code == 200
    assert "nothing was saved" in response.content.decode().lower() or "not understood" in (
        response.content.decode()
    )
    assert not draft.mappings.exists()


# --- Submitting ---------------------------------------------------------------------------------


def test_submit_needs_declaration_mapping_and_content(learner_client, draft):
    url = reverse("evidence:item-submit", args=[draft.pk])
    response = learner_client.post(url, {})
    assert "Confirm the declaration" in response.content.decode()

    draft.narrative = ""
    draft.save()
    response = learner_client.post(url, {"declared": "on"})
    page = response.content.decode()
    assert (
        "map it to at least one criterion" in page and "add a file or write the narrative" in page
    )
    draft.refresh_from_db()
    assert draft.is_draft and not Submission.objects.exists()


def test_submit_records_the_declaration_and_locks_the_item(learner_client, draft):
    mapped_and_ready(draft)
    evidence_file = EvidenceFileFactory(item=draft)

    response = learner_client.post(
        reverse("evidence:item-submit", args=[draft.pk]),
        {"declared": "on", "ai_use": "Spell-checked with a grammar tool."},
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == EvidenceStatus.SUBMITTED and draft.submitted_at
    submission = Submission.objects.get()
    assert submission.submitted_by == draft.portfolio.learner
    assert "my own work" in submission.declaration
    assert submission.ai_use == "Spell-checked with a grammar tool."

    # Locked: nothing changes any more, and each attempt says why.
    for name, data in [
        ("item-edit", item_form_data(version=draft.version)),
        ("item-mappings", {"version": draft.version}),
        ("item-delete", {}),
    ]:
        response = learner_client.post(
            reverse(f"evidence:{name}", args=[draft.pk]), data, follow=True
        )
        assert "submitted" in response.content.decode().lower(), name
    learner_client.post(reverse("evidence:file-delete", args=[evidence_file.pk]))
    assert draft.files.count() == 1 and draft.mappings.count() == 1
    assert EvidenceItem.objects.get(pk=draft.pk).title == "Complaints swimlane"


def test_double_submit_makes_one_submission(learner_client, draft):
    mapped_and_ready(draft)
    url = reverse("evidence:item-submit", args=[draft.pk])
    learner_client.post(url, {"declared": "on"})
    second = learner_client.post(url, {"declared": "on"}, follow=True)
    assert Submission.objects.count() == 1
    assert "already been submitted" in second.content.decode()


# --- Deleting -----------------------------------------------------------------------------------


def test_learner_deletes_a_draft_with_its_files(
    learner_client, draft, settings, django_capture_on_commit_callbacks
):
    mapped_and_ready(draft)
    evidence_file = EvidenceFileFactory(item=draft)
    stored = settings.MEDIA_ROOT / evidence_file.file.name
    assert stored.exists()
    url = reverse("evidence:item-delete", args=[draft.pk])
    assert "cannot be undone" in learner_client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = learner_client.post(url)

    assert response.url == reverse("evidence:evidence-list", args=[draft.portfolio_id])
    assert not EvidenceItem.objects.filter(pk=draft.pk).exists()
    assert not stored.exists()
