"""Benchmark: server-side time of the UI's pages on generated demo-size data (Flask test client).

    .venv/bin/python bench/bench_pages.py --persons 3000 --transfers 100000 [--data DIR] [--repeat 5]

Generates a dataset (or uses --data, a generated folder with ground_truth.json), loads it
into its own throw-away local Neo4j (or NEO4J_URI, which it EMPTIES), scans it, then times
each page (median and max of --repeat requests, after one warm-up) for planted subjects.
Prints one JSON line per page; results are copied by hand into docs/benchmarks.md
("Web pages"), with the machine they ran on. The target (< 1 s) is not asserted anywhere.

    .venv/bin/python bench/bench_pages.py --hub 5000 [--repeat 5] [--warmup 3]

instead builds one subject (H0) with that many neighbours (one account each, paid from H0's
account, each also paying on to a second-hop account) and times its network page at depth 1 and 2,
the model's layout and vis conversion alone, the GraphML download, and then the page's stages one by
one (`stages()`: the profile, each Cypher read of neighbourhood() by its query name with its rows, the
layout, the vis data, the GraphML bytes). "Network page at 5,000 neighbours (session 17)" and
"Network page under 500 ms (session 18)" in docs/benchmarks.md; target < 500 ms server-side, capped.
`hub()` and `stages()` are importable (bench/bench_growth.py calls them).

    NEO4J_LOCAL_DATA=DIR NEO4J_LOCAL_PORT=PORT .venv/bin/python bench/bench_pages.py --subject ID [--depth 2]

times one subject's network page stage by stage, read by read, on an already loaded server (nothing
written; the page's default window): "Network page as the store grows (session 20)".
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph import Graph, scratch_connection  # noqa: E402
from ingest import load_dir  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=3000)
    ap.add_argument("--transfers", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data", type=Path, help="an already generated folder")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=3,
                    help="--hub: untimed requests before each timing (Neo4j compiles and caches plans)")
    ap.add_argument("--hub", type=int, help="time the network page of one subject with this many neighbours")
    ap.add_argument("--subject", help="only time this subject's network page stage by stage (`stages()`, the "
                    "page's default window) on the ALREADY LOADED server of NEO4J_URI / NEO4J_LOCAL_DATA (read only)")
    ap.add_argument("--depth", type=int, default=1, help="--subject: the network's depth")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    if args.subject:
        try:
            with Graph.connect(start_local=False) as g:
                subject_page(g, args.subject, work, args.repeat, args.warmup, args.depth)
                stages(g, args.subject, args.repeat, args.depth, since="page")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    if args.hub:
        try:
            return hub(args.hub, work, args.repeat, args.warmup)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    data = args.data or work / "data"
    if not args.data:
        subprocess.run([sys.executable, "-m", "ingest", "generate", str(data), "--seed", str(args.seed),
                        "--persons", str(args.persons), "--transfers", str(args.transfers)], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
    truth = json.loads((data / "ground_truth.json").read_text())
    as_of = dt.date.fromisoformat(truth["as_of"])
    try:
        with scratch_connection(work / "db", heap="2g", pagecache_mb=1024) as conn, Graph(conn) as g:
            g.wipe()
            t = time.perf_counter()
            load_dir(g, data, work / "rejects")
            print(json.dumps({"step": "load", "seconds": round(time.perf_counter() - t, 1)}), flush=True)
            run(g, truth, as_of, work, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def time_get(client, url: str, repeat: int) -> tuple[float, list[float], object]:
    """A first request (timed apart: plans and caches warm up), then `repeat` timed ones; returns
    (first seconds, the timed seconds, the last response). The bench_growth pages use it too."""
    t = time.perf_counter()
    r = client.get(url)
    first = time.perf_counter() - t
    assert r.status_code == 200, (url, r.status_code)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get(url)
        times.append(time.perf_counter() - t)
    return first, times, r


def run(g: Graph, truth: dict, as_of: dt.date, work: Path, repeat: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_webutil import make_app, login

    from web.extensions import db
    from web.main import run_scan
    from web.models import User

    app = make_app(g, work, SCAN_AS_OF=as_of)
    with app.app_context():
        t = time.perf_counter()
        sc = run_scan(db.session.scalar(db.select(User).where(User.username == "sup")), as_of)
        print(json.dumps({"step": "scan (all patterns, stored)", "leads": sc.lead_count,
                          "seconds": round(time.perf_counter() - t, 1)}), flush=True)
    client = login(app, "inv")
    planted = [p for p in truth["planted"] if p.get("subject_id")]
    by_pattern = {}
    for p in planted:
        by_pattern.setdefault(p["pattern"], p)
    subjects = [p["subject_id"] for p in by_pattern.values()][:4]
    busiest = g.read_one("""
        MATCH (p:Person)-[:HOLDS]->(a:Account)
        WITH p, sum(COUNT { (a)-[:TRANSFER]-() }) AS n ORDER BY n DESC LIMIT 1
        RETURN p.person_id AS id, n""")
    name = g.read_one("MATCH (p:Person {person_id: $id}) RETURN p.name AS n", {"id": subjects[0]})["n"]
    pages = [("dashboard", "/"), ("search (partial name)", "/search?q=" + name[1:]),
             ("pattern library", "/patterns"),
             ("run pattern post_filing_transfer_to_related",
              f"/patterns/post_filing_transfer_to_related?run=1&as_of={as_of}"),
             ("run pattern layered_chain", f"/patterns/layered_chain?run=1&as_of={as_of}"),
             ("investigations", "/investigations")]
    for sid in subjects:
        pages += [(f"subject {sid}", f"/subject/{sid}"), (f"network d1 {sid}", f"/subject/{sid}/network"),
                  (f"network d2 {sid}", f"/subject/{sid}/network?depth=2"),
                  (f"network d3 {sid}", f"/subject/{sid}/network?depth=3")]
    pages += [(f"subject (busiest, {busiest['n']} transfers)", f"/subject/{busiest['id']}"),
              ("network d2 (busiest, since none)", f"/subject/{busiest['id']}/network?depth=2&since="),
              ("network d3 (busiest, since none)", f"/subject/{busiest['id']}/network?depth=3&since=")]
    for label, url in pages:
        _, times, r = time_get(client, url, repeat)
        nodes = None
        if "/network" in url:
            html = r.get_data(as_text=True)
            nodes = html.count('"openable"')
        print(json.dumps({"page": label, "median_ms": round(1000 * statistics.median(times)),
                          "max_ms": round(1000 * max(times)), "bytes": len(r.get_data()),
                          **({"nodes": nodes} if nodes is not None else {})}), flush=True)


def hub(n: int, work: Path, repeat: int, warmup: int = 3) -> int:
    """One subject with `n` neighbours: load, then time its network page (capped) and its parts."""
    sys.path.insert(0, str(ROOT / "tests"))
    from hubdata import write_hub
    data = write_hub(work / "hub", n)
    from test_webutil import login, make_app

    from investigations import netmodel
    from investigations.network import neighbourhood
    with scratch_connection(work / "db", heap="1g", pagecache_mb=512) as conn, Graph(conn) as g:
        g.wipe()
        t = time.perf_counter()
        load_dir(g, data, work / "rejects")
        print(json.dumps({"step": f"load hub with {n} neighbours", "seconds": round(time.perf_counter() - t, 1)}),
              flush=True)
        app = make_app(g, work)
        client = login(app, "inv")

        def timed(label: str, fn, **extra) -> None:
            for _ in range(max(1, warmup)):
                fn()
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                out = fn()
                times.append(time.perf_counter() - t)
            print(json.dumps({"page": label, "median_ms": round(1000 * statistics.median(times)),
                              "max_ms": round(1000 * max(times)), **extra, **(out or {})}), flush=True)

        def page(url: str, c=client):
            def go():
                r = c.get(url)
                assert r.status_code == 200, (url, r.status_code)
                html = r.get_data(as_text=True)
                return {"bytes": len(r.data), "nodes": html.count('"openable"')} if "<html" in html[:200].lower() \
                    else {"bytes": len(r.data)}
            return go

        for d in (1, 2):
            timed(f"network d{d} hub ({n} neighbours, cap {netmodel.PAGE_MAX_NODES})",
                  page(f"/subject/H0/network?depth={d}"))
            nb = neighbourhood(g, "H0", depth=d, since=None)
            timed(f"  neighbourhood() d{d}", lambda d=d: {"more": neighbourhood(g, "H0", depth=d)["more"]})
            timed(f"  layout + vis data d{d} ({len(nb['nodes'])} nodes)",
                  lambda nb=nb: {"edges": len(netmodel.to_vis(nb, netmodel.plain_words())["edges"])})
        stages(g, "H0", repeat)
        timed("network export graphml d1", page("/subject/H0/network/export?format=graphml&depth=1"))
        (work / "big").mkdir()
        big = login(make_app(g, work / "big", NETWORK_MAX_NODES=netmodel.HARD_MAX_NODES), "inv")
        timed(f"network d1 hub, cap raised to {netmodel.HARD_MAX_NODES}", page("/subject/H0/network?depth=1", big))
    return 0


def subject_page(g: Graph, subject_id: str, work: Path, repeat: int, warmup: int = 3, depth: int = 1) -> None:
    """The subject's network page (the page's default window, capped) through the Flask test client, on a
    loaded server: median and max of `repeat` requests after `warmup` untimed ones, with the load average."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_webutil import login, make_app

    client = login(make_app(g, work), "inv")
    url = f"/subject/{subject_id}/network?depth={depth}"
    for _ in range(max(1, warmup)):
        client.get(url)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get(url)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, (url, r.status_code)
    html = r.get_data(as_text=True)
    m = re.search(r'"more":\s*(\d+)', html)
    print(json.dumps({"page": url, "median_ms": round(1000 * statistics.median(times)),
                      "max_ms": round(1000 * max(times)), "bytes": len(r.data), "nodes": html.count('"openable"'),
                      "more": int(m.group(1)) if m else None, "loadavg": [round(x, 2) for x in os.getloadavg()]}),
          flush=True)


