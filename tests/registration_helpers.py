"""Helpers of the registration tests: an open exam of their own, real photos
and the wizard walked through HTTP like a candidate does."""
import datetime
import io
import itertools
import re
from decimal import Decimal

from PIL import Image

from app.extensions import db
from models import EligibilityRule, ExamPlan, ExamSession, ExamSite, Institution, Registration, Site, Subject

_seq = itertools.count(1)


def make_exam(app, quota=50, rules=(), reviewer="association", sections=("basic", "education", "work"),
              categories=("first", "makeup_first", "renew_exam"), fee="380.00", refundable=False, photo_rules=None,
              opens=-1, closes=20, sittings=0):
    """An exam open now (days relative to today) with two sites of ``quota`` seats; returns ids."""
    n = next(_seq)
    now = datetime.datetime.now()
    day = datetime.timedelta(days=1)
    with app.app_context():
        institutions = db.session.query(Institution).order_by(Institution.id).limit(2).all()
        plan = ExamPlan(name=f"测试考试{n}-{now:%H%M%S%f}", reg_start=now + opens * day, reg_end=now + closes * day,
                        exam_start=now + 40 * day, exam_end=now + 40 * day + datetime.timedelta(hours=3),
                        fee=Decimal(fee), notice="请如实填写。", pledge="本人承诺所填信息真实。",
                        required_sections=list(sections), categories_offered=list(categories),
                        reviewer=reviewer, refundable=refundable, photo_rules=photo_rules or {}, review_workdays=3)
        plan.subjects = [Subject(name="理论", weight=50), Subject(name="实操", weight=50)]
        db.session.add(plan)
        sites = []
        for i, institution in enumerate(institutions):
            site = Site(code=f"T{n:04d}{i}{now:%M%S%f}"[:32], name=f"{institution.name}测试站点{n}",
                        institution_id=institution.id, status="approved")
            db.session.add(site)
            db.session.flush()
            sites.append(ExamSite(exam_plan_id=plan.id, site_id=site.id, quota=quota))
        db.session.add_all(sites)
        for i in range(sittings):  # sittings (场次) the candidate chooses from
            starts = plan.exam_start + datetime.timedelta(days=i)
            db.session.add(ExamSession(exam_plan=plan, name=f"第{i + 1}场", starts_at=starts,
                                       ends_at=starts + datetime.timedelta(hours=3)))
        for name, kind, params in rules:
            db.session.add(EligibilityRule(exam_plan=plan, name=name, kind=kind, params=params))
        db.session.commit()
        db.session.flush()
        return {"id": plan.id, "sites": [s.id for s in sites], "subjects": [s.id for s in plan.subjects],
                "institutions": [i.id for i in institutions],
                "sittings": [s.id for s in db.session.query(ExamSession).filter_by(exam_plan_id=plan.id)
                             .order_by(ExamSession.starts_at)]}


def photo(size=(295, 413), colour=(255, 255, 255), fmt="JPEG"):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def pdf_bytes(size=1000):
    return b"%PDF-1.4\n" + b"0" * size + b"\n%%EOF"


def rid_from(response):
    match = re.search(r"/portal/registrations/(\d+)", response.headers.get("Location", ""))
    assert match, response.headers.get("Location")
    return int(match.group(1))


BASIC = {"gender": "male", "employer": "北京测试公司", "address": "北京市海淀区中关村大街1号", "postal_code": "100080"}
EDUCATION = {"school": "北京工业大学", "major": "计算机科学与技术", "education_level": "bachelor", "degree": "学士",
             "start_month": "2010-09", "graduation_month": "2014-07"}
WORK = {"employer": "北京测试公司", "title": "工程师", "start_month": "2014-08", "years_in_occupation": "8"}


def start(c, exam):
    """Notice and pledge; an application in progress is resumed instead."""
    r = c.get(f"/portal/exams/{exam['id']}/apply")
    if r.status_code == 302:
        return rid_from(r)
    assert r.status_code == 200
    r = c.post(f"/portal/exams/{exam['id']}/pledge", {"decision": "accept"})
    assert r.status_code == 302, r.text[:300]
    return rid_from(r)


def fill(c, exam, category="first", site=0, subjects=None, last_exam_date=None, education=True, work=True,
         sitting=None):
    """Walk the wizard up to the confirmation; returns the registration id."""
    rid = start(c, exam)
    base = f"/portal/registrations/{rid}"
    assert c.post(f"{base}/personal", BASIC).status_code == 302
    r = c.post(f"{base}/photo", {"photo": (io.BytesIO(photo()), "me.jpg")}, token_from=f"{base}/photo")
    assert r.status_code == 302, r.text[:500]
    data = {"category": category, "exam_site_id": str(exam["sites"][site]), "city": "北京市"}
    if subjects is not None:
        data["subjects"] = [str(s) for s in subjects]
    if last_exam_date:
        data["last_exam_date"] = last_exam_date
    if sitting is not None:
        data["exam_session_id"] = str(exam["sittings"][sitting])
    r = c.post(f"{base}/application", data)
    assert r.status_code == 302, r.text[:3000]
    if education:
        assert c.post(f"{base}/section/education", EDUCATION).status_code == 302
    if work:
        assert c.post(f"{base}/section/work", WORK).status_code == 302
    assert c.post(f"{base}/materials", {}).status_code == 302
    return rid


def submit(c, rid):
    return c.post(f"/portal/registrations/{rid}/confirm", {})


def registration(app, rid):
    with app.app_context():
        reg = db.session.get(Registration, rid)
        db.session.expunge_all()
        return reg


def decide(c, rid, action, **form):
    return c.post(f"/registration-review/{rid}/decide", {"action": action, **form})
