"""F3 专家评价: the Association assigns a matter at 专家评价 to an expert (who is notified); the expert
judges each experience row of the matter (符合 / 不符合 with a reason) and submits a result — 通过, 退回
(to the applicant) or 建议不予通过 — whose opinion lists the nonconforming rows.  The proposal is kept in
the matter's payload (``expert_result``) for the Association, who decides with its own transitions.

Functions raise ExpertReviewError(field, message) and write nothing then; they commit.  The matter moves
only through the engine (workflow.assign, workflow.take)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import workflow
from app.extensions import db
from app.roles import ADMIN, ASSOCIATION, EXPERT
from app.scoping import role_names
from app.services import experience, notifications
from app.workflow import WorkflowError
from models import Matter, Person, PlatformUser
from models.enums import Conformity
from models.enums import ExperienceKind as K
from models.personnel import ExperienceEntry

STAGE = "expert_review"
ASSIGNERS = {ADMIN, ASSOCIATION}
# the expert's result: the proposal kept for the Association, and the transition it takes
RESULTS = {
    "pass": (_l("Evaluation passed"), "pass_expert_review"),
    "return": (_l("Return to the applicant"), "return_expert_review"),
    "refuse": (_l("Propose not to approve"), "pass_expert_review"),
}
REMARK_MAX = 500
COMMENT_MAX = 2000


class ExpertReviewError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def result_label(code):
    return RESULTS[code][0] if code in RESULTS else (code or "")


# --- assignment ----------------------------------------------------------------------------------------
def may_assign(user):
    return bool(role_names(user) & ASSIGNERS)


def workloads():
    """{expert user id: their open matters at 专家评价}."""
    return dict(db.session.execute(select(Matter.assignee_id, func.count(Matter.id))
                                   .where(Matter.state == STAGE, Matter.assignee_id.is_not(None))
                                   .group_by(Matter.assignee_id)).all())


def experts():
    """[(user, person or None, open workload)] of every active Expert user, the least busy first."""
    from flask_appbuilder.security.sqla.models import Role

    users = db.session.scalars(select(PlatformUser).where(PlatformUser.active.is_(True),
                                                          PlatformUser.roles.any(Role.name == EXPERT))).all()
    people = {p.user_id: p for p in db.session.scalars(select(Person).where(
        Person.user_id.in_([u.id for u in users])))} if users else {}
    load = workloads()
    found = [(u, people.get(u.id), load.get(u.id, 0)) for u in users]
    return sorted(found, key=lambda e: (e[2], e[0].id))


def awaiting(assigned=False):
    """Matters at 专家评价 with no expert yet (``assigned``: those with one), oldest first."""
    query = select(Matter).where(Matter.state == STAGE)
    query = query.where(Matter.assignee_id.is_not(None) if assigned else Matter.assignee_id.is_(None))
    return db.session.scalars(query.order_by(Matter.filed_at, Matter.id)).all()


def display_name(user):
    person = db.session.scalar(select(Person).where(Person.user_id == user.id))
    return person.name if person is not None else f"{user.first_name}{user.last_name}"


def assign(matter_id, expert, user):
    """The Association (or Admin) assigns the matter at 专家评价 to an active expert (a user or a user id, as
    the picker sends it); the engine writes the history row and notifies the expert."""
    if not may_assign(user):
        raise ExpertReviewError("form", _("Only the association may assign experts."))
    if not isinstance(expert, PlatformUser):
        expert = db.session.get(PlatformUser, int(expert)) if str(expert or "").isdigit() else None
    if expert is None or not expert.active or EXPERT not in role_names(expert):
        raise ExpertReviewError("expert_id", _("Please choose an expert."))
    try:
        return workflow.assign(matter_id, expert, user,
                               opinion=_("Assigned to the expert %(name)s.", name=display_name(expert)))
    except WorkflowError as exc:
        raise ExpertReviewError("form", str(exc)) from None


# --- the judgement ------------------------------------------------------------------------------------
def may_judge(matter, user):
    """Only the assigned expert, while the matter is at 专家评价."""
    return (matter is not None and matter.state == STAGE and matter.assignee_id is not None
            and matter.assignee_id == getattr(user, "id", None) and EXPERT in role_names(user))


def rows(matter):
    """[(kind, [rows])] of the matter's experience tables that have rows, in the tables' order."""
    found = {k: [] for k in experience.TABLES}
    for row in db.session.scalars(select(ExperienceEntry).where(ExperienceEntry.matter_id == matter.id)
                                  .order_by(ExperienceEntry.position, ExperienceEntry.id)):
        found[K(row.kind)].append(row)
    return [(k, found[k]) for k in experience.TABLES if found[k]]


def _where(kind, n):
    return _("%(table)s, row %(n)d", table=K(kind).label, n=n)


def _read(matter, form, complete):
    """[(row, conformity or None, remark)] from the form; an error names the table and row."""
    read = []
    for kind, found in rows(matter):
        for n, row in enumerate(found, 1):
            value = (form.get(f"c-{row.id}") or "").strip() or None
            remark = (form.get(f"r-{row.id}") or "").strip()
            if value is not None and value not in {c.value for c in Conformity}:
                raise ExpertReviewError(f"c-{row.id}", _("%(where)s: please choose conforming or nonconforming.",
                                                         where=_where(kind, n)))
            if value is None and complete:
                raise ExpertReviewError(f"c-{row.id}", _("%(where)s: please judge this row.", where=_where(kind, n)))
            if value == Conformity.NONCONFORMING.value and not remark:
                raise ExpertReviewError(f"r-{row.id}", _("%(where)s: please give the reason it does not conform.",
                                                         where=_where(kind, n)))
            if len(remark) > REMARK_MAX:
                raise ExpertReviewError(f"r-{row.id}", _("%(where)s: the remark has at most %(n)d characters.",
                                                         where=_where(kind, n), n=REMARK_MAX))
            read.append((row, value, remark or None))
    return read


def _locked(matter_id, user):
    matter = workflow._lock(matter_id)
    if not may_judge(matter, user):
        raise ExpertReviewError("form", _("You may not evaluate this matter."))
    return matter


def save(matter_id, user, form):
    """保存: the judgements so far (rows may stay unjudged)."""
    try:
        matter = _locked(matter_id, user)
        for row, value, remark in _read(matter, form, complete=False):
            row.conformity, row.remark = value, remark
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return matter


def opinion(matter, result, comment):
    """The opinion: the result, every nonconforming row (its summary and the reason), the expert's comment."""
    lines = [_("Expert evaluation: %(result)s", result=result_label(result))]
    bad = [(kind, n, row) for kind, found in rows(matter) for n, row in enumerate(found, 1)
           if row.conformity == Conformity.NONCONFORMING.value]
    if bad:
        lines.append(_("Nonconforming rows:"))
        for i, (kind, n, row) in enumerate(bad, 1):
            lines.append(_("%(i)d. %(where)s (%(summary)s): %(remark)s", i=i, where=_where(kind, n),
                           summary=experience.summary(kind, row.data or {}), remark=row.remark))
    if comment:
        lines.append(_("Expert's comment: %(comment)s", comment=comment))
    return "\n".join(lines)


