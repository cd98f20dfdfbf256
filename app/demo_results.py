"""Demo data of issue 6 (E1–E9): the finished exam sat by 17 candidates with admission
tickets, their scores (passes, fails and 缺考), published results with an open re-check
window, and certificates issued to those who passed; the demo candidate also holds an
older certificate near expiry (annual confirmation is offered for it)."""
import datetime
import random
from decimal import Decimal

from app.extensions import db
from app.services import certificates, results
from app.services.printables import font_available
from models import (
    Certificate,
    CertificateType,
    ExamSession,
    ExamSite,
    Registration,
    RegistrationSubject,
    Room,
    Score,
    SeatAssignment,
)
from models.enums import RegistrationCategory, RegistrationStatus


def demo_results(plan, people, me, users):
    """``plan``: the finished exam; ``people``: its candidates besides the demo candidate ``me``."""
    if db.session.query(Registration.id).filter_by(exam_plan_id=plan.id).first():
        return  # loaded before
    now = datetime.datetime.now()
    plan.recheck_allowed, plan.pass_total = True, Decimal("60")
    plan.results_published_at = plan.exam_end + datetime.timedelta(days=20)
    plan.recheck_until = now + datetime.timedelta(days=10)
    site = db.session.query(ExamSite).filter_by(exam_plan_id=plan.id).order_by(ExamSite.id).first()
    session = ExamSession(exam_plan_id=plan.id, name="第一场", starts_at=plan.exam_start, ends_at=plan.exam_end)
    room = Room(institution_id=site.site.institution_id, site_id=site.site_id, name="第一考场（已结束）",
                capacity=30)
    db.session.add_all([session, room])
    db.session.flush()
    rng = random.Random(6)
    regs = []
    for n, person in enumerate([me, *people]):
        reg = Registration(exam_plan_id=plan.id, person_id=person.id, institution_id=site.site.institution_id,
                           exam_site_id=site.id, status=RegistrationStatus.REGISTERED.value, locked=True,
                           category=RegistrationCategory.FIRST.value, seat_held=True,
                           submitted_at=plan.reg_start + datetime.timedelta(days=3),
                           photo_id=person.photo_id)
        reg.subjects = [RegistrationSubject(subject_id=s.id) for s in plan.subjects]
        db.session.add(reg)
        db.session.flush()
        reg.net_no = f"{plan.reg_start:%y}{plan.id:04d}{reg.id:07d}"
        db.session.add(SeatAssignment(registration_id=reg.id, session_id=session.id, room_id=room.id,
                                      seat_no=n + 1, ticket_no=f"{plan.exam_start:%Y}{plan.id:03d}{n + 1:05d}",
                                      published=True))
        for subject in plan.subjects:
            absent = n % 7 == 6 and subject is plan.subjects[-1]
            score = None if absent else (Decimal(72 + n % 3 * 5) if n == 0 else Decimal(rng.randint(45, 98)))
            db.session.add(Score(registration_id=reg.id, subject_id=subject.id, score=score, absent=absent,
                                 entered_by_id=users["association"].id))
        regs.append(reg)
    site.seats_taken += len(regs)
    db.session.commit()
    results.compute(plan.id)
    issued = [certificates.issue(reg, users["association"], issue_date=plan.results_published_at.date())
              for reg in certificates.passed_without_certificate(plan.id)]
    # the demo candidate's older certificate, issued before the platform, expires within 90 days
    ctype = db.session.query(CertificateType).order_by(CertificateType.id).first()
    first_issued = datetime.date.today() - datetime.timedelta(days=3 * 365 - 60)
    old = Certificate(serial=f"{ctype.code[-6:]}{first_issued:%Y}90001", certificate_type_id=ctype.id,
                      person_id=me.id, issue_date=first_issued, valid_until=first_issued + datetime.timedelta(
                          days=3 * 365), holder_name=me.name, holder_id_masked=me.id_number_masked,
                      source="imported")
    db.session.add(old)
    db.session.flush()
    db.session.commit()
    _render([*issued, old, *db.session.query(Certificate).filter(Certificate.pdf_id.is_(None))])


def _render(certs):
    """PDFs with their SHA-256, when the CJK font is there (make run installs it; a bare machine skips)."""
    if not font_available():
        return
    from app.services import certificate_pdf

    for cert in dict.fromkeys(certs):
        if cert is not None and cert.pdf_id is None:
            certificate_pdf.render(cert)
    db.session.commit()


def demo_certificate_matters(me, users):
    """The demo candidate's certificate matters, filed and moved through the real rules: the old
    certificate's annual confirmation awaits the Association (it has no institution); a reissue of
    the new one was returned by the institution for a lost-certificate statement."""
    from app import workflow
    from app.services import cert_matters

    cand, institution_user = users["candidate"], users["institution"]
    old, new = (db.session.query(Certificate).filter_by(person_id=me.id, source=source).first()
                for source in ("imported", "issued"))
    if old is not None and not cert_matters.open_matter(old.id, cert_matters.ANNUAL):
        year = datetime.date.today().year
        cert_matters.file(cert_matters.ANNUAL, cand, old, {
            "complaints": False, "cpd_done": True, "still_fit": True, "code_of_conduct": True,
            "cpd_start": f"{year - 1}-03-01", "cpd_end": f"{year - 1}-06-30", "year": year,
            "cpd_content": "参加协会组织的认证人员守则解读培训8学时。", "remarks": "",
            "valid_until_before": old.valid_until.isoformat()})
    if new is not None and not cert_matters.open_matter(new.id, cert_matters.REISSUE):
        matter = cert_matters.file(cert_matters.REISSUE, cand, new, {"reason_kind": "lost",
                                                                     "reason": "搬家时证书遗失。"})
        if matter.institution_id == institution_user.institution_id:
            workflow.apply(matter.id, "return_institution_review", institution_user, opinion="请补充遗失声明。")
