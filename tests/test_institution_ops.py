"""Rows an institution files for review (D1 pilot applications, D3 sites, D14 weekly
reports) go through the workflow engine; D1 used quota; D12/D13 the dashboard."""
import datetime

import pytest

from app.extensions import db
from models import (
    CertificateType,
    ExamPlan,
    Institution,
    Matter,
    PilotApplication,
    PlatformUser,
    Registration,
    Site,
    WeeklyReport,
)
from tests.registration_helpers import decide, fill, make_exam, submit


def own_institution(app):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username="institution").one().institution_id


def row(app, model, **filters):
    with app.app_context():
        item = db.session.query(model).filter_by(**filters).order_by(model.id.desc()).first()
        db.session.expunge_all()
        return item


def matter_of(app, type_code, object_id):
    with app.app_context():
        return db.session.query(Matter).filter_by(type_code=type_code, object_id=object_id).order_by(
            Matter.id.desc()).first().id


def act(c, view, name, pk):
    return c.post(f"/{view}/action/{name}/{pk}", {}, token_from=f"/{view}/list/")


def test_pilot_application_review_and_used_quota(app, login):
    """D1: 未提交 → 审核中 → 审核退回 → 审核中 → 审核通过; used quota counts the institution's registrations."""
    inst, assoc = login("institution"), login("association")
    with app.app_context():
        cert = db.session.query(CertificateType).order_by(CertificateType.id).first()
        cert_id = cert.id
    year = datetime.date.today().year + 5  # no exam that year yet: nothing used
    own = str(own_institution(app))
    r = inst.post("/pilotapplicationview/add", {"institution": own, "certificate_type": str(cert_id),
                                                 "year": str(year), "batch": "3",
                                                 "requested_count": "120"}, token_from="/pilotapplicationview/add")
    assert r.status_code == 302
    app_row = row(app, PilotApplication, year=year, batch=3)
    assert app_row.institution_id == own_institution(app) and app_row.status == "not_submitted"
    assert act(inst, "pilotapplicationview", "submit_review", app_row.id).status_code == 302
    assert row(app, PilotApplication, id=app_row.id).status == "reviewing"
    mid = matter_of(app, "pilot_application", app_row.id)
    assoc.post("/matterview/transition/return_association_review", {"ids": str(mid), "opinion": "请补充师资情况。"})
    assert row(app, PilotApplication, id=app_row.id).status == "returned"
    assert act(inst, "pilotapplicationview", "submit_review", app_row.id).status_code == 302
    assert row(app, PilotApplication, id=app_row.id).status == "reviewing"
    # the approved count is the association's to set; the institution may not
    r = inst.post(f"/pilotapplicationview/edit/{app_row.id}", {"institution": own, "certificate_type": str(cert_id),
                                                                "year": str(year),
                                                                "batch": "3", "requested_count": "120",
                                                                "approved_count": "999"},
                  token_from=f"/pilotapplicationview/edit/{app_row.id}", follow_redirects=True)
    assert row(app, PilotApplication, id=app_row.id).approved_count is None
    assoc.post("/matterview/transition/pass_association_review", {"ids": str(mid)})
    assert row(app, PilotApplication, id=app_row.id).status == "approved"
    # submitting an approved application again is refused
    act(inst, "pilotapplicationview", "submit_review", app_row.id)
    assert row(app, PilotApplication, id=app_row.id).status == "approved"
    # the list shows the quota used next to the approved count
    with app.app_context():
        assert db.session.get(PilotApplication, app_row.id).used_quota == 0
    assert "已使用名额" in inst.get("/pilotapplicationview/list/").text


def test_used_quota_counts_registrations(app, candidate, login):
    c, _phone, _number = candidate
    exam = make_exam(app)
    with app.app_context():
        cert = db.session.query(CertificateType).order_by(CertificateType.id).first()
        plan = db.session.get(ExamPlan, exam["id"])
        plan.certificate_type_id = cert.id
        institution_id = exam["institutions"][0]
        pilot = PilotApplication(institution_id=institution_id, certificate_type_id=cert.id,
                                 year=plan.exam_start.year, batch=7, requested_count=10)
        db.session.add(pilot)
        db.session.commit()
        pilot_id, before = pilot.id, pilot.used_quota
    rid = fill(c, exam, site=0)
    submit(c, rid)
    with app.app_context():
        assert db.session.get(PilotApplication, pilot_id).used_quota == before + 1


