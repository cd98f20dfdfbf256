"""Scores in the back office (SPEC E1, E2, D12; issue 6): entry with all-or-nothing checks,
the Excel import against admission ticket numbers, publication, the gate for institutions,
and who may do what."""
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from app.extensions import db
from models import ExamPlan, ExamResult, Person, PlatformUser, Score
from tests.conftest import second_institution_user, wait_for_job
from tests.results_helpers import give_scores, new_person, sat_exam, seat


def _own_institution(app, username="institution"):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username=username).one().institution_id


def _results(app, regs):
    with app.app_context():
        return {r.registration_id: (r.total, r.passed) for r in
                db.session.query(ExamResult).filter(ExamResult.registration_id.in_(regs))}


def test_entry_refuses_bad_cells_by_name_then_saves_all(app, login):
    exam = sat_exam(app)
    theory, practice = exam["subjects"]
    a_reg, a_ticket = seat(app, exam, new_person(app, name="录入甲"))
    b_reg, _b = seat(app, exam, new_person(app, name="录入乙"))
    c = login("association")
    url = f"/scores/{exam['id']}"
    page = c.get(url)
    assert page.status_code == 200 and a_ticket in page.text and "录入甲" in page.text
    bad = {f"s{a_reg}_{theory}": "101", f"s{a_reg}_{practice}": "80",
           f"s{b_reg}_{theory}": "7x", f"s{b_reg}_{practice}": "60", f"a{b_reg}_{practice}": "1"}
    r = c.post(url, bad, token_from=url)
    assert r.status_code == 200
    errors = r.text.split('alert alert-danger"><ul>')[1].split("</ul>")[0]
    assert f"录入甲（准考证号 {a_ticket}），理论" in errors and "0 到 100" in errors
    assert "录入乙" in errors and "“7x”不是数字" in errors and "缺考" in errors
    with app.app_context():  # nothing written
        assert db.session.query(Score).filter(Score.registration_id.in_([a_reg, b_reg])).count() == 0
    good = {f"s{a_reg}_{theory}": "90", f"s{a_reg}_{practice}": "80.5",
            f"s{b_reg}_{theory}": "70", f"a{b_reg}_{practice}": "1"}
    r = c.post(url, good, token_from=url)
    assert r.status_code == 302
    assert _results(app, [a_reg, b_reg]) == {a_reg: (Decimal("85.25"), True), b_reg: (Decimal("35.00"), False)}
    page = c.get(url).text
    assert "85.25" in page and "合格" in page and "不合格" in page


def _workbook(c, exam_id, rows):
    template = c.get(f"/imports/scores/template/scores?exam_plan_id={exam_id}")
    assert template.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(template.data))
    ws = book.active
    headers = [cell.value for cell in ws[2]]
    assert headers == ["*准考证号", "*姓名", "理论", "实操"]  # * marks a required column
    for n in range(ws.max_row, 2, -1):  # the template's example row
        ws.delete_rows(n)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(c, exam_id, data):
    r = c.post("/imports/scores/upload/scores", {"file": (io.BytesIO(data), "scores.xlsx"),
                                                 "exam_plan_id": str(exam_id)},
               token_from="/imports/scores/", content_type="multipart/form-data")
    assert r.status_code == 302, r.text[:300]
    return wait_for_job(c, int(r.location.rstrip("/").rsplit("/", 1)[1]))


