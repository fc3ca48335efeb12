"""Peak memory of the server while a 500 MB file uploads, and the upload's speed against copying
the same file on the same disk.

    .venv/bin/python -m bench.upload [--megabytes 500]

Makes a 500 MiB "video" (an MP4 header, then a random megabyte repeated; checked beforehand to
hold nothing the upload check would refuse), starts gunicorn (2 sync workers, production
settings, EVIDENCE_MAX_FILE_BYTES raised to 600 MB for this server only), and uploads the file
in one request to a new draft item, streaming the multipart body from disk (the client never
holds the file). Every 50 ms during the upload it reads VmRSS of both gunicorn workers from
/proc. Then it checks the stored file (its row's SHA-256, and the file on disk hashed again),
copies the source file with shutil.copyfile for comparison (median of three), and deletes the
draft, its stored file, the copy and the source. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import random
import secrets
import shutil
import threading
import time
import uuid
from pathlib import Path

from bench import common

UPLOADER = "bench-learner-003"
CHUNK = 1024 * 1024
# An MP4 file type box ("ftyp", brand isom), then an mdat box header: what cameras write first.
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x00mdat"


def make_video(path: Path, megabytes: int) -> tuple[str, float]:
    """Write the file, a random megabyte repeated, with a random block the upload check
    accepts. Returns its SHA-256 and how long the check (evidence.file_types) took on it."""
    from evidence.file_types import RejectedFile, check_file_content

    seed = 0
    while True:
        block = random.Random(seed).randbytes(CHUNK)  # noqa: S311 (test data, not secrets)
        digest = hashlib.sha256()
        with path.open("wb") as out:
            out.write(MP4_HEAD)
            digest.update(MP4_HEAD)
            for _ in range(megabytes):
                out.write(block)
                digest.update(block)
        started = time.perf_counter()
        try:
            check_file_content(path, name=path.name)
        except RejectedFile:  # random bytes that happen to spell "<svg " somewhere
            seed += 1
            continue
        return digest.hexdigest(), time.perf_counter() - started


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class MemorySampler(threading.Thread):
    """Reads VmRSS of each gunicorn worker every 50 ms until stopped."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids = pids
        self.peak_kib = dict.fromkeys(pids, 0)
        self.samples = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            for pid in self.pids:
                rss = common.memory_kib(pid).get("VmRSS", 0)
                self.peak_kib[pid] = max(self.peak_kib[pid], rss)
            self.samples += 1
            self._done.wait(0.05)

    def stop(self) -> None:
        self._done.set()
        self.join()


def upload(base_url: str, path: str, source: Path, *, cookies: dict[str, str], csrf: str):
    """POST the file as multipart/form-data, streamed from disk; returns (status, JSON body)."""
    boundary = f"----bench{uuid.uuid4().hex}"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="site-visit-recording.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=600)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + source.stat().st_size + len(tail)))
    connection.putheader("Accept", "application/json")
    connection.putheader("X-CSRFToken", csrf)
    connection.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    connection.endheaders()
    connection.send(head)
    with source.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            connection.send(chunk)
    connection.send(tail)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    try:
        return response.status, json.loads(body)
    except ValueError:
        return response.status, {"raw": body[:500].decode(errors="replace")}


