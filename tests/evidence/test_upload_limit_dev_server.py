"""An oversized upload under `make run` (Django's development server) gets the 413 page with the
size message, as it does under gunicorn.

The 413 used to carry ``Connection: close``. The development server is built on wsgiref, which
refuses any hop-by-hop header from the application (an AssertionError), so the learner got a
500 instead of being told the limit. The test client does not run that check, so only a real
server shows it.
"""

import http.client
import json
from urllib.parse import urlsplit

import pytest

from tests.subprocesses import project_environment, web_server

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LIMIT = 1000
BODY = b"%PDF-1.4\n" + b"0" * (400 * 1024)


@pytest.fixture
def dev_server(tmp_path, media_root):
    env = project_environment(
        tmp_path,
        media_root,
        settings_module="tests.browser.server_settings",
        EVIDENCE_MAX_FILE_BYTES=str(LIMIT),
    )
    log_path = tmp_path / "server.log"
    with web_server(env, log_path) as url:
        yield url, log_path


def connect(url: str) -> http.client.HTTPConnection:
    address = urlsplit(url)
    return http.client.HTTPConnection(address.hostname, address.port, timeout=60)


def post_upload(connection: http.client.HTTPConnection, *, accept: str):
    boundary = "----nvq-test-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + BODY
        + f"\r\n--{boundary}--\r\n".encode()
    )
    connection.request(
        "POST",
        "/evidence/1/files/",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": accept},
    )
    response = connection.getresponse()
    return response, response.read()


def test_oversized_upload_gets_the_size_page_from_the_development_server(dev_server):
    url, log_path = dev_server

    response, content = post_upload(connect(url), accept="text/html")

    assert response.status == 413, log_path.read_text()
    page = content.decode().replace("\xa0", " ")
    assert "That file is too large" in page
    assert f"the limit is {LIMIT} bytes per file" in page
    assert "Nothing was stored" in page
    assert "Hop-by-hop" not in log_path.read_text()


def test_oversized_upload_gets_the_size_message_as_json_and_the_connection_stays_usable(
    dev_server,
):
    url, log_path = dev_server
    connection = connect(url)

    response, content = post_upload(connection, accept="application/json")

    assert response.status == 413, log_path.read_text()
    message = json.loads(content)["message"].replace("\xa0", " ")
    assert f"the limit is {LIMIT} bytes per file" in message
    # The unread body is not taken for the next request on the same connection.
    again, _ = post_upload(connection, accept="application/json")
    assert again.status == 413
    connection.request("GET", "/healthz")
    health = connection.getresponse()
    assert health.status == 200 and json.loads(health.read())
    connection.close()
