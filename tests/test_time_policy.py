"""One time policy: UTC with its zone in the app store and on loads, Beijing time with the zone
named on pages and in the PDF; a transfer's own clock shown as given."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ingest import list_loads, load_dir
from ingest.clock import display
from evidence.gather import _time_text
from evidence.pdf import _d
from web.extensions import db
from web.models import Investigation, Note, User

from test_webutil import login, make_app
from test_loads import A

UTC = dt.timezone.utc


def test_load_times_are_utc_with_zone(graph, tmp_path):
    before = dt.datetime.now(UTC).replace(microsecond=0)
    load_dir(graph, A, tmp_path / "r")
    [load] = list_loads(graph)
    for k in ("started_at", "finished_at"):
        assert load[k].utcoffset() == dt.timedelta(0), k
        assert before <= load[k] <= dt.datetime.now(UTC) + dt.timedelta(seconds=1)


def test_app_store_keeps_utc_and_pages_and_pdf_show_beijing_time(graph, tmp_path):
    app = make_app(graph, tmp_path)
    at = dt.datetime(2026, 1, 1, 20, 30, tzinfo=UTC)  # 04:30 the next day in Beijing
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "inv")).one()
        inv = Investigation(subject_id="P001", subject_name="张伟", created_by=user.id)
        db.session.add(inv)
        db.session.flush()
        db.session.add(Note(investigation_id=inv.id, author_id=user.id, body="核查笔记", created_at=at))
        db.session.commit()
        iid = inv.id
        db.session.expire_all()
        note = db.session.scalars(select(Note)).one()
        assert note.created_at == at and note.created_at.utcoffset() == dt.timedelta(0)
        assert db.session.get(Investigation, iid).created_at.tzinfo is not None
    html = login(app, "inv").get(f"/investigations/{iid}").get_data(as_text=True)
    assert "2026-01-02 04:30 北京时间" in html
    assert _d(at) == "2026-01-02 04:30 北京时间" == display(at, "zh")
    # a statement's own clock is not converted; a real midnight keeps its time in the package
    assert _time_text(dt.datetime(2024, 4, 2, 0, 0), True) == "00:00:00"
    assert _time_text(dt.datetime(2024, 4, 2, 0, 0), False) == ""
