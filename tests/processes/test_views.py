"""Process design pages: who sees what, the editor (save, add a row, stale form, preview),
approval, comparison, BPMN in and out, and adding a version to the portfolio."""

import re
import uuid

import pytest
from defusedxml import ElementTree
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from evidence.models import EvidenceItem
from portfolio_site.accounts.models import Role
from processes.bpmn import export_bpmn
from processes.diagram import map_data_for
from processes.examples import FUTURE
from processes.models import ApprovalRequest, ProcessMap, VersionStatus
from processes.services import approval_token

pytestmark = pytest.mark.django_db


def editor_post(client, version, **changes):
    """The editor's form as the page renders it, with ``changes`` applied."""
    page = client.get(reverse("processes:version", args=[version.pk]))
    assert page.status_code == 200
    form = page.context["editor"]
    data = {}
    for part in [form.details, *form.formsets()]:
        if hasattr(part, "management_form"):
            for field in part.management_form:
                data[field.html_name] = field.value()
            forms = part.forms
        else:
            forms = [part]
        for row in forms:
            for field in row:
                value = field.value()
                if value is None or value is False:
                    continue
                data[field.html_name] = "on" if value is True else value
    data.update(changes)
    return data


def test_people_who_see_the_portfolio_see_its_maps(client_for, people, version):
    for role in (Role.LEARNER, Role.ASSESSOR, Role.IQA, Role.CENTRE_ADMIN):
        client = client_for(people[role])
        assert (
            client.get(
                reverse("processes:map-list", args=[version.process_map.portfolio_id])
            ).status_code
            == 200
        )
        page = client.get(reverse("processes:version", args=[version.pk]))
        assert page.status_code == 200
        assert b"<svg" in page.content and b"Customer complains" in page.content
        # Only the learner gets the editor.
        assert (page.context["editor"] is not None) == (role == Role.LEARNER)


def test_other_centres_get_404_and_non_learners_403(
    client_for, people, other_centre_people, version
):
    outsider = client_for(other_centre_people[Role.CENTRE_ADMIN])
    for name, args in [
        ("processes:map", [version.process_map_id]),
        ("processes:version", [version.pk]),
        ("processes:version-bpmn", [version.pk]),
        ("processes:compare", [version.process_map_id]),
    ]:
        assert outsider.get(reverse(name, args=args)).status_code == 404
    assessor = client_for(people[Role.ASSESSOR])
    response = assessor.post(reverse("processes:version", args=[version.pk]), {"action": "save"})
    assert response.status_code == 403
    response = assessor.post(reverse("processes:version-add", args=[version.pk]))
    assert response.status_code == 403
    assert not EvidenceItem.objects.exists()


def test_learner_creates_a_map_once_even_if_the_form_is_sent_twice(learner_client, portfolio):
    url = reverse("processes:map-create", args=[portfolio.pk])
    data = {
        "title": "Returns",
        "business_need": "Refunds are slow",
        "techniques": ["swimlane", "sipoc"],
        "creation_token": str(uuid.uuid4()),
    }
    first = learner_client.post(url, data)
    second = learner_client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert ProcessMap.objects.count() == 1


def test_map_needs_a_technique(learner_client, portfolio):
    response = learner_client.post(
        reverse("processes:map-create", args=[portfolio.pk]),
        {"title": "Returns", "business_need": "Slow", "creation_token": str(uuid.uuid4())},
    )
    assert response.status_code == 200
    assert "techniques" in response.context["form"].errors
    assert not ProcessMap.objects.exists()


def test_editor_saves_a_changed_step(learner_client, version):
    data = editor_post(learner_client, version, **{"steps-1-label": "Log complaint in CRM"})
    response = learner_client.post(reverse("processes:version", args=[version.pk]), data)
    assert response.status_code == 302
    labels = [step.label for step in map_data_for(version).steps]
    assert "Log complaint in CRM" in labels and "Log complaint" not in labels


