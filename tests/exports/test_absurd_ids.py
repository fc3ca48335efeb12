"""The bulk export pages take lists of ids from the address and the form; an id that cannot name
a row (too big for the database, negative, not a number) is a 404, never a 500.

SQLite cannot bind an integer above 2**63 - 1 at all: ``?ids=999999999999999999999`` raised
OverflowError from the query.
"""

import pytest
from django.urls import reverse

from portfolio_site.accounts.models import Role
from portfolio_site.exports import services
from portfolio_site.exports.models import ExportJob

ABSURD = [
    "999999999999999999999",
    str(2**63),
    "9" * 5000,  # more digits than Python converts to an int
    "-1",
    "0",
    "1e3",
    "١٢",  # Arabic-Indic digits, which int() would read as 12
    " 1",
    "x",
]


@pytest.fixture
def admin_client(client_for, people):
    return client_for(people[Role.CENTRE_ADMIN])


@pytest.mark.parametrize("value", ABSURD)
def test_export_progress_page_with_an_absurd_id_is_not_found(admin_client, centre, value):
    url = reverse("exports:centre-export-jobs", args=[centre.code])

    response = admin_client.get(url, {"ids": value})

    assert response.status_code == 404
    assert b"We could not find that page" in response.content


def test_one_absurd_id_among_real_ones_is_not_found(admin_client, centre, portfolio, people):
    job, _ = services.export_request(portfolio=portfolio, requested_by=people[Role.CENTRE_ADMIN])
    url = reverse("exports:centre-export-jobs", args=[centre.code])

    assert admin_client.get(url, {"ids": f"{job.pk}"}).status_code == 200
    response = admin_client.get(url, {"ids": f"{job.pk},999999999999999999999"})
    assert response.status_code == 404


@pytest.mark.parametrize("value", ABSURD)
def test_bulk_export_of_an_absurd_portfolio_id_is_not_found(admin_client, centre, value):
    response = admin_client.post(
        reverse("exports:centre-exports", args=[centre.code]), {"portfolio": [value]}
    )

    assert response.status_code == 404
    assert b"We could not find that page" in response.content
    assert not ExportJob.objects.exists()
