"""Training matters (SPEC G1–G5): the teacher's category binding, the course filing confirmed by its
teachers, the teacher's unbinding, the training plan, and the old-course re-review.

Teachers confirm inside the engine: the filing's payload lists the teachers' user ids still to answer
(``pending_teachers``), and only they may take the confirmation transitions (``actors_key``).  The
service picks which agreement transition fits (another teacher still to answer, or the last one), and
its effect refuses a choice that does not fit, so the engine alone moves the matter.
"""
from flask_babel import lazy_gettext as _l

from app.matters import ASSOC, DONE, DRAFT, REFUSED, RETURNED, STAGES, WITHDRAWN, chain, service_effect
from app.roles import ASSOCIATION, EXPERT, INSTITUTION, TEACHER
from app.workflow import MatterType, State, T, register
from models.enums import MatterCategory as Cat
from models.enums import MatterStatus as S

TEACHERS_ONLY = frozenset({TEACHER})
PENDING = "pending_teachers"  # the payload key of the teachers still to confirm


def _fx(module, *names):
    return tuple(service_effect(module, name) for name in names)


def _link(module):
    def link(matter, user):
        import importlib

        return importlib.import_module(f"app.services.{module}").matter_link(matter, user)
    return link


# --- G1 课程类别绑定: the teacher files, the Association reviews --------------------------------
TEACHER_CATEGORY_BINDING = chain(
    "teacher_category_binding", _l("Course category binding"), Cat.TRAINING, 5, ASSOC, filers=TEACHERS_ONLY,
    on_submit=_fx("teacher_categories", "binding_submitted"),
    on_withdraw=_fx("teacher_categories", "binding_withdrawn"),
    on_approve=_fx("teacher_categories", "binding_approved"),
    on_return=_fx("teacher_categories", "binding_returned"),
    on_refuse=_fx("teacher_categories", "binding_returned"))


def _teacher_confirmation(module, after_teachers):
    """The transitions of the teachers' stage: agree (others still to answer), agree as the last one (the
    matter goes on to ``after_teachers``: [(transition name, target)]), disagree (back to the institution)."""
    stage = "teacher_confirmation"
    return [
        T("teacher_agree", _l("Agree"), stage, stage, TEACHERS_ONLY, actors_key=PENDING,
          effects=_fx(module, "teacher_agreed")),
        *[T(name, _l("Agree"), stage, target, TEACHERS_ONLY, actors_key=PENDING,
            effects=_fx(module, f"last_teacher_agreed_{target}")) for name, target in after_teachers],
        T("teacher_disagree", _l("Disagree"), stage, "returned", TEACHERS_ONLY, actors_key=PENDING, opinion=True,
          effects=_fx(module, "teacher_disagreed")),
    ]


TEACHER_CONFIRMATION = State("teacher_confirmation", _l("Awaiting teachers' confirmation"), S.IN_PROGRESS)


def _course_filing():
    """G2 课程备案 (G5 for online courses): the institution files → each named teacher confirms → for an
    online course 专家评价 (file and video review by the assigned expert) → 协会审批; approval gives the
    filing number and the validity (app/services/courses.py)."""
    fx = lambda *names: _fx("courses", *names)  # noqa: E731
    expert = State("expert_review", STAGES["expert_review"][0], S.IN_PROGRESS)
    review = State("association_review", STAGES["association_review"][0], S.IN_PROGRESS)
    return register(MatterType(
        "course_filing", _l("Course filing"), Cat.TRAINING.value, 20,
        [DRAFT, RETURNED, DONE, REFUSED, WITHDRAWN, TEACHER_CONFIRMATION, expert, review],
        [
            T("submit", _l("Submit"), "draft", "teacher_confirmation", applicant_only=True,
              effects=fx("filing_submitted")),
            T("resubmit", _l("Resubmit"), "returned", "teacher_confirmation", applicant_only=True,
              effects=fx("filing_submitted")),
            T("withdraw", _l("Withdraw"), "teacher_confirmation", "withdrawn", applicant_only=True,
              effects=fx("filing_withdrawn")),
            *_teacher_confirmation("courses", [("teachers_agreed", "association_review"),
                                               ("teachers_agreed_online", "expert_review")]),
            # G5: only after every review item is judged (the expert's screen, app/services/course_review.py)
            T("pass_expert_review", _l("Pass on"), "expert_review", "association_review", {EXPERT},
              assignee_only=True, effects=_fx("course_review", "require_judgement")),
            T("return_expert_review", _l("Return for correction"), "expert_review", "returned", {EXPERT},
              assignee_only=True, opinion=True,
              effects=_fx("course_review", "require_judgement") + fx("filing_returned")),
            T("pass_association_review", _l("Approve"), "association_review", "done", {ASSOCIATION},
              effects=fx("filing_approved")),
            T("return_association_review", _l("Return for correction"), "association_review", "returned",
              {ASSOCIATION}, opinion=True, effects=fx("filing_returned")),
            T("refuse", _l("Refuse"), "association_review", "refused", {ASSOCIATION}, opinion=True,
              effects=fx("filing_refused")),
        ],
        filers=frozenset({INSTITUTION}), link=_link("courses")))


