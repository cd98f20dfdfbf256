"""Every declared transition of every matter type: taken by a role allowed, refused
for a wrong role, a wrong stage and a missing opinion (issue 2 §4)."""
import collections

import pytest
from flask import current_app

import app.matters  # noqa: F401
from app import workflow
from app.extensions import db
from app.matters import REVIEWER_KEY
from app.roles import ASSOCIATION, EXPERT, INSTITUTION, TEACHER
from app.workflow import WorkflowError
from models import Person, PlatformUser, Registration, RegistrationSubject
from tests import training_matrix
from tests.conftest import second_institution_user
from tests.registration_helpers import make_exam

CASES = [(code, t.name) for code, mtype in workflow.REGISTRY.items() for t in mtype.transitions]


def _user(name):
    return db.session.query(PlatformUser).filter_by(username=name).one()


@pytest.fixture
def people(app, ctx):
    sm = app.appbuilder.sm
    inst = _user("institution")
    second = sm.find_user(username=second_institution_user(app))
    yield {"candidate": _user("candidate"), "institution": inst, "institution-b": second,
           "expert": _user("expert"), "association": _user("association"), "finance": _user("finance"),
           "teacher": _user("teacher")}
    # an institution_registration refused here locks the demo institution out: open it again for other tests
    db.session.rollback()
    from app.services.institutions import decide

    decide(inst.institution_id, "approved", True)
    db.session.commit()


def actor_for(t, matter, people):
    """A user allowed to take ``t`` on ``matter``."""
    if t.applicant_only:
        return matter.applicant
    if t.institution_key:
        return people["institution-b"]
    if t.actors_key:
        return training_matrix.teacher_for(matter)
    if t.applicant_may:
        return matter.applicant
    for role, name in ((INSTITUTION, "institution"), (EXPERT, "expert"), (ASSOCIATION, "association"),
                       (TEACHER, "teacher")):
        if role in t.roles:
            return people[name]
    raise AssertionError(t)


REGISTRATION_TYPES = {"exam_registration", "registration_change"}


def _registration(people, status):
    """A registration of the candidate in an exam of its own, which the matter is about."""
    exam = make_exam(current_app._get_current_object())
    person = db.session.query(Person).filter_by(user_id=people["candidate"].id).one()
    registration = Registration(exam_plan_id=exam["id"], person_id=person.id, exam_site_id=exam["sites"][0],
                                institution_id=exam["institutions"][0], status=status, category="first")
    registration.subjects = [RegistrationSubject(subject_id=s) for s in exam["subjects"]]
    db.session.add(registration)
    db.session.flush()
    return registration, {"registration_id": registration.id, "exam_site_id": exam["sites"][1],
                          "subject_ids": exam["subjects"], REVIEWER_KEY: people["institution-b"].institution_id}


def new_matter(code, people, transition=None):
    own = training_matrix.factory(code, transition)
    if own is not None:  # G1–G5: a real course, plan or binding (tests/training_matrix.py)
        return own(people)
    mtype = workflow.REGISTRY[code]
    applicant = people["candidate"] if "Candidate" in mtype.filers else people["institution"]
    payload, obj = {"to_institution_id": people["institution-b"].institution_id}, None
    if code in REGISTRATION_TYPES:
        # a change is asked of an approved registration; a registration matter starts from a draft
        obj, extra = _registration(people, "approved" if code == "registration_change" else "draft")
        payload.update(extra)
    return workflow.create_matter(
        code, applicant, f"矩阵测试 {code}", institution_id=people["institution"].institution_id, obj=obj,
        payload=payload)


def _paid_first(t, matter):
    """F2/F10: a matter's fee order is paid before ``fee_paid`` moves it on (the payment takes it then);
    a membership renewal names the applicant's membership (the demo candidate's)."""
    if t.name == "fee_paid" and matter.type_code in ("personnel_registration", "membership_application"):
        from app.services import payments

        payments.matter_order(matter).status = "paid"
        db.session.commit()
    if t.name == "renew" and matter.type_code == "membership_application":
        from app.services import membership

        matter.payload = {**matter.payload, "membership_id": membership.membership_of(matter.applicant).id}
        db.session.commit()


def drive_to(matter, state, people):
    """Move a new matter to ``state`` along the shortest path of forward transitions."""
    mtype = workflow.REGISTRY[matter.type_code]
    paths = {mtype.initial: []}
    queue = collections.deque([mtype.initial])
    while queue:
        here = queue.popleft()
        for t in mtype.transitions:
            if here in t.source and t.target not in paths:
                paths[t.target] = paths[here] + [t]
                queue.append(t.target)
    for t in paths[state]:
        if t.assignee_only:
            matter.assignee_id = people["expert"].id
            db.session.commit()
        _paid_first(t, matter)
        workflow.apply(matter.id, t.name, actor_for(t, matter, people), opinion="测试意见")


@pytest.mark.parametrize("code,name", CASES)
def test_transition(people, code, name):
    mtype = workflow.REGISTRY[code]
    t = mtype.transition(name)
    matter = new_matter(code, people, name)
    drive_to(matter, t.source[0], people)
    if t.assignee_only:
        matter.assignee_id = people["expert"].id
        db.session.commit()
    allowed = actor_for(t, matter, people)
    _paid_first(t, matter)
    history_before = len(matter.history)
    # a wrong role is refused
    wrong = people["finance"] if allowed is not people["finance"] else people["expert"]
    with pytest.raises(WorkflowError):
        workflow.apply(matter.id, name, wrong, opinion="x")
    # a missing opinion is refused where one is needed
    if t.opinion:
        with pytest.raises(WorkflowError):
            workflow.apply(matter.id, name, allowed, opinion="")
    # the allowed actor takes it
    workflow.apply(matter.id, name, allowed, opinion="同意" if t.opinion else None)
    assert matter.state == t.target
    assert len(matter.history) == history_before + 1
    assert matter.history[-1].actor_id == allowed.id
    # the same transition is now refused: the matter is at another stage
    if t.target not in t.source:
        with pytest.raises(WorkflowError):
            workflow.apply(matter.id, name, allowed, opinion="再次")
