"""Export pages: who may export and download, the polling progress list, retry, bulk export."""

import datetime
import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from criteria.models import Qualification
from evidence.models import EqaGrant
from evidence.services import portfolio_enrol
from portfolio_site.accounts.models import Role
from portfolio_site.audit.models import AuditEvent
from portfolio_site.exports import services
from portfolio_site.exports.models import ExportJob, ExportStatus
from tests.evidence.helpers import ICQ_CUSTOMER_SERVICE
from tests.factories import member

QUICK = "tests.exports.renderers.quick_render"
FAILING = "tests.exports.renderers.failing_render"
POLL = 'hx-trigger="every 2s"'


@pytest.fixture(autouse=True)
def quick_renderer(settings):
    settings.EXPORT_RENDERER = QUICK


@pytest.fixture
def admin(people):
    return people[Role.CENTRE_ADMIN]


@pytest.fixture
def learner(people):
    return people[Role.LEARNER]


def page_url(portfolio) -> str:
    return reverse("exports:portfolio-exports", args=[portfolio.pk])


def ready_job(portfolio, user) -> ExportJob:
    job, _ = services.export_request(portfolio=portfolio, requested_by=user)
    services.export_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.READY
    return job


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


# --- The portfolio's export page --------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, portfolio):
    response = client.get(page_url(portfolio))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_learner_exports_their_portfolio_and_watches_it_finish(
    client_for, learner, portfolio, media_root, django_capture_on_commit_callbacks
):
    client = client_for(learner)
    page = client.get(page_url(portfolio))
    assert page.status_code == 200
    assert b"No exports yet." in page.content and POLL.encode() not in page.content
    assert b"{#" not in page.content and b"{%" not in page.content

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(page_url(portfolio))
    assert response.status_code == 302 and response.url == page_url(portfolio)
    job = ExportJob.objects.get()
    assert (job.requested_by, job.status) == (learner, ExportStatus.QUEUED)

    queued = client.get(page_url(portfolio))
    assert POLL.encode() in queued.content  # the list polls itself while the job waits
    assert b'role="progressbar"' in queued.content
    assert b"Waiting for a worker" in queued.content
    assert reverse("exports:job-download", args=[job.pk]).encode() not in queued.content

    services.export_run(job.pk)
    poll = client.get(page_url(portfolio), headers={"HX-Request": "true"})
    assert poll.status_code == 200
    assert b"<html" not in poll.content  # only the list, for htmx to swap in
    assert POLL.encode() not in poll.content  # done: polling stops
    job.refresh_from_db()
    assert reverse("exports:job-download", args=[job.pk]).encode() in poll.content
    assert job.sha256.encode() in poll.content


def test_pressing_export_twice_makes_one_job(client_for, admin, portfolio):
    client = client_for(admin)
    client.post(page_url(portfolio))
    second = client.post(page_url(portfolio), follow=True)

    assert ExportJob.objects.count() == 1
    assert b"already under way" in second.content


def test_export_posts_need_the_csrf_token(admin, portfolio):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(page_url(portfolio)).status_code == 403
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("assessor", 403),  # sees the portfolio, may not export it
        ("iqa", 403),
        ("other_learner", 404),  # outside their reach
        ("other_admin", 404),
        ("other_assessor", 404),
    ],
)
def test_who_may_not_open_the_export_page(
    client_for, people, other_centre_people, portfolio, who, status
):
    user = {
        "assessor": people[Role.ASSESSOR],
        "iqa": people[Role.IQA],
        "other_learner": other_centre_people[Role.LEARNER],
        "other_admin": other_centre_people[Role.CENTRE_ADMIN],
        "other_assessor": other_centre_people[Role.ASSESSOR],
    }[who]
    client = client_for(user)
    assert client.get(page_url(portfolio)).status_code == status
    assert client.post(page_url(portfolio)).status_code == status
    assert not ExportJob.objects.exists()


