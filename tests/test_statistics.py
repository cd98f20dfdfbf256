"""I2 统计分析 over HTTP: the figures of an exam the test builds (registrations per site and institution and
status, pass rates per exam, subject and institution, fees per month and payment way, refunds), each table's
Excel download with the page's filters, the institution's own figures only, bad filters in Chinese, and
access per role."""
import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest

from app.extensions import db
from models import Certificate, ExamPlan, Institution, Matter, Order, PlatformUser, Refund, Registration
from tests.results_helpers import give_scores, new_person, sat_exam, seat

NOW = datetime.datetime.now()


@pytest.fixture(scope="module")
def exam(app):
    """A sat exam: at the first institution 3 registered (2 pass) and 1 submitted, at the second 1 registered
    (fails); paid orders of 380 yuan (online, offline) this month and one refund of 100 yuan."""
    e = sat_exam(app)
    first, second = e["institutions"]
    regs = []
    for inst, mark in [(first, 80), (first, 80), (first, 30), (second, 20)]:
        reg_id, _ticket = seat(app, e, new_person(app, institution_id=inst), inst)
        give_scores(app, reg_id, {s: mark for s in e["subjects"]}, publish=True)
        regs.append(reg_id)
    with app.app_context():
        db.session.add(Registration(exam_plan_id=e["id"], person_id=new_person(app, institution_id=first),
                                    institution_id=first, status="submitted", category="first",
                                    submitted_at=NOW))
        for n, reg_id in enumerate(regs[:3]):
            reg = db.session.get(Registration, reg_id)
            reg.submitted_at, reg.exam_site_id = NOW, e["sites"][0]
            db.session.add(Order(order_no=f"ST{reg_id:010d}", registration_id=reg_id, person_id=reg.person_id,
                                 institution_id=first, amount=Decimal("380.00"), status="paid", paid_at=NOW,
                                 method="online" if n < 2 else "offline", payer_type="person"))
        db.session.get(Registration, regs[3]).submitted_at = NOW
        db.session.flush()
        order = db.session.query(Order).filter_by(order_no=f"ST{regs[0]:010d}").one()
        db.session.add(Refund(order_id=order.id, amount=Decimal("100.00"), reason="测试退款", status="done"))
        db.session.commit()
        names = {i.id: i.name for i in db.session.query(Institution).filter(Institution.id.in_([first, second]))}
        return {**e, "name": db.session.get(ExamPlan, e["id"]).name, "first": names[first],
                "second": names[second], "first_id": first, "second_id": second}


def sheet(response):
    assert response.status_code == 200, response.text[:500]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    return rows[0], {r[0]: r[1:] for r in rows[1:]}


def export(c, key, **args):
    return sheet(c.get(f"/statistics/export/{key}", query_string=args))


def test_registrations_by_exam_site_institution_status(login, exam):
    """I2: GROUP BY figures of the exam the test made, downloaded as Excel with the page's filter."""
    c = login("association")
    page = c.get("/statistics/registrations", query_string={"exam": exam["id"]})
    assert page.status_code == 200 and exam["name"] in page.text and "data-chart" in page.text
    assert "vendor/chartjs/chart.umd.min.js" in page.text  # our own copy of Chart.js, never a CDN
    headers, rows = export(c, "reg_exam", exam=exam["id"])
    assert headers == ("考试", "报名人数", "报名成功")
    assert rows == {exam["name"]: (5, 4)}
    _h, by_inst = export(c, "reg_institution", exam=exam["id"])
    assert by_inst == {exam["first"]: (4, 3), exam["second"]: (1, 1)}
    _h, by_status = export(c, "reg_status", exam=exam["id"])
    assert by_status == {"报名成功": (4,), "已提交": (1,)}
    _h, by_site = export(c, "reg_site", exam=exam["id"])
    assert sum(n for n, _r in by_site.values()) == 5 and max(n for n, _r in by_site.values()) == 3
    # the institution filter of the Association narrows every figure
    _h, rows = export(c, "reg_exam", exam=exam["id"], institution=exam["second_id"])
    assert rows == {exam["name"]: (1, 1)}


def test_pass_rates(login, exam):
    """I2: pass rates by exam, subject and institution (published results only)."""
    c = login("association")
    _h, rows = export(c, "pass_exam", exam=exam["id"])
    assert rows == {exam["name"]: (50.0, 4, 2)}
    _h, rows = export(c, "pass_institution", exam=exam["id"])
    assert rows == {exam["first"]: (66.7, 3, 2), exam["second"]: (0.0, 1, 0)}
    _h, rows = export(c, "pass_subject", exam=exam["id"])
    assert rows == {f"{exam['name']} · 理论": (50.0, 4, 2), f"{exam['name']} · 实操": (50.0, 4, 2)}


