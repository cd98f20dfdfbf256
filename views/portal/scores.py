"""成绩查询 (SPEC E2; seed 000 §3.3): the candidate picks the year and an exam they sat
and sees the subject scores, the weighted total and the result — from the exam's
publication time on (the gate: app.services.results)."""
from flask import abort, g, request

from app.extensions import db
from app.services import accounts, recheck, results
from models import ExamResult, Score
from views.portal import bp, profile_required, render


def result_of(registration):
    """(scores by subject id, ExamResult) of a registration whose scores are published, else None."""
    if not results.published(registration.exam_plan):
        return None
    scores = {s.subject_id: s for s in db.session.query(Score).filter_by(registration_id=registration.id)}
    return scores, db.session.query(ExamResult).filter_by(registration_id=registration.id).first()


@bp.route("/scores")
@profile_required
def scores():
    sat = recheck.sat_registrations(accounts.person_of(g.user))
    years = sorted({r.exam_plan.exam_start.year for r in sat}, reverse=True)
    year = request.args.get("year", type=int) or (years[0] if years else None)
    in_year = [r for r in sat if r.exam_plan.exam_start.year == year]
    chosen = None
    if request.args.get("rid"):
        chosen = next((r for r in sat if str(r.id) == request.args["rid"]), None)
        if chosen is None:
            abort(404)  # someone else's registration, or none: the same answer
    elif len(in_year) == 1:
        chosen = in_year[0]
    shown = result_of(chosen) if chosen else None
    return render("scores.html", years=years, year=year, registrations=in_year, chosen=chosen, shown=shown,
                  recheck_refusal=recheck.window_refusal(chosen.exam_plan) if chosen else None,
                  ticket=results.ticket_of(chosen) if chosen else None)


@bp.context_processor
def _score_helpers():
    """我的考试 shows the published result and, while re-checks are open, the 成绩复核 button."""
    return {"result_of": result_of,
            "recheck_open": lambda r: recheck.window_refusal(r.exam_plan) is None and not recheck.open_recheck(r.id)}
