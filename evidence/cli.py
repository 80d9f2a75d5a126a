"""`python -m investigations package ...` (and `python -m evidence ...`): build a package from the
command line and append who built it to var/audit-cli.jsonl.
"""
from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import re
import sys
from pathlib import Path
from typing import Any

from graph import Graph

from .common import AuditFn, PackageError
from .package import build_package

ROOT = Path(__file__).resolve().parent.parent
CLI_AUDIT_LOG = ROOT / "var" / "audit-cli.jsonl"


def cli_audit(path: Path = CLI_AUDIT_LOG) -> AuditFn:
    """An audit function appending JSON lines (who, when, what) to `path`."""
    def log(action: str, details: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some containers
            user = ""
        entry = {"at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(), "action": action,
                 "os_user": user, "via": "cli", **details}
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
        from audittrail import record_cli  # the chained trail the app shows, with the OS user
        record_cli(action, details.get("subject_id"), **details)
    return log


def read_notes(path: Path) -> list[dict]:
    """Investigator's notes from a file: a JSON list of {"author","at","text"}, or plain text
    (paragraphs separated by blank lines become one note each)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        notes = json.loads(text)
        if not isinstance(notes, list):
            raise PackageError(f"{path}: expected a JSON list of notes")
        return [n if isinstance(n, dict) else {"text": str(n)} for n in notes]
    return [{"text": p.strip()} for p in re.split(r"\n\s*\n", text) if p.strip()]


def _date_arg(s: str) -> dt.date:
    try:
        return dt.date.fromisoformat(s)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {s}") from exc


def register(subparsers: Any) -> None:
    """Add `package SUBJECT_ID [--case] [--as-of] [--investigator] [--notes-file] --out DIR`."""
    p = subparsers.add_parser("package", help="evidence package of one subject for criminal referral")
    p.add_argument("subject_id")
    p.add_argument("--case", dest="case_no", help="only this case (default: all the subject's cases)")
    p.add_argument("--as-of", type=_date_arg, help="data cut-off date for the patterns (default: today)")
    p.add_argument("--investigator", default="", help="name printed on the cover and recorded in the audit log")
    p.add_argument("--notes-file", type=Path, help="investigator's notes: JSON list or plain text")
    p.add_argument("--param", action="append", default=[], metavar="PATTERN.K=V",
                   help="pattern parameter override (money in yuan)")
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """CLI entry: build the package, log it to var/audit-cli.jsonl, print where it went."""
    from graph import GraphError

    params: dict[str, dict] = {}
    for it in getattr(args, "param", None) or []:
        k, sep, v = it.partition("=")
        pid, _, name = k.partition(".")
        if not sep or not name:
            print(f"error: --param wants PATTERN.K=V, got {it!r}", file=sys.stderr)
            return 2
        params.setdefault(pid.strip(), {})[name.strip()] = v.strip()
    try:
        notes = read_notes(args.notes_file) if args.notes_file else []
        with Graph.connect() as g:
            res = build_package(g, args.subject_id, args.out, case_no=args.case_no, as_of=args.as_of,
                                investigator=args.investigator, notes=notes, params=params or None,
                                audit=cli_audit())
    except (PackageError, GraphError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{res.package_id}: {res.zip_path}")
    for name, h in sorted(res.files.items()):
        print(f"  {h}  {name}")
    print(f"  zip sha256 {res.zip_sha256}")
    return 0
