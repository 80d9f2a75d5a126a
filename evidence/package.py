"""Step 4 of the package: write the files, the manifest (SHA-256 of each) and a reproducible zip.

`build_package` runs the pipeline gather -> figures -> files -> manifest/zip; only the manifest's
`generated_at` differs between two builds of the same data (tests/test_package.py).
The names other code imports (build_package, verify_manifest, PackageError, the text helpers)
stay importable from here; the command line is evidence.cli.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import zipfile
from pathlib import Path

from graph import Graph
from investigations.freeze_pdf import package_files as freeze_files
from investigations.scan import TOOL_VERSION

from .common import (MAX_FIGURE_NODES, MAX_HTML_NODES, PACKAGE_FORMAT, ZIP_DATE_TIME, AuditFn,  # noqa: F401
                     PackageError, PackageResult, fen_plain, fen_text, json_bytes, safe_name, sha256_file)
from .files import CSV_COLUMNS, evidence_csv, leads_json, network_html  # noqa: F401
from .gather import gather

logger = logging.getLogger(__name__)


def _write_zip(zip_path: Path, files: list[tuple[str, Path]]) -> None:
    """A zip whose bytes depend only on the files' contents (fixed dates, order, attributes)."""
    tmp = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name, path in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, path.read_bytes(), compresslevel=6)
    tmp.replace(zip_path)


def build_package(graph: Graph, subject_id: str, out_dir: Path, case_no: str | None = None,
                  as_of: dt.date | None = None, investigator: str = "", notes: list[dict] | None = None,
                  params: dict | None = None, audit: AuditFn | None = None) -> PackageResult:
    """Build the evidence package of one subject into `out_dir` and return what was written.

    `params` maps pattern id to overrides (CLI / UI units), as for `investigations.scan`;
    `notes` are the investigator's notes ({"author", "at", "text"}, shown in order); `audit`
    is called once with ("package.generate", details) after the package is complete.
    """
    from .pdf import render_pdf  # matplotlib / weasyprint only when a package is built

    as_of = as_of or dt.date.today()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = gather(graph, subject_id, case_no, as_of, params)
    notes = [dict(n) for n in (notes or [])]

    csv_b = evidence_csv(data["records"])
    leads_b = leads_json(data)
    ident = hashlib.sha256(json_bytes({
        "subject": subject_id, "case": case_no, "as_of": as_of.isoformat(), "investigator": investigator,
        "notes": notes, "csv": hashlib.sha256(csv_b).hexdigest(), "leads": hashlib.sha256(leads_b).hexdigest(),
        "format": PACKAGE_FORMAT,
    })).hexdigest()
    package_id = f"EP-{as_of.strftime('%Y%m%d')}-{ident[:12].upper()}"
    html_b = network_html(data, package_id)

    paths = {"evidence.csv": out_dir / "evidence.csv", "leads.json": out_dir / "leads.json",
             "network.html": out_dir / "network.html", "dossier.pdf": out_dir / "dossier.pdf"}
    paths["evidence.csv"].write_bytes(csv_b)
    paths["leads.json"].write_bytes(leads_b)
    paths["network.html"].write_bytes(html_b)
    # the freeze list (CSV and one-page PDF) for the same subject, case, as-of and leads
    freeze = freeze_files(graph, subject_id, case_no, as_of, leads=data["leads"], recoveries=None)
    for name, blob in sorted(freeze.items()):
        paths[name] = out_dir / name
        paths[name].write_bytes(blob)
    fig_info = render_pdf(data, paths["dossier.pdf"], package_id=package_id, investigator=investigator,
                          notes=notes)

    files = {name: sha256_file(p) for name, p in sorted(paths.items())}
    counts: dict[str, int] = {}
    for r in data["records"]:
        counts[r["kind"]] = counts.get(r["kind"], 0) + 1
    manifest = {
        "package_format": PACKAGE_FORMAT, "package_id": package_id, "tool_version": TOOL_VERSION,
        "subject_id": subject_id, "subject_kind": data["kind"], "case_no": case_no, "as_of": as_of.isoformat(),
        "investigator": investigator, "notes": len(notes),
        "patterns": data["parameters"], "patterns_hit": sorted({x["pattern"] for x in data["leads"]}),
        "leads": len(data["leads"]), "records": counts, "load_ids": data["load_ids"],
        "figures": fig_info, "freeze_list": sorted(freeze),
        "files": {name: {"sha256": h, "bytes": paths[name].stat().st_size} for name, h in files.items()},
        "generated_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
    }
    paths["manifest.json"] = out_dir / "manifest.json"
    paths["manifest.json"].write_bytes(json_bytes(manifest))
    zip_path = out_dir / f"evidence-package-{safe_name(subject_id)}-{as_of.isoformat()}.zip"
    _write_zip(zip_path, [(n, paths[n]) for n in ("dossier.pdf", "evidence.csv", "network.html", "leads.json",
                                                  *sorted(freeze), "manifest.json")])
    zip_sha = sha256_file(zip_path)
    result = PackageResult(package_id, out_dir, zip_path, paths["dossier.pdf"], manifest, files, zip_sha, paths)
    if audit is not None:
        audit("package.generate", {
            "subject_id": subject_id, "case_no": case_no, "as_of": as_of.isoformat(), "investigator": investigator,
            "package_id": package_id, "zip": zip_path.name, "zip_sha256": zip_sha,
            "manifest_sha256": sha256_file(paths["manifest.json"]), "generated_at": manifest["generated_at"],
        })
    logger.info("package %s for %s: %d records, %d leads -> %s", package_id, subject_id, len(data["records"]),
                len(data["leads"]), zip_path)
    return result


def verify_manifest(directory: Path) -> list[str]:
    """The files whose SHA-256 differs from manifest.json (empty when the package is intact)."""
    directory = Path(directory)
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    bad = []
    for name, info in sorted(manifest["files"].items()):
        p = directory / name
        if not p.exists() or sha256_file(p) != info["sha256"]:
            bad.append(name)
    return bad