def test_site_application_is_reviewed(app, login):
    """D3: an institution applies for a site; the association approves it."""
    inst, assoc = login("institution"), login("association")
    code = f"S{datetime.datetime.now():%H%M%S%f}"
    r = inst.post("/siteview/add", {"institution": str(own_institution(app)), "code": code, "name": "第二考核站点"},
                  token_from="/siteview/add")
    assert r.status_code == 302
    site = row(app, Site, code=code)
    assert site.institution_id == own_institution(app) and site.status == "not_submitted"
    act(inst, "siteview", "submit_review", site.id)
    assert row(app, Site, id=site.id).status == "reviewing"
    assoc.post("/matterview/transition/pass_association_review",
               {"ids": str(matter_of(app, "site_application", site.id))})
    assert row(app, Site, id=site.id).status == "approved"


def test_weekly_report_numbers_come_from_the_data(app, candidate, login):
    """D14: the registrations of the week are counted from the data; the text is the institution's."""
    c, _phone, _number = candidate
    exam = make_exam(app)
    rid = fill(c, exam, site=0)  # the demo institution's site
    submit(c, rid)
    inst = login("institution")
    week = datetime.date.today() - datetime.timedelta(days=datetime.date.today().weekday())
    with app.app_context():
        db.session.query(WeeklyReport).filter_by(institution_id=own_institution(app), week_start=week).delete()
        db.session.commit()
        expected = db.session.query(Registration).filter(
            Registration.institution_id == own_institution(app),
            Registration.submitted_at >= datetime.datetime.combine(week, datetime.time())).count()
    r = inst.post("/weeklyreportview/add", {"institution": str(own_institution(app)), "week_start": week.isoformat(),
                                            "training_delivered": "开展培训2期",
                                            "issues": "无"}, token_from="/weeklyreportview/add")
    assert r.status_code == 302, r.text[:500]
    report = row(app, WeeklyReport, week_start=week, institution_id=own_institution(app))
    assert report.registrations == expected >= 1
    act(inst, "weeklyreportview", "submit_review", report.id)
    assert row(app, WeeklyReport, id=report.id).status == "reviewing"
    login("association").post("/matterview/transition/return_association_review",
                               {"ids": str(matter_of(app, "weekly_report", report.id)), "opinion": "请补充问题说明。"})
    assert row(app, WeeklyReport, id=report.id).status == "returned"


@pytest.mark.parametrize("view, model", [("siteview", Site), ("weeklyreportview", WeeklyReport),
                                         ("pilotapplicationview", PilotApplication)])
def test_institution_cannot_submit_another_institutions_rows(app, login, view, model):
    own = own_institution(app)
    with app.app_context():
        other = db.session.query(model).filter(model.institution_id != own).first()
        if other is None:  # one of another institution, not yet submitted
            other_institution = db.session.query(Institution).filter(Institution.id != own).first().id
            cert = db.session.query(CertificateType).first().id
            other = {WeeklyReport: lambda: WeeklyReport(institution_id=other_institution,
                                                        week_start=datetime.date(2026, 1, 5)),
                     PilotApplication: lambda: PilotApplication(institution_id=other_institution,
                                                                certificate_type_id=cert, year=2026, batch=9,
                                                                requested_count=5)}[model]()
            db.session.add(other)
            db.session.commit()
        other_id, status = other.id, other.status
    r = act(login("institution"), view, "submit_review", other_id)
    assert r.status_code == 404
    assert row(app, model, id=other_id).status == status


def test_dashboard_shows_only_the_own_institution(app, candidate, login):
    c, _phone, _number = candidate
    exam = make_exam(app)
    rid = fill(c, exam, site=0)
    submit(c, rid)
    decide(login("association"), rid, "approve")
    inst = login("institution")
    page = inst.get("/institution-dashboard/")
    assert page.status_code == 200 and "北京信息职业技术学院" in page.text and "审核通过，待缴费" in page.text
    # the institution parameter is the association's: an institution user always sees its own
    with app.app_context():
        other = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id + 1
    assert "北京信息职业技术学院" in inst.get(f"/institution-dashboard/?institution={other}").text
    assoc_page = login("association").get(f"/institution-dashboard/?institution={other}")
    assert assoc_page.status_code == 200 and "<select" in assoc_page.text
    for username in ("candidate", "finance", "expert"):
        if username == "candidate":
            assert c.get("/institution-dashboard/").status_code in (302, 403)
        else:
            assert login(username).get("/institution-dashboard/").status_code in (302, 403)
