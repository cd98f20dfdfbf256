"""I4: every back-office list exports to Excel with its filters and the user's row scope — read a batch at a
time and written with constant memory; a list longer than EXPORT_SYNC_ROWS is exported by a background job
(a real Celery worker on PostgreSQL + Redis) whose page shows the progress and the download."""
import io
import re

import pytest
from openpyxl import load_workbook

import views.base
from app.extensions import db
from models import Person, PlatformUser
from tests.conftest import second_institution_user, wait_for_job
from tests.results_helpers import new_person


def rows_of(data):
    return list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))


@pytest.fixture
def formula_person(app):
    """A person of the demo institution whose name looks like a formula."""
    with app.app_context():
        own = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
    pid = new_person(app, name="=1+1", institution_id=own)
    return own, pid


def test_the_export_follows_the_filters_in_batches(app, login, formula_person, monkeypatch):
    """I4: the export of a filtered list holds exactly its rows, read in several batches; a cell that looks
    like a formula stays text."""
    own, _pid = formula_person
    monkeypatch.setattr(views.base, "EXPORT_BATCH", 3)  # several batches on a small list
    c = login("institution")
    r = c.get("/personview/export/")
    assert r.status_code == 200 and r.headers["Cache-Control"].startswith("private")
    rows = rows_of(r.data)
    with app.app_context():
        mine = db.session.query(Person).filter_by(institution_id=own).count()
    assert len(rows) - 1 == mine > 3
    names = [row[0] for row in rows[1:]]
    assert "=1+1" in names and len(set(rows[1:])) == len(rows) - 1  # every row once
    r = c.get("/personview/export/", query_string={"_flt_0_name": "=1+1"})
    assert [row[0] for row in rows_of(r.data)[1:]] == ["=1+1"]


def test_a_long_list_is_exported_by_a_job_in_the_users_scope(app, login, formula_person):
    """I4: above the threshold the export is a job: its page polls the progress, the file holds the list in
    the user's scope, the user downloads it, another institution may not."""
    own, _pid = formula_person
    app.config["EXPORT_SYNC_ROWS"] = 2
    try:
        c = login("institution")
        page = c.get("/personview/export/")
    finally:
        app.config["EXPORT_SYNC_ROWS"] = 5000
    assert page.status_code == 200 and "后台导出" in page.text, page.text[:500]
    job_id = int(re.search(r'data-url="/jobs/(\d+)"', page.text).group(1))
    state = wait_for_job(c, job_id)
    assert state["status"] == "done", state
    with app.app_context():
        mine = db.session.query(Person).filter_by(institution_id=own).count()
    assert state["total"] == mine and f"{mine}" in state["result"]["message"]
    download = c.get(f"/files/{state['result']['attachment_id']}")
    assert download.status_code == 200
    rows = rows_of(download.data)
    assert len(rows) - 1 == mine and "=1+1" in [row[0] for row in rows[1:]]
    other = login(second_institution_user(app))
    assert other.get(f"/files/{state['result']['attachment_id']}").status_code in (403, 404)
    assert other.get(f"/jobs/{job_id}").status_code == 404


def test_export_needs_the_export_permission(login):
    """I4: a role without the list has no export either."""
    assert login("teacher").get("/personview/export/").status_code in (302, 403)
    assert login("support").get("/orderview/export/").status_code in (302, 403)
