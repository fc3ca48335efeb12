"""Locust users for bench/load.py: learners, assessors, IQAs and centre admins of the seeded
centre, each logging in through the login form and doing what they do.

- Learners read their dashboard, grid and evidence list, create draft items and upload small
  files to them (a PDF or a PNG made here, different bytes every time), and once in a while
  (one task in 23) log out and in again.
- Assessors read their caseload, a learner's grid and sign-off page.
- IQAs read their dashboard.
- Centre admins read theirs and export the 10-item portfolio, following the export's page.

BENCH_LOAD_ACCOUNTS names the JSON file of accounts the driver wrote; at the end every
successful upload (item, name, SHA-256) and the count of answers by status go to the JSON file
BENCH_LOAD_RESULTS, for the driver to compare with the database and the disk.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import os
import random
import re
import struct
import uuid
import zlib
from collections import Counter

from locust import HttpUser, between, events, task

ACCOUNTS = json.loads(open(os.environ["BENCH_LOAD_ACCOUNTS"]).read())  # noqa: SIM115
RESULTS_PATH = os.environ["BENCH_LOAD_RESULTS"]
PASSWORD = ACCOUNTS["password"]
TIMEOUT = 180  # seconds: a request queued behind 100 users' logins can wait a while

status_counts: Counter = Counter()
server_errors: list[str] = []
uploads_seen_ok: list[dict] = []
uploads_refused: list[dict] = []
items_created: list[int] = []
exports_requested = Counter()

_learners = itertools.cycle(ACCOUNTS["learners"])
_assessors = itertools.cycle(ACCOUNTS["assessors"])
_iqas = itertools.cycle(ACCOUNTS["iqas"])
_ITEM_URL = re.compile(r"/evidence/(\d+)/$")


@events.request.add_listener
def _count(request_type, name, response, exception, **kwargs) -> None:
    if response is None:
        return
    status_counts[str(response.status_code)] += 1
    if response.status_code >= 500:
        server_errors.append(f"{request_type} {name}: {response.status_code}")


@events.quitting.add_listener
def _write_results(environment, **kwargs) -> None:
    with open(RESULTS_PATH, "w") as out:
        json.dump(
            {
                "status_counts": status_counts,
                "server_errors": server_errors,
                "uploads_ok": uploads_seen_ok,
                "uploads_refused": uploads_refused,
                "items_created": items_created,
                "exports_requested": sum(exports_requested.values()),
            },
            out,
        )


# --- Files made here ----------------------------------------------------------------------------


def small_pdf(tag: str) -> bytes:
    """A one-page PDF with no markup in it, unique by ``tag``."""
    text = f"Meeting notes {tag}".encode()
    stream = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return body


def small_png(tag: str) -> bytes:
    """A 16 x 16 PNG with a text chunk naming ``tag``; ends exactly at IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    colour = bytes(random.randrange(256) for _ in range(3))  # noqa: S311 (test picture)
    rows = b"".join(b"\x00" + colour * 16 for _ in range(16))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
        + chunk(b"tEXt", b"Comment\x00" + tag.encode())
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# --- Users --------------------------------------------------------------------------------------


class CentreUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    username = ""

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def log_in(self) -> None:
        self.client.get("/accounts/login/", name="login page", timeout=TIMEOUT)
        self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.csrf(),
            },
            name="log in",
            timeout=TIMEOUT,
        )

    def get(self, path: str, name: str):
        return self.client.get(path, name=name, timeout=TIMEOUT)


