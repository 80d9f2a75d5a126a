"""Locust user mix for `bench/load_test.py`: investigators opening the dashboard, subjects and their
networks (depth 2), searching, and running saved queries, against 127.0.0.1 only.

Reads its targets from the JSON file named by LOAD_TEST_PLAN (written by load_test.py): user name,
password, subject ids, search words, saved query ids. A 503 is counted as a failure named after the
page ("503: <page>") and must carry the database-down message.
"""
from __future__ import annotations

import json
import os
import random
import re
from urllib.parse import urlparse

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["LOAD_TEST_PLAN"], encoding="utf-8").read())
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Investigator(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        host = urlparse(self.host).hostname
        if host not in ("127.0.0.1", "localhost"):
            raise RuntimeError("the load test runs against 127.0.0.1 only")
        html = self.client.get("/login", name="login form").text
        token = TOKEN.search(html).group(1)
        self.client.post("/login", data={"username": PLAN["user"], "password": PLAN["password"],
                                         "csrf_token": token}, name="login", allow_redirects=False)

    def _get(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True) as r:
            if r.status_code == 503:
                ok = "Neo4j" in r.text or "数据库" in r.text or "database" in r.text
                r.failure(f"503{'' if ok else ' WITHOUT message'}")
            elif r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
            elif "/login" in r.url:
                r.failure("logged out")

    @task(3)
    def dashboard(self) -> None:
        self._get("/", "dashboard")

    @task(4)
    def subject(self) -> None:
        self._get(f"/subject/{random.choice(PLAN['subjects'])}", "subject")

    @task(3)
    def network(self) -> None:
        self._get(f"/subject/{random.choice(PLAN['subjects'])}/network?depth=2", "network depth 2")

    @task(3)
    def search(self) -> None:
        self._get(f"/search?q={random.choice(PLAN['words'])}", "search")

    @task(2)
    def saved_query(self) -> None:
        qid, params = random.choice(PLAN["queries"])
        self._get(f"/queries/{qid}?run=1&{params}", "saved query")
