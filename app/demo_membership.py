"""Demo credit records and memberships (SPEC F9, F10), moved through the real rules: the demo
candidate's individual membership (applied, approved, paid through the sandbox gateway; due for
renewal within the month) and the demo institution's institutional membership; a sanction on a
certified person; annual-confirmation and CPD rows for the demo candidate.  Running it twice
changes nothing."""
import datetime
from decimal import Decimal

from app import workflow
from app.demo_payments import pay_matter_in_sandbox
from app.extensions import db
from app.services import accounts, credit
from app.services import membership as service
from models import Certificate, CreditRecord, Membership
from models.enums import CreditKind
from models.training import TrainingRecord


def _member(user, form, assoc):
    """Apply (a new matter, leaving any demo draft alone), approve and pay."""
    kind, _person, institution_id = service._owner(user)
    payload = service.values_of(form, kind)
    matter = workflow.create_matter(service.TYPE_CODE, user, service._title(kind), institution_id=institution_id,
                                    payload=payload)
    workflow.apply(matter.id, "submit", user)
    workflow.apply(matter.id, "pass_association_review", assoc, opinion="材料齐全，同意入会。")
    pay_matter_in_sandbox(matter)
    return service.membership_of(user)


def demo_membership(users):
    if db.session.query(Membership.id).first() is not None:
        return  # already loaded
    cand, inst_user, assoc = users["candidate"], users["institution"], users["association"]
    mine = _member(cand, {"employer": "北京某认证有限公司", "position": "审核员",
                          "reason": "希望加入协会，参加行业交流与继续教育。"}, assoc)
    mine.valid_until = datetime.date.today() + datetime.timedelta(days=30)  # due for renewal (续费)
    _member(inst_user, {"contact_name": "张老师", "contact_phone": "010-60000000",
                        "reason": "本机构申请成为协会单位会员。"}, assoc)
    db.session.commit()

    today = datetime.date.today()
    me = accounts.person_of(cand)
    holder = db.session.query(Certificate).filter(Certificate.holder_name.isnot(None),
                                                  Certificate.person_id != me.id).order_by(Certificate.id).first()
    if holder is not None:
        credit.record_sanction(assoc, holder.serial, "现场审核记录不实，暂停执业资格三个月。",
                               (today - datetime.timedelta(days=20)).isoformat(),
                               (today + datetime.timedelta(days=70)).isoformat())
    db.session.add_all([
        CreditRecord(person_id=me.id, kind=CreditKind.ANNUAL.value, occurred_on=today.replace(month=1, day=15),
                     description=f"{today.year - 1}年度确认通过。", recorded_by_id=assoc.id),
        CreditRecord(person_id=me.id, kind=CreditKind.CPD.value, occurred_on=today - datetime.timedelta(days=120),
                     valid_until=today + datetime.timedelta(days=245),
                     description="参加协会组织的认证人员守则解读培训，8学时。", recorded_by_id=assoc.id),
        TrainingRecord(person_id=me.id, institution_id=inst_user.institution_id, course_name="ISO 9001 审核实务",
                       start_date=today - datetime.timedelta(days=60), end_date=today - datetime.timedelta(days=58),
                       hours=Decimal("16"), category="专业课程", valid_until=today + datetime.timedelta(days=305)),
    ])
    db.session.commit()