class Learner(CentreUser):
    weight = 60

    def on_start(self) -> None:
        account = next(_learners)
        self.username, self.portfolio = account["username"], account["portfolio"]
        self.log_in()

    @task(8)
    def dashboard(self) -> None:
        self.get("/dashboard/learner/", "learner dashboard")

    @task(4)
    def grid(self) -> None:
        self.get(f"/portfolios/{self.portfolio}/grid/", "tracking grid")

    @task(4)
    def evidence_list(self) -> None:
        self.get(f"/portfolios/{self.portfolio}/evidence/", "evidence list")

    @task(6)
    def add_evidence(self) -> None:
        """A new draft item, then one or two files uploaded to it."""
        new_item = f"/portfolios/{self.portfolio}/evidence/new/"
        self.get(new_item, "new item form")
        response = self.client.post(
            new_item,
            data={
                "csrfmiddlewaretoken": self.csrf(),
                "creation_token": str(uuid.uuid4()),
                "title": "Team huddle notes",
                "kind": "work_product",
                "activity_date": datetime.date.today().isoformat(),
                "narrative": "<p>Notes from the Monday huddle.</p>",
            },
            name="create item",
            timeout=TIMEOUT,
        )
        found = _ITEM_URL.search(response.url or "")
        if response.status_code != 200 or not found:
            return
        item = int(found.group(1))
        items_created.append(item)
        for _ in range(random.choice((1, 2))):  # noqa: S311
            self.upload(item)

    def upload(self, item: int) -> None:
        tag = uuid.uuid4().hex
        if random.random() < 0.5:  # noqa: S311
            name, content, kind = f"notes-{tag[:8]}.pdf", small_pdf(tag), "application/pdf"
        else:
            name, content, kind = f"whiteboard-{tag[:8]}.png", small_png(tag), "image/png"
        response = self.client.post(
            f"/evidence/{item}/files/",
            data={"csrfmiddlewaretoken": self.csrf()},
            files={"file": (name, content, kind)},
            headers={"Accept": "application/json"},
            name="upload file",
            timeout=TIMEOUT,
        )
        record = {"item": item, "name": name, "sha256": hashlib.sha256(content).hexdigest()}
        if response.status_code == 201 and response.json().get("ok"):
            uploads_seen_ok.append(record)
        else:
            uploads_refused.append({**record, "status": response.status_code})

    @task(1)
    def log_out_and_in(self) -> None:
        self.client.post(
            "/accounts/logout/",
            data={"csrfmiddlewaretoken": self.csrf()},
            name="log out",
            timeout=TIMEOUT,
        )
        self.log_in()


class Assessor(CentreUser):
    weight = 15

    def on_start(self) -> None:
        account = next(_assessors)
        self.username, self.portfolios = account["username"], account["portfolios"]
        self.log_in()

    @task(3)
    def caseload(self) -> None:
        self.get("/dashboard/assessor/", "assessor dashboard")

    @task(2)
    def learner_grid(self) -> None:
        self.get(f"/portfolios/{random.choice(self.portfolios)}/grid/", "tracking grid")  # noqa: S311

    @task(1)
    def sign_off_page(self) -> None:
        portfolio = random.choice(self.portfolios)  # noqa: S311
        self.get(f"/portfolios/{portfolio}/sign-off/", "sign-off page")


class QualityAssurer(CentreUser):
    weight = 10

    def on_start(self) -> None:
        self.username = next(_iqas)
        self.log_in()

    @task
    def dashboard(self) -> None:
        self.get("/dashboard/iqa/", "IQA dashboard")


class CentreAdmin(CentreUser):
    weight = 15

    def on_start(self) -> None:
        self.username = ACCOUNTS["admin"]
        self.log_in()

    @task(3)
    def dashboard(self) -> None:
        self.get("/dashboard/centre/", "centre admin dashboard")

    @task(1)
    def export_small_portfolio(self) -> None:
        """Ask for an export (or join the one under way) and follow its page a little."""
        page = f"/exports/portfolios/{ACCOUNTS['export_portfolio']}/"
        self.get(page, "export page")
        self.client.post(
            page, data={"csrfmiddlewaretoken": self.csrf()}, name="request export", timeout=TIMEOUT
        )
        exports_requested[self.username] += 1
        for _ in range(2):
            self.client.get(
                page,
                name="export progress (htmx)",
                headers={"HX-Request": "true"},
                timeout=TIMEOUT,
            )
