"""成绩复核 (SPEC E3; seed 002 §4.2): a candidate asks for a re-check of a published
score; the Association changes the score (the result is recomputed and the candidate
told) or keeps it, within 4 working days (the matter type's deadline).

Filing is allowed only for an exam that allows re-checks, after its scores are
published and until its re-check window closes, when the admission ticket number
entered is the candidate's own in that exam, with a reason, and with no other
re-check of that registration open."""
import datetime

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select

from app import workflow
from app.extensions import db
from app.services import matter_content, notifications, results
from models import ExamPlan, ExamResult, Matter, Registration, SeatAssignment
from models.enums import MatterStatus

TYPE = "score_recheck"


class RecheckError(ValueError):
    """A refused re-check; ``field`` names the form field, ``str()`` the reason."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def sat_registrations(person):
    """The person's registrations that have an admission ticket (the exams they sat)."""
    if person is None:
        return []
    return db.session.scalars(
        select(Registration).where(Registration.person_id == person.id, Registration.id.in_(
            select(SeatAssignment.registration_id))).order_by(Registration.id.desc())).all()


def window_refusal(plan, moment=None):
    """Why a re-check of ``plan`` cannot be filed now, or None."""
    moment = moment or datetime.datetime.now()
    if not plan.recheck_allowed:
        return _("%(exam)s does not allow score re-checks.", exam=plan.name)
    if not results.published(plan, moment):
        return _("The scores of %(exam)s are not published yet.", exam=plan.name)
    if plan.recheck_until is None or moment > plan.recheck_until:
        return _("The re-check window of %(exam)s is closed.", exam=plan.name)
    return None


def open_recheck(registration_id):
    return db.session.scalar(select(Matter).where(
        Matter.type_code == TYPE, Matter.object_type == "Registration", Matter.object_id == registration_id,
        Matter.status != MatterStatus.COMPLETED.value))


def file(user, person, plan_id, ticket_no, reason, subject_ids=()):
    """Check everything, then open and submit the matter (commits); raises RecheckError."""
    plan = db.session.get(ExamPlan, plan_id) if str(plan_id or "").isdigit() else None
    if plan is None:
        raise RecheckError("exam_id", _("Please choose: %(field)s.", field=_("Exam allowing re-checks")))
    refusal = window_refusal(plan)
    if refusal:
        raise RecheckError("exam_id", refusal)
    ticket_no = (ticket_no or "").strip()
    registration = db.session.scalar(
        select(Registration).join(SeatAssignment, SeatAssignment.registration_id == Registration.id)
        .where(Registration.exam_plan_id == plan.id, Registration.person_id == (person.id if person else 0),
               SeatAssignment.ticket_no == ticket_no)) if ticket_no else None
    if registration is None:
        raise RecheckError("ticket_no", _("The admission ticket number is not yours in this exam."))
    reason = (reason or "").strip()
    if not reason:
        raise RecheckError("reason", _("Please fill in: %(field)s.", field=_("Reason for the re-check")))
    if len(reason) > 500:
        raise RecheckError("reason", _("%(field)s has at most %(n)d characters.", field=_("Reason for the re-check"),
                                       n=500))
    if open_recheck(registration.id):
        raise RecheckError("exam_id", _("A re-check of this exam is already being handled."))
    subjects = {s.id: s.name for s in plan.subjects}
    chosen = [int(s) for s in subject_ids if str(s).isdigit() and int(s) in subjects] or list(subjects)
    matter = workflow.create_matter(
        TYPE, user, _("Score re-check: %(exam)s", exam=plan.name), institution_id=None, obj=registration,
        payload={"registration_id": registration.id, "ticket_no": ticket_no, "reason": reason,
                 "subject_ids": chosen, "subjects": [subjects[s] for s in chosen]})
    return workflow.apply(matter.id, "submit", user)


def matter_and_registration(matter_id):
    matter = db.session.get(Matter, matter_id)
    if matter is None or matter.type_code != TYPE:
        abort(404)
    reg_id = (matter.payload or {}).get("registration_id") or (
        matter.object_id if matter.object_type == "Registration" else None)
    registration = db.session.get(Registration, reg_id) if reg_id else None
    if registration is None:
        abort(404)
    return matter, registration


def _summary(registration):
    result = db.session.scalar(select(ExamResult).where(ExamResult.registration_id == registration.id))
    if result is None:
        return "-"
    verdict = _("Pass") if result.passed else _("Fail")
    return f"{result.total} {verdict}"


def decide(matter, registration, decision, entries, opinion, user):
    """The Association's answer: "change" writes the scores (all or nothing) and approves, "keep"
    approves with the scores unchanged, "refuse" refuses; each needs an opinion.  The candidate
    is told the old and new result."""
    opinion = (opinion or "").strip()
    if not opinion:
        raise RecheckError("opinion", _("Please fill in: %(field)s.", field=_("Opinion")))
    if decision not in ("change", "keep", "refuse"):
        raise RecheckError("decision", _("Please choose: %(field)s.", field=_("Decision")))
    transition = "refuse" if decision == "refuse" else "pass_association_review"
    if not any(t.name == transition for t in workflow.available_transitions(matter, user)):
        raise RecheckError("decision", _("Re-check %(no)s cannot be decided now.", no=matter.business_no))
    plan = registration.exam_plan
    before = _summary(registration)
    if decision == "change":
        results.save_scores(plan, entries, user)  # raises ScoreError before anything is written
    workflow.apply(matter.id, transition, user, opinion=opinion)
    if decision == "change":
        after = _summary(registration)
        deliveries = notifications.notify(
            [registration.person.user] if registration.person.user else [],
            _("Re-check %(no)s: your score was changed", no=matter.business_no),
            _("%(exam)s: result before the re-check %(before)s, now %(after)s. %(opinion)s", exam=plan.name,
              before=before, after=after, opinion=opinion), link=lambda _u: "/portal/scores")
        db.session.commit()
        notifications.dispatch(deliveries)


@matter_content.content(TYPE)
def content(matter):
    """F8: what the re-check asks for, on its detail pages."""
    p = matter.payload or {}
    return {"rows": [(_("Admission ticket number"), p.get("ticket_no", "")),
                     (_("Subjects to re-check"), "、".join(p.get("subjects") or [])),
                     (_("Reason for the re-check"), p.get("reason", ""))]}