def run(*, megabytes: int = 500) -> dict:
    from django.test import Client
    from django.urls import reverse

    from evidence import services
    from evidence.models import EvidenceFile, EvidenceItem, Portfolio
    from portfolio_site.accounts.models import User

    work = common.BENCH_VAR / "upload"
    work.mkdir(parents=True, exist_ok=True)
    source, copy = work / "site-visit-recording.mp4", work / "copy-of-recording.mp4"
    learner = User.objects.get(username=UPLOADER)
    portfolio = Portfolio.objects.get(learner=learner)
    item = None
    try:
        print(f"  writing a {megabytes} MB file ...", flush=True)
        expected_sha256, check_seconds = make_video(source, megabytes)
        size = source.stat().st_size

        item, _ = services.evidence_item_create(
            portfolio=portfolio,
            author=learner,
            creation_token=uuid.uuid4(),
            title=f"Upload benchmark {time.strftime('%Y-%m-%d %H:%M:%S')}",
            kind="work_product",
            activity_date=datetime_today(),
            narrative="<p>A long site-visit recording.</p>",
        )
        client = Client()
        client.force_login(learner)
        csrf = secrets.token_hex(16)  # 32 characters: a valid unmasked CSRF secret
        cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf}
        url = reverse("evidence:file-upload", args=[item.pk])

        with common.gunicorn(workers=2, timeout=600) as (base_url, master):
            workers = common.child_pids(master.pid)
            warm_up(base_url, reverse("evidence:item-detail", args=[item.pk]), cookies, workers)
            baseline = {pid: common.memory_kib(pid).get("VmRSS", 0) for pid in workers}
            sampler = MemorySampler(workers)
            sampler.start()
            print(f"  uploading {size / 1e6:.0f} MB to {base_url}{url} ...", flush=True)
            started = time.perf_counter()
            status, body = upload(base_url, url, source, cookies=cookies, csrf=csrf)
            upload_seconds = time.perf_counter() - started
            sampler.stop()
            high_water = {pid: common.memory_kib(pid).get("VmHWM", 0) for pid in workers}

        stored = EvidenceFile.objects.filter(item=item).first()
        stored_sha256 = sha256_of_file(Path(stored.file.path)) if stored else None

        copy_times = []
        for _ in range(3):  # the page cache makes single copies vary
            copy.unlink(missing_ok=True)
            started = time.perf_counter()
            shutil.copyfile(source, copy)
            copy_times.append(time.perf_counter() - started)
        copy_seconds = common.median(copy_times)

        growth = {pid: sampler.peak_kib[pid] - baseline[pid] for pid in workers}
        busiest = max(workers, key=lambda pid: growth[pid])
        return {
            "bytes": size,
            "status": status,
            "ok": bool(body.get("ok")),
            "message": " ".join(body.get("messages", [])) or body.get("raw", ""),
            "upload_seconds": upload_seconds,
            "copy_seconds": copy_seconds,
            "check_seconds": check_seconds,
            "upload_mb_s": size / 1e6 / upload_seconds,
            "copy_mb_s": size / 1e6 / copy_seconds,
            "baseline_rss_mib": baseline[busiest] / 1024,
            "peak_rss_mib": sampler.peak_kib[busiest] / 1024,
            "peak_growth_mib": growth[busiest] / 1024,
            "vmhwm_mib": max(high_water.values()) / 1024,
            "samples": sampler.samples,
            "row_sha256_matches": bool(stored) and stored.sha256 == expected_sha256,
            "file_sha256_matches": stored_sha256 == expected_sha256,
        }
    finally:
        if item is not None and EvidenceItem.objects.filter(pk=item.pk).exists():
            services.evidence_item_delete(item=item, user=learner)
        for path in (source, copy):
            path.unlink(missing_ok=True)


def datetime_today():
    from django.utils import timezone

    return timezone.localdate()


def warm_up(base_url: str, path: str, cookies: dict[str, str], workers: list[int]) -> None:
    """Requests, four at a time, until both workers have served some (imported the views,
    loaded the templates, connected to the database): their memory before the upload is then
    a working worker's, not a fresh one's."""
    for _ in range(10):
        threads = [threading.Thread(target=_get, args=(base_url, path, cookies)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sizes = [common.memory_kib(pid).get("VmRSS", 0) for pid in workers]
        if min(sizes) > 0.9 * max(sizes):
            return


def _get(base_url: str, path: str, cookies: dict[str, str]) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.request(
        "GET", path, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    )
    connection.getresponse().read()
    connection.close()


def print_result(result: dict) -> None:
    print(
        f"Upload of {result['bytes'] / 1e6:.0f} MB: HTTP {result['status']}, "
        f"{'stored' if result['ok'] else 'NOT stored'} ({result['message']}); "
        f"SHA-256 of the row {'matches' if result['row_sha256_matches'] else 'DIFFERS'}, "
        f"of the file on disk {'matches' if result['file_sha256_matches'] else 'DIFFERS'}"
    )
    common.print_table(
        ["", "seconds", "MB/s"],
        [
            [
                "upload through gunicorn",
                f"{result['upload_seconds']:.1f}",
                f"{result['upload_mb_s']:.0f}",
            ],
            [
                "the upload check alone (in-process)",
                f"{result['check_seconds']:.1f}",
                f"{result['bytes'] / 1e6 / result['check_seconds']:.0f}",
            ],
            [
                "shutil.copyfile, same disk",
                f"{result['copy_seconds']:.1f}",
                f"{result['copy_mb_s']:.0f}",
            ],
        ],
    )
    speed_ratio = common.ratio(result["upload_mb_s"], result["copy_mb_s"])
    print(f"\nUpload speed / copy speed: {speed_ratio:.2f}")
    print(
        f"Worker memory (RSS): {result['baseline_rss_mib']:.0f} MiB before, "
        f"peak {result['peak_rss_mib']:.0f} MiB during the upload "
        f"(+{result['peak_growth_mib']:.1f} MiB; {result['samples']} samples every 50 ms; "
        f"VmHWM of the workers {result['vmhwm_mib']:.0f} MiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=500, help="size of the file")
    args = parser.parse_args()
    common.prepare()
    print_result(run(megabytes=args.megabytes))


if __name__ == "__main__":
    main()