def test_import_with_errors_then_the_fixed_file(app, login):
    exam = sat_exam(app)
    one, t1 = seat(app, exam, new_person(app, name="导入甲"))
    two, t2 = seat(app, exam, new_person(app, name="导入乙"))
    other_exam = sat_exam(app)
    _x, foreign = seat(app, other_exam, new_person(app, name="别的考试"))
    c = login("association")
    bad = [[t1, "导入甲", "95", "90"],          # right, but the file is refused as a whole
           [t2, "导入丙", "60", "60"],          # the ticket is someone else's
           [foreign, "别的考试", "60", "60"],   # a ticket of another exam
           [t1, "导入甲", "50", "50"],          # repeated ticket
           [t2, "导入乙", "缺席", "120"]]       # neither a score nor 缺考; over full marks
    state = _upload(c, exam["id"], _workbook(c, exam["id"], bad))
    assert state["status"] == "done" and state["result"]["errors"] == 5, state
    report = c.get(f"/files/{state['result']['attachment_id']}")
    rows = list(openpyxl.load_workbook(io.BytesIO(report.data)).active.iter_rows(min_row=2, values_only=True))
    assert {(r[0], r[1]) for r in rows} == {(4, "姓名"), (5, "准考证号"), (6, "准考证号"), (7, "理论"), (7, "实操")}
    assert any("第 3 行重复" in r[2] for r in rows) and any("0 到 100" in r[2] for r in rows)
    with app.app_context():
        assert db.session.query(Score).filter(Score.registration_id.in_([one, two])).count() == 0
    good = [[t1, "导入甲", 95, "88.5"], [t2, "导入乙", "缺考", "60"]]
    state = _upload(c, exam["id"], _workbook(c, exam["id"], good))
    assert state["status"] == "done" and state["result"]["errors"] == 0, state
    assert _results(app, [one, two]) == {one: (Decimal("91.75"), True), two: (Decimal("30.00"), False)}
    with app.app_context():
        absent = db.session.query(Score).filter_by(registration_id=two, subject_id=exam["subjects"][0]).one()
        assert absent.absent and absent.score is None


def test_publication_gate_for_institutions(app, login):
    own = _own_institution(app)
    other_user = second_institution_user(app)
    other = _own_institution(app, other_user)
    exam = sat_exam(app)
    mine, _t = seat(app, exam, new_person(app, name="甲方考生", institution_id=own), institution_id=own)
    theirs, _t2 = seat(app, exam, new_person(app, name="乙方考生", institution_id=other), institution_id=other)
    for reg in (mine, theirs):
        give_scores(app, reg, {s: Decimal("77.25") for s in exam["subjects"]})
    inst = login("institution")
    assert inst.get(f"/scores/{exam['id']}").status_code == 404  # not published: as if absent
    assert "甲方考生" not in inst.get("/scores/").text
    for generic in ("/scoreview/list/", "/examresultview/list/"):  # nor through the generic lists
        assert "77.25" not in inst.get(generic).text
    a = login("association")
    r = a.post(f"/scores/{exam['id']}/publish", {}, token_from=f"/scores/{exam['id']}")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(ExamPlan, exam["id"]).results_published_at <= datetime.datetime.now()
    page = inst.get(f"/scores/{exam['id']}").text
    assert "甲方考生" in page and "77.25" in page and "乙方考生" not in page
    assert 'name="s' not in page  # read-only for institutions
    r = inst.post(f"/scores/{exam['id']}", {f"s{mine}_{exam['subjects'][0]}": "99"},
                  token_from=f"/scores/{exam['id']}")
    assert r.status_code == 403
    assert "甲方考生" not in login(other_user).get(f"/scores/{exam['id']}").text


@pytest.mark.parametrize("username", ["institution", "expert", "support", "finance"])
def test_only_the_association_enters_imports_and_publishes(app, login, username):
    exam = sat_exam(app)
    c = login(username)
    assert c.get("/imports/scores/").status_code in (302, 403)
    r = c.post(f"/scores/{exam['id']}/publish", {}, token_from="/notifications/")
    assert r.status_code in (302, 403, 404)
    with app.app_context():
        assert db.session.get(ExamPlan, exam["id"]).results_published_at is None


def test_candidates_never_reach_the_back_office_scores(app, login):
    c = login("candidate")
    assert c.get("/scores/").status_code in (302, 403)
    with app.app_context():
        assert db.session.query(Person).count() > 0
