"""Locust users for bench/throughput.py: each fetches one page as fast as it can.

BENCH_PATH names the page; BENCH_SESSIONS names a JSON file of session cookies (one logged-in
learner each, made by the driver), handed out to the users in turn. With no sessions file the
users are anonymous (the health check needs no login).
"""

import itertools
import json
import os

from locust import FastHttpUser, constant, task

PATH = os.environ.get("BENCH_PATH", "/healthz")
_sessions_file = os.environ.get("BENCH_SESSIONS")
_sessions = json.loads(open(_sessions_file).read()) if _sessions_file else [None]  # noqa: SIM115
_next_session = itertools.cycle(_sessions)


class PageUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        session = next(_next_session)
        self.headers = {"Cookie": f"sessionid={session}"} if session else {}

    @task
    def fetch(self) -> None:
        with self.client.get(
            PATH, headers=self.headers, name=PATH, allow_redirects=False, catch_response=True
        ) as response:
            # A redirect would be the login page: the session did not work.
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