def test_an_eqa_with_access_to_the_portfolio_may_not_export_it(
    client_for, people, admin, portfolio
):
    eqa = people[Role.EQA]
    EqaGrant.objects.create(
        eqa=eqa,
        portfolio=portfolio,
        granted_by=admin,
        granted_at=timezone.now(),
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    assert client_for(eqa).get(page_url(portfolio)).status_code == 403


def test_a_forged_portfolio_id_is_not_found(client_for, admin):
    assert client_for(admin).get("/exports/portfolios/999999/").status_code == 404


# --- Downloading ---------------------------------------------------------------------------


def test_the_download_is_the_finished_pdf_as_an_attachment(
    client_for, admin, learner, portfolio, media_root
):
    job = ready_job(portfolio, admin)

    for user in (admin, learner):  # the requester, and the learner whose portfolio it is
        response = client_for(user).get(reverse("exports:job-download", args=[job.pk]))
        assert response.status_code == 200
        body = streamed(response)
        assert hashlib.sha256(body).hexdigest() == job.sha256
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert job.reference in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response["Content-Security-Policy"]
        assert response["Content-Length"] == str(job.size)

    downloads = AuditEvent.objects.filter(action="export.downloaded")
    assert sorted(event.actor.username for event in downloads) == sorted(
        [admin.username, learner.username]
    )
    assert downloads.first().details["sha256"] == job.sha256


@pytest.mark.parametrize(
    "who", ["other_learner", "other_admin", "assessor", "iqa", "other_learner_same_centre"]
)
def test_who_may_not_download(client_for, people, other_centre_people, admin, portfolio, who):
    job = ready_job(portfolio, admin)
    user = {
        "other_learner": other_centre_people[Role.LEARNER],
        "other_admin": other_centre_people[Role.CENTRE_ADMIN],
        "assessor": people[Role.ASSESSOR],
        "iqa": people[Role.IQA],
        "other_learner_same_centre": member(Role.LEARNER, portfolio.centre),
    }[who]
    response = client_for(user).get(reverse("exports:job-download", args=[job.pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


def test_nothing_is_downloadable_before_the_export_is_ready(client_for, admin, portfolio):
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    url = reverse("exports:job-download", args=[job.pk])
    client = client_for(admin)
    assert client.get(url).status_code == 404  # queued
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    assert client.get(url).status_code == 404  # running
    assert client.get(reverse("exports:job-download", args=[999999])).status_code == 404


def test_a_ready_export_whose_file_is_missing_or_changed_is_not_found(
    client_for, admin, portfolio, media_root
):
    job = ready_job(portfolio, admin)
    url = reverse("exports:job-download", args=[job.pk])
    with (media_root / job.file.name).open("ab") as pdf:
        pdf.write(b"% appended after hashing")
    assert client_for(admin).get(url).status_code == 404
    (media_root / job.file.name).unlink()
    assert client_for(admin).get(url).status_code == 404


# --- Failing and retrying ------------------------------------------------------------------


def test_a_failed_export_shows_its_error_and_retries(
    client_for, admin, portfolio, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_RENDERER = FAILING
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    services.export_run(job.pk)
    client = client_for(admin)

    page = client.get(page_url(portfolio))
    assert b"error in NVQ Portfolio (ValueError)" in page.content
    retry_url = reverse("exports:job-retry", args=[job.pk])
    assert retry_url.encode() in page.content
    assert POLL.encode() not in page.content

    settings.EXPORT_RENDERER = QUICK
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url, {"next": page_url(portfolio)})
    assert response.status_code == 302 and response.url == page_url(portfolio)
    job.refresh_from_db()
    assert job.status == ExportStatus.READY and job.retries == 1


def test_retry_is_a_post_for_those_who_may_export(client_for, people, admin, portfolio, settings):
    settings.EXPORT_RENDERER = FAILING
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    services.export_run(job.pk)
    retry_url = reverse("exports:job-retry", args=[job.pk])

    assert client_for(admin).get(retry_url).status_code == 405
    assert client_for(people[Role.ASSESSOR]).post(retry_url).status_code == 404
    assert client_for(admin).post(reverse("exports:job-retry", args=[999999])).status_code == 404
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED


def test_retry_does_not_follow_a_next_address_off_the_site(client_for, admin, portfolio, settings):
    settings.EXPORT_RENDERER = FAILING
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    services.export_run(job.pk)
    response = client_for(admin).post(
        reverse("exports:job-retry", args=[job.pk]), {"next": "https://evil.example/"}
    )
    assert response.url == page_url(portfolio)


def test_a_stalled_export_shows_as_failed_with_retry(client_for, admin, portfolio, settings):
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    silent_since = timezone.now() - datetime.timedelta(seconds=settings.EXPORT_TIME_LIMIT + 60)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, started_at=silent_since, heartbeat_at=silent_since
    )
    page = client_for(admin).get(page_url(portfolio))
    assert b"stopped without finishing" in page.content
    assert reverse("exports:job-retry", args=[job.pk]).encode() in page.content
    assert POLL.encode() not in page.content


# --- Centre admins: bulk export ------------------------------------------------------------


@pytest.fixture
def three_portfolios(portfolio, people, centre):
    """The fixture portfolio and two more learners' at the same centre."""
    qualification = Qualification.objects.get(code=ICQ_CUSTOMER_SERVICE)
    others = [
        portfolio_enrol(
            learner=member(Role.LEARNER, centre, username=f"learner-{number}"),
            centre=centre,
            qualification=qualification,
            assessor=people[Role.ASSESSOR],
            start_date=datetime.date(2026, 9, 1),
        )
        for number in (2, 3)
    ]
    return [portfolio, *others]


def test_a_centre_admin_exports_three_portfolios_at_once(
    client_for, admin, centre, three_portfolios, media_root, django_capture_on_commit_callbacks
):
    client = client_for(admin)
    listing = client.get(reverse("exports:centre-exports", args=[centre.code]))
    assert listing.status_code == 200
    for portfolio in three_portfolios:
        assert f'name="portfolio" value="{portfolio.pk}"'.encode() in listing.content

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("exports:centre-exports", args=[centre.code]),
            {"portfolio": [str(portfolio.pk) for portfolio in three_portfolios]},
        )
    jobs = list(ExportJob.objects.order_by("pk"))
    assert sorted(job.portfolio_id for job in jobs) == sorted(p.pk for p in three_portfolios)
    assert all(job.requested_by == admin for job in jobs)
    # In the order they were asked for: by learner's name, as the list showed them.
    ids = ",".join(str(job.pk) for job in jobs)
    assert response.url == f"{reverse('exports:centre-export-jobs', args=[centre.code])}?ids={ids}"

    progress = client.get(response.url)
    assert progress.status_code == 200
    assert progress.content.count(POLL.encode()) == 1  # one poll for the whole list
    assert progress.content.count(b'role="progressbar"') == 3

    for job in jobs:
        services.export_run(job.pk)
    done = client.get(response.url, headers={"HX-Request": "true"})
    assert POLL.encode() not in done.content
    assert len(re.findall(rb"/exports/\d+/download/", done.content)) == 3


def test_bulk_export_refuses_a_portfolio_from_another_centre(
    client_for, admin, centre, three_portfolios, other_centre_people, catalogue
):
    elsewhere = other_centre_people[Role.LEARNER].memberships.get().centre
    foreign = portfolio_enrol(
        learner=other_centre_people[Role.LEARNER],
        centre=elsewhere,
        qualification=Qualification.objects.get(code=ICQ_CUSTOMER_SERVICE),
        start_date=datetime.date(2026, 9, 1),
    )
    response = client_for(admin).post(
        reverse("exports:centre-exports", args=[centre.code]),
        {"portfolio": [str(three_portfolios[0].pk), str(foreign.pk)]},
    )
    assert response.status_code == 404
    assert not ExportJob.objects.exists()

    response = client_for(admin).post(
        reverse("exports:centre-exports", args=[centre.code]), {"portfolio": ["not-a-number"]}
    )
    assert response.status_code == 404


def test_bulk_export_with_nothing_chosen_says_so(client_for, admin, centre, three_portfolios):
    response = client_for(admin).post(
        reverse("exports:centre-exports", args=[centre.code]), follow=True
    )
    assert b"Choose at least one portfolio" in response.content
    assert not ExportJob.objects.exists()


def test_the_centre_pages_are_for_that_centres_admins(
    client_for, people, other_centre_people, centre, admin, portfolio
):
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    centre_url = reverse("exports:centre-exports", args=[centre.code])
    jobs_url = f"{reverse('exports:centre-export-jobs', args=[centre.code])}?ids={job.pk}"
    for user in (
        people[Role.LEARNER],
        people[Role.ASSESSOR],
        other_centre_people[Role.CENTRE_ADMIN],
    ):
        client = client_for(user)
        assert client.get(centre_url).status_code == 404
        assert client.get(jobs_url).status_code == 404

    elsewhere = other_centre_people[Role.CENTRE_ADMIN].memberships.get().centre
    other_admin = client_for(other_centre_people[Role.CENTRE_ADMIN])
    forged = f"{reverse('exports:centre-export-jobs', args=[elsewhere.code])}?ids={job.pk}"
    assert other_admin.get(forged).status_code == 404  # a job of another centre
    assert client_for(admin).get(jobs_url).status_code == 200


# --- Where the pages are linked from -------------------------------------------------------


def test_the_dashboards_link_to_the_export_pages(client_for, admin, learner, centre, portfolio):
    learner_page = client_for(learner).get(reverse("evidence:learner-dashboard"))
    assert page_url(portfolio).encode() in learner_page.content

    admin_page = client_for(admin).get(reverse("evidence:centre-admin-dashboard"))
    assert reverse("exports:centre-exports", args=[centre.code]).encode() in admin_page.content
    assert page_url(portfolio).encode() in admin_page.content