def submit(matter_id, user, form):
    """提交评价结果: every row judged, the result (``form["result"]``) and its opinion; the matter moves on
    (通过 / 建议不予通过: to the Association with the proposal) or back to the applicant (退回)."""
    result = (form.get("result") or "").strip()
    comment = (form.get("comment") or "").strip()
    try:
        matter = _locked(matter_id, user)
        if result not in RESULTS:
            raise ExpertReviewError("result", _("Please choose the evaluation result."))
        if len(comment) > COMMENT_MAX:
            raise ExpertReviewError("comment", _("The comment has at most %(n)d characters.", n=COMMENT_MAX))
        read = _read(matter, form, complete=True)
        for row, value, remark in read:
            row.conformity, row.remark = value, remark
        nonconforming = [r for r, value, _r in read if value == Conformity.NONCONFORMING.value]
        if result == "pass" and nonconforming:
            raise ExpertReviewError("result", _("Rows are marked nonconforming: return the matter or propose not "
                                                "to approve it."))
        if result != "pass" and not nonconforming and not comment:
            raise ExpertReviewError("comment", _("Please give the reason in the comment."))
        text = opinion(matter, result, comment)
        matter.payload = {**(matter.payload or {}), "expert_result": result, "expert_opinion": text,
                          "expert_id": user.id}
        matter, deliveries = workflow.take(matter.id, RESULTS[result][1], user, opinion=text)
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        raise ExpertReviewError("form", str(exc)) from None
    except Exception:
        db.session.rollback()
        raise
    notifications.dispatch(deliveries)
    return matter


def tasks(user, open_only=True):
    """我的评价任务: the matters assigned to ``user`` (at 专家评价, or every one)."""
    query = select(Matter).where(Matter.assignee_id == user.id)
    if open_only:
        query = query.where(Matter.state == STAGE)
    return db.session.scalars(query.order_by(Matter.due_date, Matter.id)).all()


# --- effects (declared on personnel_registration in app/matters) -------------------------------------
def require_judgement(matter, _t, _user):
    """The expert's result follows the per-row judgement: an unjudged experience row refuses it (the
    judgement screen judges every row before it moves the matter)."""
    open_rows = sum(1 for _kind, found in rows(matter) for row in found if row.conformity is None)
    if open_rows:
        raise WorkflowError(_("Matter %(no)s: %(n)d experience rows are not judged yet; judge each row on the "
                              "evaluation page.", no=matter.business_no, n=open_rows))


def reopen_nonconforming(matter):
    """A resubmitted application: the rows found nonconforming are judged again (conforming ones stay)."""
    for _kind, found in rows(matter):
        for row in found:
            if row.conformity == Conformity.NONCONFORMING.value:
                row.conformity = None
