"""The import pages, through the client as the centre admin: upload, preview, confirm."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evidence.models import Portfolio
from people.models import PeopleImport
from portfolio_site.accounts.models import Invitation, Role, User
from portfolio_site.audit.models import AuditEvent
from tests.people.import_helpers import ULN_BAD, csv_bytes, people_rows, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(catalogue, people, client_for):
    return client_for(people[Role.CENTRE_ADMIN])


def upload(client, centre, name, content):
    return client.post(
        reverse("people:import", args=[centre.code]),
        {"file": SimpleUploadedFile(name, content)},
    )


def test_upload_preview_confirm_with_invitations(
    admin_client, centre, django_capture_on_commit_callbacks
):
    page = admin_client.get(reverse("people:import", args=[centre.code]))
    assert page.status_code == 200
    assert b"Download a template (CSV)" in page.content
    assert b"icq-l4-nvq-diploma-customer-service-rqf" in page.content

    response = upload(admin_client, centre, "people.xlsx", xlsx_bytes(people_rows()))
    people_import = PeopleImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("people:import-preview", args=[people_import.pk])
    assert not User.objects.filter(email="zoe@example.org").exists()  # a preview changes nothing

    preview = admin_client.get(response["Location"])
    text = preview.content.decode()
    assert "3 new" in text and "0 errors" in text
    assert "Zoë Brontë" in text and "Żółkiewska" in text
    assert "Send invitations to the new people" in text

    with django_capture_on_commit_callbacks(execute=False):
        confirmed = admin_client.post(response["Location"], {"invite": "on"})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("people:list", args=[centre.code])
    assert Portfolio.objects.filter(learner__email="zoe@example.org").exists()
    assert Invitation.objects.count() == 3
    people_import.refresh_from_db()
    assert people_import.committed_at is not None and people_import.invitations_sent
    event = AuditEvent.objects.get(action="people.imported")
    assert event.details["sha256"] == people_import.sha256
    assert event.actor.email == "centre_admin-user@example.org"

    # Confirming again (a second tab, a double click) applies nothing more.
    again = admin_client.post(response["Location"], {"invite": "on"})
    assert again.status_code == 200
    assert b"was imported" in again.content
    assert AuditEvent.objects.filter(action="people.imported").count() == 1


def test_a_preview_with_errors_names_the_column_and_offers_no_confirm(admin_client, centre):
    rows = people_rows()
    rows[1]["uln"] = ULN_BAD
    rows[2]["start_date"] = "31/02/2026"
    response = upload(admin_client, centre, "people.csv", csv_bytes(rows))
    preview = admin_client.get(response["Location"])
    text = preview.content.decode()
    assert "2 errors" in text
    assert "<code>uln</code></strong>: " in text and "is not a valid ULN" in text
    assert "<code>start_date</code></strong>: &#x27;31/02/2026&#x27; is not a date" in text
    assert "Send invitations" not in text  # no confirm button while rows are wrong

    only_errors = admin_client.get(response["Location"] + "?show=error")
    assert only_errors.content.decode().count('class="table-danger"') == 2
    assert "Siân" not in only_errors.content.decode()

    # A confirm posted anyway applies nothing.
    refused = admin_client.post(response["Location"], {})
    assert refused.status_code == 200
    assert b"Nothing was imported" in refused.content
    assert not User.objects.filter(email="zoe@example.org").exists()
    assert PeopleImport.objects.get().committed_at is None


def test_a_file_that_is_not_a_spreadsheet_goes_back_to_the_form(admin_client, centre):
    response = upload(admin_client, centre, "people.csv", "é".encode("latin-1"))
    assert response.status_code == 200
    assert b"is not UTF-8 text" in response.content
    assert not PeopleImport.objects.exists()


def test_the_template_csv_imports_cleanly(admin_client, centre):
    response = admin_client.get(reverse("people:import-template", args=[centre.code]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="people-import-template.csv"'
    assert response.content.startswith("\ufeffrole,first_name".encode())
    uploaded = upload(admin_client, centre, "template.csv", response.content)
    preview = admin_client.get(uploaded["Location"])
    assert "2 new" in preview.content.decode() and "0 errors" in preview.content.decode()


def test_other_people_do_not_see_the_pages(
    catalogue, centre, people, other_centre_people, client_for
):
    admin = client_for(people[Role.CENTRE_ADMIN])
    upload(admin, centre, "people.csv", csv_bytes(people_rows()))
    preview_url = reverse("people:import-preview", args=[PeopleImport.objects.get().pk])
    urls = [
        reverse("people:import", args=[centre.code]),
        reverse("people:import-template", args=[centre.code]),
        preview_url,
    ]
    for user in [
        people[Role.ASSESSOR],
        people[Role.LEARNER],
        other_centre_people[Role.CENTRE_ADMIN],
    ]:
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(preview_url, {}).status_code == 404
    assert PeopleImport.objects.get().committed_at is None
