"""Load test: the production server (waitress) on 127.0.0.1 with the demo data, driven by locust.

    .venv/bin/python bench/load_test.py [--persons 3000 --transfers 100000] [--data DIR]
                                        [--users 5,20,50] [--seconds 60] [--outage-seconds 20]

Generates the demo dataset (or uses --data), loads it into a throw-away local Neo4j (its own
port and password), scans it, creates an investigator and two saved queries, then serves the app
with `waitress` (8 threads) in a subprocess connected through NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD.
For each user count, locust (headless) runs the mix of bench/locustfile.py for --seconds and the
aggregate (requests, failures, req/s, p50, p95) is printed as one JSON line.

Outage phase: 20 users for --seconds; a third of the way in, Neo4j is stopped for --outage-seconds
and started again. Reported: how the requests answered while it was down (503 with the message),
and whether pages answer 200 again afterwards without restarting the app. Results are copied by
hand into docs/benchmarks.md ("Load"). Nothing is asserted.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph import Graph, LocalServer, free_port  # noqa: E402
from graph.db import Connection  # noqa: E402

PASSWORD = "load-test password 1"


def prepare(g: Graph, data: Path, work: Path) -> dict:
    """Load, scan, users and saved queries; the plan the locust users read."""
    from ingest import load_dir
    t = time.perf_counter()
    load_dir(g, data, work / "rejects")
    print(json.dumps({"step": "load", "seconds": round(time.perf_counter() - t, 1)}), flush=True)
    truth = json.loads((data / "ground_truth.json").read_text())
    as_of = dt.date.fromisoformat(truth["as_of"])
    os.environ["APP_DATABASE_URL"] = f"sqlite:///{work / 'app.db'}"
    from app import create_app
    from web.extensions import db
    from web.main import run_scan
    from web.models import SavedQuery, SavedQueryVersion, User
    app = create_app({"GRAPH": g, "SECRET_KEY": "load-test", "SCAN_AS_OF": as_of})
    with app.app_context():
        users = {}
        for name, role in (("loadinv", "investigator"), ("loadsup", "supervisor")):
            u = User(username=name, role=role)
            u.set_password(PASSWORD)
            db.session.add(u)
            users[name] = u
        db.session.commit()
        t = time.perf_counter()
        run = run_scan(users["loadsup"], as_of)
        print(json.dumps({"step": "scan", "leads": run.lead_count, "seconds": round(time.perf_counter() - t, 1)}),
              flush=True)
        queries = []
        for slug, cypher, spec, params in (
            ("big_out", "MATCH (p:Person)-[:HOLDS]->(:Account)-[t:TRANSFER]->(:Account) WHERE t.amount_fen >= $min "
                        "RETURN p.person_id AS subject_id, p.name AS name, t.transfer_id AS transfer_id, "
                        "t.amount_fen AS amount_fen ORDER BY amount_fen DESC LIMIT 200",
             [{"name": "min", "type": "yuan", "default": "500000"}], "p_min=500000"),
            ("open_cases", "MATCH (d)-[:DEBTOR_IN]->(k:Case) WHERE k.unpaid_fen > 0 "
                           "RETURN k.case_no AS case_no, d.name AS name, k.unpaid_fen AS unpaid_fen "
                           "ORDER BY unpaid_fen DESC LIMIT 100", [], ""),
        ):
            q = SavedQuery(slug=slug, created_by=users["loadsup"].id)
            db.session.add(q)
            db.session.flush()
            db.session.add(SavedQueryVersion(query_id=q.id, version=1, title=slug, cypher=cypher,
                                             params_json=json.dumps(spec), author_id=users["loadsup"].id))
            queries.append([q.id, params])
        db.session.commit()
    subjects = sorted({p["subject_id"] for p in truth["planted"] if p.get("subject_id")})[:20]
    names = [r["n"] for r in g.read("MATCH (p:Person) WHERE p.person_id IN $ids RETURN p.name AS n",
                                    {"ids": subjects})]
    words = sorted({n[1:] for n in names if n and len(n) > 1})[:20] or ["张"]
    return {"user": "loadinv", "password": PASSWORD, "subjects": subjects, "words": words, "queries": queries}


def serve(conn: Connection, work: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "NEO4J_URI": conn.uri, "NEO4J_USER": conn.user or "", "NEO4J_PASSWORD": conn.password or "",
           "APP_DATABASE_URL": f"sqlite:///{work / 'app.db'}", "SECRET_KEY": "load-test"}
    proc = subprocess.Popen([sys.executable, "-m", "waitress", "--host", "127.0.0.1", "--port", str(port),
                             "--threads", "8", "--call", "app:create_app"], cwd=ROOT, env=env,
                            stdout=open(work / "waitress.log", "wb"), stderr=subprocess.STDOUT)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"waitress did not answer; see {work / 'waitress.log'}")


def locust(port: int, users: int, seconds: int, plan: Path, prefix: Path) -> dict:
    subprocess.run([str(Path(sys.executable).parent / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"),
                    "--headless", "-u", str(users), "-r", str(max(1, users // 2)), "--run-time", f"{seconds}s",
                    "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
                    "--loglevel", "WARNING"],
                   env={**os.environ, "LOAD_TEST_PLAN": str(plan)}, cwd=ROOT, check=False,
                   stdout=subprocess.DEVNULL, stderr=open(f"{prefix}.log", "wb"))
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    agg = next(r for r in rows if r["Name"] == "Aggregated")
    per = {r["Name"]: {"n": int(r["Request Count"]), "p50": r["50%"], "p95": r["95%"]}
           for r in rows if r["Name"] != "Aggregated"}
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", encoding="utf-8") as f:
            failures = [{"name": r["Name"], "error": r["Error"], "n": int(r["Occurrences"])} for r in csv.DictReader(f)]
    return {"users": users, "seconds": seconds, "requests": int(agg["Request Count"]),
            "failures": int(agg["Failure Count"]), "req_per_s": round(float(agg["Requests/s"]), 1),
            "p50_ms": int(float(agg["50%"])), "p95_ms": int(float(agg["95%"])), "pages": per, "errors": failures}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=3000)
    ap.add_argument("--transfers", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data", type=Path)
    ap.add_argument("--users", default="5,20,50")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--outage-seconds", type=int, default=20)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="load-test-"))
    data = args.data or work / "data"
    if not args.data:
        subprocess.run([sys.executable, "-m", "ingest", "generate", str(data), "--seed", str(args.seed),
                        "--persons", str(args.persons), "--transfers", str(args.transfers)], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
    server = LocalServer(work / "db", free_port(), heap="2g", pagecache_mb=1024)
    web = None
    try:
        st = server.start()
        conn = Connection(st.uri, "neo4j", server.password(), "neo4j", False)
        with Graph(conn) as g:
            g.ensure_schema()
            plan = prepare(g, data, work)
        plan_file = work / "plan.json"
        plan_file.write_text(json.dumps(plan, ensure_ascii=False))
        port = free_port()
        web = serve(conn, work, port)
        locust(port, 5, 15, plan_file, work / "warmup")  # plans and page cache warm
        for n in [int(x) for x in args.users.split(",") if x.strip()]:
            print(json.dumps(locust(port, n, args.seconds, plan_file, work / f"u{n}"), ensure_ascii=False), flush=True)
        # Outage: stop Neo4j a third of the way in, start it again after --outage-seconds.
        events = {}

        def outage() -> None:
            time.sleep(args.seconds / 3)
            events["stopped_at"] = time.monotonic()
            server.stop()
            events["stop_took_s"] = round(time.monotonic() - events["stopped_at"], 1)
            time.sleep(args.outage_seconds)
            try:
                server.start(timeout=900)
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                events["start_error"] = str(exc)[:300]
            events["started_at"] = time.monotonic()

        t = threading.Thread(target=outage)
        t0 = time.monotonic()
        t.start()
        res = locust(port, 20, args.seconds, plan_file, work / "outage")
        t.join()
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10).status
        res["outage"] = {"stopped_after_s": round(events["stopped_at"] - t0, 1),
                         "down_s": round(events["started_at"] - events["stopped_at"], 1),
                         "stop_took_s": events.get("stop_took_s"), "start_error": events.get("start_error")}
        print(json.dumps(res, ensure_ascii=False), flush=True)
        after = locust(port, 5, 15, plan_file, work / "after")
        print(json.dumps({"after_outage": after, "login_page": body}, ensure_ascii=False), flush=True)
    finally:
        if web is not None:
            web.terminate()
            web.wait(30)
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