COURSE_FILING = _course_filing()

# --- G3 解除备案: the teacher files, the course's institution and then the Association review --------
COURSE_UNBINDING = chain(
    "course_unbinding", _l("Course unbinding"), Cat.TRAINING, 10, ["institution_review", "association_review"],
    filers=TEACHERS_ONLY,
    on_submit=_fx("courses", "unbinding_submitted"), on_withdraw=_fx("courses", "unbinding_ended"),
    on_approve=_fx("courses", "unbinding_approved"), on_return=_fx("courses", "unbinding_ended"),
    on_refuse=_fx("courses", "unbinding_ended"))


def _training_plan():
    """G4 培训计划: the institution reports → each named teacher confirms → 协会审批 (approved: the plan
    runs); an approved plan finishes (each attendee's hours become CPD records) or is terminated with a
    reason, as may a plan still under review (app/services/training_plans.py)."""
    fx = lambda *names: _fx("training_plans", *names)  # noqa: E731
    review = State("association_review", STAGES["association_review"][0], S.IN_PROGRESS)
    approved = State("approved", _l("Approved"), S.COMPLETED)
    finished = State("finished", _l("Finished"), S.COMPLETED)
    terminated = State("terminated", _l("Terminated"), S.COMPLETED)
    return register(MatterType(
        "training_plan", _l("Training plan"), Cat.TRAINING.value, 10,
        [DRAFT, RETURNED, REFUSED, WITHDRAWN, TEACHER_CONFIRMATION, review, approved, finished, terminated],
        [
            T("submit", _l("Report"), "draft", "teacher_confirmation", applicant_only=True,
              effects=fx("plan_submitted")),
            T("resubmit", _l("Resubmit"), "returned", "teacher_confirmation", applicant_only=True,
              effects=fx("plan_submitted")),
            T("withdraw", _l("Withdraw"), "teacher_confirmation", "withdrawn", applicant_only=True,
              effects=fx("plan_withdrawn")),
            *_teacher_confirmation("training_plans", [("teachers_agreed", "association_review")]),
            T("pass_association_review", _l("Approve"), "association_review", "approved", {ASSOCIATION},
              effects=fx("plan_approved")),
            T("return_association_review", _l("Return for correction"), "association_review", "returned",
              {ASSOCIATION}, opinion=True, effects=fx("plan_returned")),
            T("refuse", _l("Refuse"), "association_review", "refused", {ASSOCIATION}, opinion=True,
              effects=fx("plan_refused")),
            T("terminate", _l("Terminate"), ("teacher_confirmation", "association_review", "approved"),
              "terminated", {INSTITUTION, ASSOCIATION}, opinion=True, applicant_may=True,
              effects=fx("plan_terminated")),
            T("finish", _l("Finish and record hours"), "approved", "finished", {INSTITUTION, ASSOCIATION},
              applicant_may=True, effects=fx("plan_finished")),
        ],
        filers=frozenset({INSTITUTION}), link=_link("training_plans")))


TRAINING_PLAN = _training_plan()


def _old_course_rereview():
    """G5 老课复审: the institution asks to extend a filed course's validity → 专家评价 (the assigned expert
    judges each item) → 协会审批; approval extends the validity (app/services/course_review.py)."""
    fx = lambda *names: _fx("course_review", *names)  # noqa: E731
    expert = State("expert_review", STAGES["expert_review"][0], S.IN_PROGRESS)
    review = State("association_review", STAGES["association_review"][0], S.IN_PROGRESS)
    return register(MatterType(
        "old_course_rereview", _l("Old-course re-review"), Cat.TRAINING.value, 20,
        [DRAFT, RETURNED, DONE, REFUSED, WITHDRAWN, expert, review],
        [
            T("submit", _l("Submit"), "draft", "expert_review", applicant_only=True, effects=fx("rereview_submitted")),
            T("resubmit", _l("Resubmit"), "returned", "expert_review", applicant_only=True,
              effects=fx("rereview_submitted")),
            T("withdraw", _l("Withdraw"), "expert_review", "withdrawn", applicant_only=True),
            T("pass_expert_review", _l("Pass on"), "expert_review", "association_review", {EXPERT},
              assignee_only=True, effects=fx("require_judgement")),
            T("return_expert_review", _l("Return for correction"), "expert_review", "returned", {EXPERT},
              assignee_only=True, opinion=True, effects=fx("require_judgement")),
            T("pass_association_review", _l("Approve"), "association_review", "done", {ASSOCIATION},
              effects=fx("rereview_approved")),
            T("return_association_review", _l("Return for correction"), "association_review", "returned",
              {ASSOCIATION}, opinion=True),
            T("refuse", _l("Refuse"), "association_review", "refused", {ASSOCIATION}, opinion=True),
        ],
        filers=frozenset({INSTITUTION})))


OLD_COURSE_REREVIEW = _old_course_rereview()
