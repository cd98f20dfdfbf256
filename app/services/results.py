"""Results (SPEC E1): the weighted total of a registration's subject scores and
the pass decision by its exam's rule.

The rule is one function of plain numbers (``decide``) so that entry, import,
re-check and tests all use it; ``compute`` applies it to an exam's scores and
stores one ExamResult per registration that has scores.
"""
import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from app.extensions import db
from app.roles import ADMIN, ASSOCIATION
from app.scoping import role_names
from models import ExamPlan, ExamResult, RegistrationSubject, Score, Subject

CENT = Decimal("0.01")


class ScoreError(ValueError):
    """Refused scores: ``messages`` name the candidate (ticket number) and subject; nothing was written."""

    def __init__(self, messages):
        super().__init__("; ".join(messages))
        self.messages = messages


def parse_score(text, subject):
    """A score as typed: a number 0..full marks with at most 2 decimals; returns (Decimal, None) or
    (None, translated reason)."""
    from flask_babel import gettext as _

    text = (text or "").strip()
    try:
        value = Decimal(text)
    except ArithmeticError:
        return None, _("“%(value)s” is not a number", value=text)
    if not value.is_finite() or value < 0 or value > subject.full_marks:
        return None, _("a score is between 0 and %(full)s", full=subject.full_marks)
    if value != value.quantize(CENT):
        return None, _("at most 2 decimals")
    return value, None


def save_scores(plan, entries, user):
    """E1: ``entries`` {(registration, subject): (text, absent)} checked all together and written all or
    nothing (empty text and not absent: no score yet); the results are then recomputed."""
    from flask_babel import gettext as _

    messages, values = [], {}
    for (reg, subject), (text, absent) in entries.items():
        who = _("%(name)s (ticket %(ticket)s), %(subject)s", name=reg.person.name, ticket=ticket_of(reg) or "-",
                subject=subject.name)
        text = (text or "").strip()
        if absent and text:
            messages.append(_("%(who)s: a score and 缺考 together", who=who))
        elif absent or text:
            value, reason = (None, None) if absent else parse_score(text, subject)
            if reason:
                messages.append(f"{who}: {reason}")
            values[(reg.id, subject.id)] = (value, bool(absent))
    if messages:
        raise ScoreError(messages)
    existing = {(s.registration_id, s.subject_id): s for s in db.session.query(Score).filter(
        Score.registration_id.in_({r for r, _s in values} or [0]))}
    for (reg_id, subject_id), (value, absent) in values.items():
        row = existing.get((reg_id, subject_id)) or Score(registration_id=reg_id, subject_id=subject_id)
        row.score, row.absent, row.entered_by_id = value, absent, user.id
        db.session.add(row)
    db.session.commit()
    compute(plan.id)
    return len(values)


def ticket_of(registration):
    from models import SeatAssignment

    return db.session.scalar(select(SeatAssignment.ticket_no).where(
        SeatAssignment.registration_id == registration.id).order_by(SeatAssignment.id).limit(1))


def decide(subjects, scores, pass_total=None):
    """(weighted total, passed).

    ``subjects``: (subject_id, weight %, full marks, pass mark); ``scores``:
    {subject_id: (score or None, absent)}.  Each subject counts score / full marks
    x weight, so the total is out of 100.  A subject without a score or marked
    absent (缺考) counts 0 and fails; every subject must reach its pass mark, and
    the total the exam's pass mark when it has one.
    """
    total, passed = Decimal(0), True
    for subject_id, weight, full_marks, pass_mark in subjects:
        score, absent = scores.get(subject_id, (None, False))
        if absent or score is None:
            passed = False
            continue
        score = Decimal(score)
        total += score * Decimal(weight) / Decimal(full_marks or 100)
        if score < Decimal(pass_mark or 0):
            passed = False
    total = total.quantize(CENT, rounding=ROUND_HALF_UP)
    if pass_total is not None and total < Decimal(pass_total):
        passed = False
    return total, passed


def subjects_sat(subjects, sat_ids):
    """The subjects a registration sits, weights rescaled to 100 so the total stays out of 100:
    a make-up candidate who sits only practice (weight 50) has practice count 100.  ``sat_ids``
    None or covering every subject: all subjects as declared."""
    if not sat_ids or {s[0] for s in subjects} <= set(sat_ids):
        return subjects
    chosen = [s for s in subjects if s[0] in sat_ids]
    weight = sum(s[1] for s in chosen) or 1
    return [(sid, Decimal(w) * 100 / weight, full, mark) for sid, w, full, mark in chosen]


def compute(plan_id):
    """Store the result of every registration of the exam that has scores; returns how many."""
    plan = db.session.get(ExamPlan, plan_id)
    subjects = db.session.execute(select(Subject.id, Subject.weight, Subject.full_marks, Subject.pass_score)
                                  .where(Subject.exam_plan_id == plan_id).order_by(Subject.id)).all()
    scores = {}
    for reg_id, subject_id, score, absent in db.session.execute(
            select(Score.registration_id, Score.subject_id, Score.score, Score.absent)
            .join(Subject, Subject.id == Score.subject_id).where(Subject.exam_plan_id == plan_id)):
        scores.setdefault(reg_id, {})[subject_id] = (score, absent)
    existing = {r.registration_id: r for r in
                db.session.query(ExamResult).filter(ExamResult.registration_id.in_(list(scores) or [0]))}
    sat = {}  # make-up candidates (补考) sit the subjects they registered for, not all
    for reg_id, subject_id in db.session.execute(
            select(RegistrationSubject.registration_id, RegistrationSubject.subject_id)
            .where(RegistrationSubject.registration_id.in_(list(scores) or [0]))):
        sat.setdefault(reg_id, set()).add(subject_id)
    for reg_id, mine in scores.items():
        total, passed = decide(subjects_sat(subjects, sat.get(reg_id)), mine, plan.pass_total)
        result = existing.get(reg_id) or ExamResult(registration_id=reg_id)
        result.total, result.passed = total, passed
        db.session.add(result)
    db.session.commit()
    return len(scores)


def published(plan, moment=None):
    """E1: the scores of the exam are published once its publication time has come."""
    moment = moment or datetime.datetime.now()
    return plan.results_published_at is not None and plan.results_published_at <= moment


def visible_to(plan, user):
    """The one publication gate: before the publication time only the Association (and admin)
    sees an exam's scores and results; after it, each user within their own scope."""
    return bool(role_names(user) & {ADMIN, ASSOCIATION}) or published(plan)


def published_clause(registration_id_column, moment=None):
    """SQL form of the gate for lists: rows of registrations whose exam's scores are published."""
    from models import Registration

    moment = moment or datetime.datetime.now()
    return registration_id_column.in_(select(Registration.id).join(ExamPlan, ExamPlan.id == Registration.exam_plan_id)
                                      .where(ExamPlan.results_published_at <= moment))
