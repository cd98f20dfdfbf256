"""F2 demo: the certificate types personnel registrations issue, the demo candidate's
base-information library, and one registration moved through the real rules: submitted, passed by
the demo institution, paid through the sandbox gateway, assigned to the demo expert (专家评价)."""
from sqlalchemy import select

from app import workflow
from app.demo_payments import pay_matter_in_sandbox
from app.extensions import db
from app.services import accounts
from app.services import personnel as service
from models import CertificateType, Matter, PlatformUser
from models.enums import CertLevel
from models.enums import ExperienceKind as K

TITLE_MARK = "demo-personnel-registration"
# (code, name) of the certificates the demo's application types and specialties issue
CERTIFICATE_TYPES = [
    ("AUD-QMS", "体系认证审核员注册证书（QMS）"), ("AUD-EMS", "体系认证审核员注册证书（EMS）"),
    ("AUD-OHSMS", "体系认证审核员注册证书（OHSMS）"), ("AUD-INT-QMS", "体系认证实习审核员注册证书（QMS）"),
]


def _pdf():
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


LIBRARY = [
    (K.EDUCATION, {"start": "2013-09-01", "end": "2017-07-01", "school": "北京工业大学", "major": "质量管理工程",
                   "degree": "本科"}),
    (K.WORK, {"employer": "北京华信检测技术有限公司", "start": "2017-07-15", "end": "2021-03-31",
              "department": "质量部", "title": "质量工程师", "referee": "刘建国", "referee_phone": "010-62001234"}),
    (K.WORK, {"employer": "中关村认证服务中心", "start": "2021-04-01", "end": "", "department": "审核部",
              "title": "审核员助理", "referee": "陈静", "referee_phone": "13911112222"}),
]
ADDED = [
    (K.PROFESSIONAL, {"employer": "中关村认证服务中心", "start": "2021-04-01", "end": "", "department": "审核部",
                      "title": "审核员助理", "post": "体系审核", "referee": "陈静", "referee_phone": "13911112222"}),
    (K.AUDIT, {"start": "2023-05-08", "end": "2023-05-10", "auditee": "北京精工机械有限公司", "onsite_days": "3",
               "audit_type": "初次认证"}),
    (K.CPD, {"course": "ISO 9001:2015 审核员培训", "start": "2022-11-01", "valid_until": "2027-11-01", "hours": "40",
             "category": "专业课程"}),
]


def demo_registration_matter():
    """The demo candidate's personnel registration (at 专家评价, assigned to the demo expert)."""
    cand = db.session.scalar(select(PlatformUser).where(PlatformUser.username == "candidate"))
    if cand is None:
        return None
    for matter in db.session.scalars(select(Matter).where(Matter.applicant_id == cand.id,
                                                          Matter.type_code == service.TYPE_CODE)
                                     .order_by(Matter.id)):
        if (matter.payload or {}).get("demo") == TITLE_MARK:
            return matter
    return None


def demo_personnel(users):
    for code, name in CERTIFICATE_TYPES:
        if db.session.scalar(select(CertificateType.id).where(CertificateType.code == code)) is None:
            db.session.add(CertificateType(code=code, name=name, level=CertLevel.JUNIOR.value,
                                           issuer="中国认证认可协会", category="认证人员", validity_years=3,
                                           number_scheme="{code}-{year}-{seq:05d}"))
    db.session.commit()
    if demo_registration_matter() is not None:
        return
    cand, inst_user, expert = users["candidate"], users["institution"], users["expert"]
    person = accounts.person_of(cand)
    library = []
    for kind, values in LIBRARY:
        upload = (_pdf(), "学历证书.pdf") if kind == K.EDUCATION else None
        library.append(service.save_row(person, cand, kind, values, upload))
    values = {"application_type": "AUD", "specialty": "QMS", "narrow_scope": False, "payment": "person",
              "institution_id": inst_user.institution_id, "demo": TITLE_MARK}
    # the demo candidate's profile stays as the other demos need it (not verified, no photo): the
    # registration is filed as if 条件自检 had passed
    matter = service.save_application(cand, values, conditions=False)
    service.copy_from_library(person, cand, matter, [e.id for e in library])
    for kind, row in ADDED:
        service.save_row(person, cand, kind, row, matter=matter)
    service.submit(matter, cand, conditions=False)
    workflow.apply(matter.id, "pass_institution_review", inst_user, opinion="材料齐全，同意上报。")
    pay_matter_in_sandbox(matter)
    from app.services import expert_review

    assoc = db.session.query(PlatformUser).filter_by(username="association").one()
    expert_review.assign(matter.id, expert, assoc)  # the Association assigned the demo expert (专家评价)
    matter = db.session.get(Matter, matter.id)
