"""成绩导入 (SPEC E1, D12): an exam's scores from Excel on the one import pipeline.

Columns: 准考证号, 姓名, then one per subject of the chosen exam (缺考 written as the text
"缺考").  Every ticket number must be one of the exam's and belong to the named
candidate; scores lie between 0 and the subject's full marks.  All or nothing; the
results are recomputed after the import (app.services.results)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.services import results
from app.services.import_types import _repeated
from app.services.imports import CellError, Column, ImportRefused, ImportType, register
from models import ExamPlan, Person, Registration, Score, SeatAssignment

ABSENT = "缺考"


def _plan(ctx):
    plan = db.session.get(ExamPlan, (ctx.options or {}).get("exam_plan_id") or 0)
    if plan is None:
        raise ImportRefused(_("Choose an exam first."))
    return plan


def _score_converter(subject):
    def convert(text, ctx):
        if text in (ABSENT, str(_l("Absent"))):
            return ABSENT
        value, reason = results.parse_score(text, subject)
        if reason:
            raise CellError(_("Write a score or 缺考: %(reason)s.", reason=reason))
        return value
    return convert


@register
class ScoreImport(ImportType):
    key = "scores"
    title = _l("Scores")
    instructions = _l("1. One row per candidate: the admission ticket number and the name as on the ticket. "
                      "2. One column per subject: the score (0 to the subject's full marks, at most 2 decimals), "
                      "缺考 for an absent candidate, or empty when there is no score yet. 3. Data from row 3.")

    def columns_for(self, ctx):
        plan = _plan(ctx)
        return [Column(_l("Admission ticket number"), "ticket", required=True, text=True, width=20,
                       example="20260010000001"),
                Column(_l("Full name"), "name", required=True, example="王小明")] + [
            Column(s.name, f"s{s.id}", convert=_score_converter(s), text=True, example="85",
                   note=_l("0 to %(full)s, or 缺考", full=s.full_marks)) for s in plan.subjects]

    def prepare(self, ctx):
        plan = _plan(ctx)
        ctx.cache["plan"] = plan
        ctx.cache["tickets"] = {ticket: (reg_id, name) for ticket, reg_id, name in db.session.execute(
            select(SeatAssignment.ticket_no, Registration.id, Person.name)
            .join(Registration, Registration.id == SeatAssignment.registration_id)
            .join(Person, Person.id == Registration.person_id).where(Registration.exam_plan_id == plan.id))}

    def check(self, record, ctx):
        found = ctx.cache["tickets"].get(record["ticket"])
        if found is None:
            yield "ticket", _("No candidate of this exam has this admission ticket number.")
        elif found[1] != record["name"]:
            yield "name", _("The ticket belongs to %(name)s.", name=found[1])

    def check_all(self, records, ctx):
        yield from _repeated(records, "ticket", _l("The admission ticket number repeats row %(row)s."))

    def store(self, records, ctx, result):
        plan, tickets = ctx.cache["plan"], ctx.cache["tickets"]
        regs = {tickets[r["ticket"]][0] for r in records}
        existing = {(s.registration_id, s.subject_id): s for s in db.session.scalars(
            select(Score).where(Score.registration_id.in_(regs or [0])))}
        for record in records:
            reg_id = tickets[record["ticket"]][0]
            changed = False
            for subject in plan.subjects:
                value = record.get(f"s{subject.id}")
                if value is None:
                    continue
                absent = value == ABSENT
                score = existing.get((reg_id, subject.id))
                if score is None:
                    score = Score(registration_id=reg_id, subject_id=subject.id)
                    db.session.add(score)
                elif score.absent == absent and score.score == (None if absent else value):
                    continue
                score.score, score.absent, score.entered_by_id = None if absent else value, absent, ctx.user.id
                changed = True
            if changed:
                result.updated += 1
            else:
                result.unchanged += 1
        db.session.flush()
        db.session.commit()
        results.compute(plan.id)