def test_editor_add_row_keeps_typing_and_saves_nothing(learner_client, version):
    before = map_data_for(version)
    data = editor_post(
        learner_client, version, action="add-steps", **{"steps-1-label": "Typed, not saved"}
    )
    response = learner_client.post(
        reverse("processes:version", args=[version.pk]), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    editor = response.context["editor"]
    assert len(editor.steps.forms) == len(before.steps) + 1
    assert b"Typed, not saved" in response.content
    # The new step has a ref, so a flow can point at it before anything is saved.
    assert editor.steps.forms[-1]["ref"].value().startswith("n")
    assert map_data_for(version) == before


def test_new_step_and_flow_save_together(learner_client, version):
    data = editor_post(learner_client, version, action="add-steps")
    page = learner_client.post(reverse("processes:version", args=[version.pk]), data)
    editor = page.context["editor"]
    index = len(editor.steps.forms) - 1
    data = {k: v for k, v in data.items()}
    data["steps-TOTAL_FORMS"] = str(index + 1)
    data[f"steps-{index}-ref"] = editor.steps.forms[-1]["ref"].value()
    data[f"steps-{index}-lane"] = editor.steps.forms[-1]["lane"].value()
    data[f"steps-{index}-kind"] = "task"
    data[f"steps-{index}-value_class"] = "va"
    data[f"steps-{index}-label"] = "Send apology letter"
    flows = int(data["flows-TOTAL_FORMS"])
    data["flows-TOTAL_FORMS"] = str(flows + 1)
    data[f"flows-{flows}-source"] = data["steps-5-ref"]  # Call customer with outcome
    data[f"flows-{flows}-target"] = data[f"steps-{index}-ref"]
    data["action"] = "save"
    response = learner_client.post(reverse("processes:version", args=[version.pk]), data)
    assert response.status_code == 302, (
        response.context and response.context["editor"].errors_summary()
    )
    saved = map_data_for(version)
    new_step = next(s for s in saved.steps if s.label == "Send apology letter")
    assert any(f.target == new_step.key for f in saved.flows)


def test_deleting_a_lane_with_steps_is_explained_and_saves_nothing(learner_client, version):
    before = map_data_for(version)
    data = editor_post(learner_client, version, **{"lanes-2-DELETE": "on"})
    response = learner_client.post(reverse("processes:version", args=[version.pk]), data)
    assert response.status_code == 422
    assert "This lane was deleted" in response.content.decode()
    assert map_data_for(version) == before


def test_deleting_a_step_takes_its_flows(learner_client, version):
    data = editor_post(learner_client, version, **{"steps-3-DELETE": "on"})  # Email to team
    response = learner_client.post(
        reverse("processes:version", args=[version.pk]), data, follow=True
    )
    assert "2 flows to or from deleted steps were removed" in response.content.decode()
    saved = map_data_for(version)
    assert "Email to complaints team" not in [s.label for s in saved.steps]
    assert len(saved.flows) == 6


def test_stale_form_is_refused_and_keeps_what_was_typed(learner_client, version, learner):
    from processes import services

    data = editor_post(learner_client, version, **{"steps-1-label": "My edit"})
    services.version_replace_content(
        version=version, editor=learner, data=FUTURE, expected_revision=version.revision
    )
    response = learner_client.post(reverse("processes:version", args=[version.pk]), data)
    assert response.status_code == 409
    assert "changed elsewhere" in response.content.decode()
    assert b"My edit" in response.content
    assert "My edit" not in [s.label for s in map_data_for(version).steps]
    # Saving again from the page it returned applies the edit over the latest revision.
    editor = response.context["editor"]
    assert (
        int(editor.details["revision"].value())
        == version.__class__.objects.get(pk=version.pk).revision
    )


def test_preview_draws_unsaved_rows_and_reports_errors(learner_client, version):
    before = map_data_for(version)
    data = editor_post(
        learner_client, version, **{"steps-1-label": "Unsaved label", "preview": "swimlane"}
    )
    response = learner_client.post(reverse("processes:version-preview", args=[version.pk]), data)
    assert response.status_code == 200 and b"Unsaved label" in response.content
    assert map_data_for(version) == before
    data["steps-1-process_minutes"] = "-4"
    response = learner_client.post(reverse("processes:version-preview", args=[version.pk]), data)
    assert b"Step 2" in response.content and b"preview shows the saved version" in response.content


def test_submit_approve_and_compare(learner_client, version):
    url = reverse("processes:version-submit", args=[version.pk])
    learner_client.post(url, {"revision": version.revision})
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED
    # The stakeholder decides through the link the learner sends them.
    response = learner_client.post(
        reverse("processes:version-approval-request", args=[version.pk]),
        {"name": "Priya Shah", "role": "Manager", "email": "priya.shah@northwind.example"},
    )
    assert response.status_code == 302
    link = reverse(
        "processes:stakeholder-approval", args=[approval_token(ApprovalRequest.objects.get())]
    )
    page = Client().get(link)
    shown = re.search(rb'name="content_sha256" value="([0-9a-f]{64})"', page.content).group(1)
    response = Client().post(
        link, {"decision": "approved", "typed_name": "Priya Shah", "content_sha256": shown.decode()}
    )
    assert response.status_code == 200
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    # An approved version has no editor, and saving is refused with a message.
    page = learner_client.get(reverse("processes:version", args=[version.pk]))
    assert page.context["editor"] is None and b"Start a new version" in page.content

    response = learner_client.post(
        reverse("processes:version-new", args=[version.pk]), {"state": "future"}
    )
    new = version.process_map.versions.get(number=2)
    assert response["Location"] == reverse("processes:version", args=[new.pk])
    from processes import services

    services.version_replace_content(
        version=new,
        editor=version.process_map.portfolio.learner,
        data=FUTURE,
        expected_revision=new.revision,
    )
    page = learner_client.get(reverse("processes:compare", args=[version.process_map_id]))
    rows = {row.label: row for row in page.context["comparison"].rows}
    hand_offs = next(row for label, row in rows.items() if "and-off" in label)
    assert hand_offs.after < hand_offs.before and hand_offs.verdict == "better"
    assert page.content.count(b"<svg") >= 2


def test_bpmn_download_and_import(learner_client, version):
    response = learner_client.get(reverse("processes:version-bpmn", args=[version.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    root = ElementTree.fromstring(response.content)
    assert root.tag.endswith("definitions")

    upload = SimpleUploadedFile("future.bpmn", export_bpmn(FUTURE), content_type="application/xml")
    response = learner_client.post(
        reverse("processes:version-import", args=[version.pk]),
        {"revision": version.revision, "file": upload},
    )
    assert response.status_code == 302
    assert [s.label for s in map_data_for(version).steps] == [s.label for s in FUTURE.steps]
    # SIPOC rows and KPIs stay as they were.
    assert map_data_for(version).kpis


def test_hostile_bpmn_changes_nothing(learner_client, version):
    before = map_data_for(version)
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>'
    )
    response = learner_client.post(
        reverse("processes:version-import", args=[version.pk]),
        {"revision": version.revision, "file": SimpleUploadedFile("x.bpmn", laughs)},
    )
    assert response.status_code == 422
    assert "could not be imported" in response.content.decode()
    assert map_data_for(version) == before


def test_add_to_portfolio_goes_to_the_new_item(learner_client, version):
    response = learner_client.post(reverse("processes:version-add", args=[version.pk]))
    item = EvidenceItem.objects.get()
    assert response["Location"] == reverse("evidence:item-detail", args=[item.pk])
    assert item.files.count() == 5
    svg = item.files.filter(content_type="image/svg+xml").first()
    served = learner_client.get(reverse("evidence:file-download", args=[svg.pk]))
    assert served.status_code == 200 and "sandbox" in served["Content-Security-Policy"]
