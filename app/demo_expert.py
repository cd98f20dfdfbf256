"""F3 demo: the demo experts' fields; a personnel registration of the demo candidate returned by the
`expert` account with two nonconforming rows (F2's demo registration stays at 专家评价 with `expert`); an
appeal assigned to `expert` still at 专家评价; an old-course re-review waiting for an expert (待分配专家).
Everything moves through the real rules."""
import datetime

from flask import current_app
from sqlalchemy import select

from app import workflow
from app.demo_payments import pay_matter_in_sandbox
from app.extensions import db
from app.services import accounts
from app.services import expert_review as service
from models import Matter, Person
from models.enums import CandidateSource, Conformity, VerifyState

FIELDS = {"expert": "质量管理体系（QMS）、环境管理体系（EMS）",
          "expert2": "职业健康安全管理体系（OHSMS）、食品安全管理体系（FSMS）"}
MARK = "demo-expert-returned"
# the rows the demo expert finds nonconforming (table, position among the table's rows) and why
NONCONFORMING = {("audit", 1): "现场审核天数与审核计划不一致，请补充审核计划及审核组任命书。",
                 ("cpd", 1): "培训证明未加盖培训机构公章，请重新上传。"}


def _second_expert():
    from app.demo import demo_id_number

    sm = current_app.appbuilder.sm
    user = sm.find_user(username="expert2")
    if user is None:
        user = sm.add_user("expert2", "张", "专家", "expert2@demo.example", sm.find_role("Expert"),
                           password=current_app.config["DEMO_PASSWORD"])
        db.session.flush()
    if accounts.person_of(user) is None:
        birth = datetime.date(1968, 4, 12)
        person = Person(user_id=user.id, name="张专家", gender="female", id_type="resident", birth_date=birth,
                        source=CandidateSource.SELF.value, is_expert=True, realname_verified=True,
                        verify_state=VerifyState.ACCURATE.value)
        person.set_id_number(demo_id_number("110105", birth, 4))
        db.session.add(person)
    return user


def _judge_and_return(matter, expert):
    form = {"result": "return", "comment": "请按以上意见补正后重新提交。"}
    for kind, rows in service.rows(matter):
        for n, row in enumerate(rows, 1):
            reason = NONCONFORMING.get((kind.value, n))
            form[f"c-{row.id}"] = Conformity.NONCONFORMING.value if reason else Conformity.CONFORMING.value
            form[f"r-{row.id}"] = reason or ""
    service.submit(matter.id, expert, form)


def _registration(users):
    """The demo candidate's intern registration, filed through F2's rules and paid (at 专家评价)."""
    from app import demo_personnel as f2
    from app.services import personnel

    cand, inst_user = users["candidate"], users["institution"]
    for matter in db.session.scalars(select(Matter).where(Matter.applicant_id == cand.id,
                                                          Matter.type_code == personnel.TYPE_CODE)):
        if (matter.payload or {}).get("demo") == MARK:
            return matter
    person = accounts.person_of(cand)
    library = personnel.rows_of(person)
    if not library:
        return None  # F2's demo made no base-information library
    values = {"application_type": "AUD-INT", "specialty": "QMS", "narrow_scope": False, "payment": "person",
              "institution_id": inst_user.institution_id, "demo": MARK}
    matter = personnel.save_application(cand, values, conditions=False)
    personnel.copy_from_library(person, cand, matter, [e.id for e in library])
    for kind, row in f2.ADDED:
        personnel.save_row(person, cand, kind, row, matter=matter)
    personnel.submit(matter, cand, conditions=False)
    workflow.apply(matter.id, "pass_institution_review", inst_user, opinion="材料齐全，同意上报。")
    pay_matter_in_sandbox(matter)
    return db.session.get(Matter, matter.id)


def demo_expert(users):
    expert, assoc = users["expert"], users["association"]
    other = _second_expert()
    for user in (expert, other):
        person = accounts.person_of(user)
        person.is_expert = True
        person.expert_fields = FIELDS[user.username]
    db.session.commit()
    # a second registration of the demo candidate (intern QMS; F2's demo keeps its own at 专家评价, assigned
    # to `expert`): assigned, judged and returned by `expert` with two nonconforming rows
    matter = _registration(users)
    if matter is not None and matter.state == service.STAGE:
        if matter.assignee_id != expert.id:
            service.assign(matter.id, expert.id, assoc)
        _judge_and_return(db.session.get(Matter, matter.id), expert)
    # the candidate's appeal at 专家评价 (app.demo): assigned to `expert`, not judged yet
    cand = users["candidate"]
    appeal = db.session.scalar(select(Matter).where(Matter.type_code == "appeal", Matter.applicant_id == cand.id,
                                                    Matter.state == service.STAGE).order_by(Matter.id))
    if appeal is not None and appeal.assignee_id is None:
        service.assign(appeal.id, expert.id, assoc)