def test_fees_by_month_and_way(login, exam):
    """I2: fees collected by month and payment way, refunds by month, within the period filter."""
    c = login("finance")
    month = NOW.strftime("%Y-%m")
    _h, rows = export(c, "fees_month", exam=exam["id"])
    assert rows == {month: (1140.0, 3)}
    _h, rows = export(c, "fees_way", exam=exam["id"])
    assert rows == {"在线支付": (760.0, 2), "线下转账": (380.0, 1)}
    _h, rows = export(c, "refunds_month", exam=exam["id"])
    assert rows == {month: (100.0, 1)}
    tomorrow = (NOW + datetime.timedelta(days=1)).date().isoformat()
    _h, rows = export(c, "fees_month", exam=exam["id"], start=tomorrow)
    assert rows == {}


def test_matters_and_certificates_agree_with_the_rows(app, login):
    """I2: matters by type and the certificates by status count what the tables hold."""
    c = login("association")
    _h, rows = export(c, "matters_type")
    with app.app_context():
        expected = db.session.query(Matter).filter_by(type_code="exam_registration").count()
        open_ = db.session.query(Matter).filter_by(type_code="exam_registration", status="in_progress").count()
    assert rows["考试报名"][:2] == (expected, open_)
    _h, rows = export(c, "certs_status")
    with app.app_context():
        valid = db.session.query(Certificate).filter_by(status="valid").count()
    assert rows.get("有效", (0,)) == (valid,)
    headers, _rows = export(c, "certs_type")
    assert headers[2] == "90 天内到期"


def test_an_institution_sees_its_own_figures_only(app, login, exam):
    """I2: an institution's figures are its own, whatever institution it asks for."""
    with app.app_context():
        own_id = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
    expected = {exam["first_id"]: (4, 3), exam["second_id"]: (1, 1)}.get(own_id)
    c = login("institution")
    other = exam["second_id"] if own_id == exam["first_id"] else exam["first_id"]
    _h, rows = export(c, "reg_exam", exam=exam["id"], institution=other)
    assert rows.get(exam["name"]) == expected
    _h, rows = export(c, "fees_month", exam=exam["id"])
    assert sum(n for _a, n in rows.values()) == (3 if own_id == exam["first_id"] else 0)
    page = c.get("/statistics/registrations", query_string={"exam": exam["id"]}).text
    assert "本机构的统计数据" in page and 'name="institution"' not in page


def test_bad_filters_are_refused_in_chinese(login):
    """I2: a bad year, exam or date is named in Chinese, with a 400 and no 500."""
    c = login("association")
    for args, message in (({"year": "abc"}, "年度无效"), ({"year": "1999"}, "年度无效"),
                          ({"exam": "x1"}, "考试无效"), ({"exam": "²"}, "考试无效"),
                          ({"exam": "99999999999999999999"}, "考试无效"), ({"end": "9999-12-31"}, "不是有效的日期"),
                          ({"start": "2026-13-40"}, "不是有效的日期"),
                          ({"start": "2026-05-02", "end": "2026-05-01"}, "结束日期早于开始日期")):
        r = c.get("/statistics/fees", query_string=args)
        assert r.status_code == 400 and message in r.text, (args, r.text[:300])
        r = c.get("/statistics/export/fees_month", query_string=args)
        assert r.status_code == 400 and message in r.text
    assert c.get("/statistics/nothing").status_code == 404
    assert c.get("/statistics/export/nothing").status_code == 404


@pytest.mark.parametrize("username,allowed", [("association", True), ("admin", True), ("finance", True),
                                              ("institution", True), ("support", False), ("expert", False),
                                              ("teacher", False)])
def test_access_per_role(login, username, allowed):
    """I2: who opens the statistics and their download."""
    c = login(username)
    for url in ("/statistics/", "/statistics/export/reg_status"):
        r = c.get(url)
        assert (r.status_code == 200) if allowed else (r.status_code in (302, 403)), (username, url, r.status_code)


def test_static_chart_library_is_served(client):
    r = client.get("/static/vendor/chartjs/chart.umd.min.js")
    assert r.status_code == 200 and b"Chart" in r.data[:5000]


def _figure(page, label):
    match = re.search(re.escape(label) + r"</div><h3[^>]*>([\d.]+)</h3>", page)
    assert match, label
    return match.group(1)


def test_home_dashboards_of_association_and_institution(app, login, exam):
    """I2 工作台: today's figures and the matters waiting where the user acts, within the user's scope."""
    today = datetime.datetime.combine(datetime.date.today(), datetime.time())
    with app.app_context():
        own = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
        submitted = db.session.query(Registration).filter(Registration.submitted_at >= today)
        everyone, own_count = submitted.count(), submitted.filter(Registration.institution_id == own).count()
        waiting = db.session.query(Matter).filter(Matter.type_code == "exam_registration",
                                                  Matter.status == "in_progress",
                                                  Matter.state.in_(("submitted", "reviewing"))).count()
    page = login("association").get("/").text
    assert int(_figure(page, "今日提交报名")) == everyone and "待我办理" in page
    assert "考试报名" in page.split("待我办理", 1)[1] or waiting == 0
    page = login("institution").get("/").text
    assert int(_figure(page, "今日提交报名")) == own_count and own_count < everyone
    # a support user has no figures and no stage of its own
    assert "今日提交报名" not in login("support").get("/").text