def stages(g: Graph, subject_id: str, repeat: int, depth: int = 1, since: object = None) -> None:
    """Where the network page's server time goes, stage by stage (median of `repeat` after a warm-up):
    the subject's header (the page's title and default window), each Cypher read of
    neighbourhood() with its rows, the radial layout, the vis data and the GraphML bytes.
    `since`: the window start; "page" = the page's default (the open cases' earliest litigation start)."""
    from investigations import netmodel, queries, subject
    from investigations.network import neighbourhood

    names = {v: k for k, v in vars(queries).items() if k.startswith("Q_") and isinstance(v, str)}
    reads: list[tuple[str, int, float]] = []
    plain = Graph.read

    def read(self, cypher, params=None, *a, **kw):
        t = time.perf_counter()
        rows = plain(self, cypher, params, *a, **kw)
        n = len(rows)
        if cypher == queries.Q_NETWORK_TRANSFERS and rows and "rows" in rows[0]:
            n = len(rows[0]["rows"])  # one row: the counterparties' pair rows, and their total
        reads.append((names.get(cypher, cypher.strip()[:40]), n, time.perf_counter() - t))
        return rows

    def med(xs: list[float]) -> float:
        return round(1000 * statistics.median(xs), 1)

    prof_t, nb_t, lay_t, vis_t, gml_t, per_read = [], [], [], [], [], []
    Graph.read = read
    try:
        for i in range(repeat + 1):
            t = time.perf_counter()
            head = subject.header(g, subject_id)
            t1 = time.perf_counter()
            reads.clear()
            nb = neighbourhood(g, subject_id, depth=depth,
                               since=head["open_litigation_start"] if since == "page" else since)
            t2 = time.perf_counter()
            pos = netmodel.canvas_positions(nb)
            t3 = time.perf_counter()
            netmodel.to_vis(nb, netmodel.plain_words(), positions=pos)
            t4 = time.perf_counter()
            netmodel.export_bytes(nb, "graphml")
            t5 = time.perf_counter()
            if i:  # the first round warms up
                prof_t.append(t1 - t)
                nb_t.append(t2 - t1)
                lay_t.append(t3 - t2)
                vis_t.append(t4 - t3)
                gml_t.append(t5 - t4)
                per_read.append(list(reads))
    finally:
        Graph.read = plain
    print(json.dumps({"stage": "subject header (title, default window)", "median_ms": med(prof_t),
                      "subject": subject_id, "depth": depth, "nodes": len(nb["nodes"]), "edges": len(nb["edges"]),
                      "loadavg": [round(x, 2) for x in os.getloadavg()]}))
    print(json.dumps({"stage": f"neighbourhood() d{depth}", "median_ms": med(nb_t), "reads": len(per_read[0]),
                      "cypher_ms": med([sum(r[2] for r in rs) for rs in per_read])}))
    for k, (q, rows, _) in enumerate(per_read[0]):
        print(json.dumps({"stage": f"  read {k + 1}: {q}", "rows": rows, "median_ms": med([rs[k][2] for rs in per_read])}))
    print(json.dumps({"stage": f"layout ({len(nb['nodes'])} nodes)", "median_ms": med(lay_t)}))
    print(json.dumps({"stage": "vis data (labels, titles, widths)", "median_ms": med(vis_t)}))
    print(json.dumps({"stage": "GraphML bytes", "median_ms": med(gml_t)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
