"""Results (SPEC E1): the weighted total of a registration's subject scores and
the pass decision by its exam's rule.

The rule is one function of plain numbers (``decide``) so that entry, import,
re-check and tests all use it; ``compute`` applies it to an exam's scores and
stores one ExamResult per registration that has scores.
"""
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from app.extensions import db
from models import ExamPlan, ExamResult, Score, Subject

CENT = Decimal("0.01")


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
    for reg_id, mine in scores.items():
        total, passed = decide(subjects, mine, plan.pass_total)
        result = existing.get(reg_id) or ExamResult(registration_id=reg_id)
        result.total, result.passed = total, passed
        db.session.add(result)
    db.session.commit()
    return len(scores)
