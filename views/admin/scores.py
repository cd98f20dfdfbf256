"""成绩: score entry, results and their publication (SPEC E1, E2, D12), the score
import page, and the Association's handling of score re-checks (E3).

The Association enters, imports and publishes; an institution sees its own
candidates' results of published exams only (the gate: app.services.results)."""
import datetime

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.exports import workbook_bytes
from app.extensions import db
from app.scoping import role_names
from app.services import imports, recheck, results, score_import  # noqa: F401  (registers the import)
from app.workflow import WorkflowError
from models import ExamPlan, ExamResult, Registration, Score, SeatAssignment
from models.enums import RegistrationStatus
from views.admin.imports import ImportPage

CATEGORY = ("Scores", _l("Scores"))
ENTERS = {"Admin", "Association"}


def _sat_registrations(plan, user):
    """The exam's registered candidates with their ticket numbers; an institution's own only."""
    query = (select(Registration).where(Registration.exam_plan_id == plan.id,
                                        Registration.status == RegistrationStatus.REGISTERED.value)
             .options(selectinload(Registration.person)))
    if not role_names(user) & ENTERS:
        query = query.where(Registration.institution_id == (user.institution_id or 0))
    regs = db.session.scalars(query).all()
    tickets = dict(db.session.execute(select(SeatAssignment.registration_id, func.min(SeatAssignment.ticket_no))
                                      .where(SeatAssignment.registration_id.in_([r.id for r in regs] or [0]))
                                      .group_by(SeatAssignment.registration_id)).all())
    return sorted(((r, tickets.get(r.id)) for r in regs), key=lambda rt: (rt[1] or "~", rt[0].id))


def score_table(plan, registrations):
    """{registration id: {subject id: Score}} and {registration id: ExamResult} for the page."""
    ids = [r.id for r in registrations] or [0]
    scores = {}
    for s in db.session.scalars(select(Score).where(Score.registration_id.in_(ids))):
        scores.setdefault(s.registration_id, {})[s.subject_id] = s
    found = {r.registration_id: r for r in db.session.scalars(select(ExamResult).where(
        ExamResult.registration_id.in_(ids)))}
    return scores, found


class ScoreEntryView(BaseView):
    route_base = "/scores"
    default_view = "index"

    def _plan(self, plan_id):
        plan = db.session.get(ExamPlan, plan_id)
        if plan is None or not results.visible_to(plan, g.user):
            abort(404)
        return plan

    @expose("/")
    @has_access
    def index(self):
        enters = bool(role_names(g.user) & ENTERS)
        plans = db.session.query(ExamPlan).filter(ExamPlan.exam_start <= datetime.datetime.now()) \
            .order_by(ExamPlan.exam_start.desc()).all()
        plans = [p for p in plans if results.visible_to(p, g.user)]
        counts = {}
        for plan in plans:
            rows = _sat_registrations(plan, g.user)
            _scores, found = score_table(plan, [r for r, _t in rows])
            counts[plan.id] = (len(rows), len(found), sum(1 for r in found.values() if r.passed))
        return self.render_template("scores/index.html", plans=plans, counts=counts, enters=enters,
                                    published=results.published)

    @expose("/<int:plan_id>", methods=["GET", "POST"])
    @has_access
    def plan(self, plan_id):
        plan = self._plan(plan_id)
        enters = bool(role_names(g.user) & ENTERS)
        rows = _sat_registrations(plan, g.user)
        errors = []
        if request.method == "POST":
            if not enters:
                abort(403)
            entries = {}
            for reg, _ticket in rows:
                for subject in plan.subjects:
                    key = f"s{reg.id}_{subject.id}"
                    if key in request.form or f"a{reg.id}_{subject.id}" in request.form:
                        entries[(reg, subject)] = (request.form.get(key), bool(request.form.get(f"a{key[1:]}")))
            try:
                n = results.save_scores(plan, entries, g.user)
            except results.ScoreError as exc:
                errors = exc.messages
                flash(_("Nothing was saved: %(n)d scores are not right.", n=len(errors)), "danger")
            else:
                flash(_("%(n)d scores saved; the results are computed.", n=n), "success")
                return redirect(url_for(".plan", plan_id=plan.id))
        scores, found = score_table(plan, [r for r, _t in rows])
        return self.render_template("scores/plan.html", plan=plan, rows=rows, scores=scores, found=found,
                                    enters=enters, errors=errors, form=request.form,
                                    published=results.published(plan))

    @expose("/<int:plan_id>/publish", methods=["POST"])
    @has_access
    @permission_name("enter")
    def publish(self, plan_id):
        plan = self._plan(plan_id)
        now = datetime.datetime.now()
        if not results.published(plan, now):
            plan.results_published_at = now
        db.session.query(ExamResult).filter(ExamResult.registration_id.in_(
            select(Registration.id).where(Registration.exam_plan_id == plan.id))).update(
            {"published_at": plan.results_published_at}, synchronize_session=False)
        db.session.commit()
        flash(_("The scores of %(exam)s are published.", exam=plan.name), "success")
        return redirect(url_for(".plan", plan_id=plan.id))

    @expose("/<int:plan_id>/results.xlsx")
    @has_access
    def export(self, plan_id):
        plan = self._plan(plan_id)
        rows = _sat_registrations(plan, g.user)
        scores, found = score_table(plan, [r for r, _t in rows])
        headers = [_("Admission ticket number"), _("Full name"), _("ID number")] + [
            s.name for s in plan.subjects] + [_("Weighted total"), _("Result")]
        body = []
        for reg, ticket in rows:
            mine, result = scores.get(reg.id, {}), found.get(reg.id)
            body.append([ticket or "", reg.person.name, reg.person.id_number_masked] + [
                _("Absent") if s.id in mine and mine[s.id].absent else (
                    str(mine[s.id].score) if s.id in mine and mine[s.id].score is not None else "")
                for s in plan.subjects] + [str(result.total) if result else "",
                                           result_label(result)])
        return send_file(workbook_bytes(headers, body), as_attachment=True, mimetype=imports.XLSX_MIME,
                         download_name=f"results-{plan.id}.xlsx")

    # --- E3: the Association handles a re-check ------------------------------------------------------
    @expose("/recheck/<int:matter_id>", methods=["GET", "POST"])
    @has_access
    @permission_name("enter")
    def recheck(self, matter_id):
        matter, reg = recheck.matter_and_registration(matter_id)
        plan = reg.exam_plan
        errors = []
        if request.method == "POST":
            entries = {(reg, s): (request.form.get(f"s{s.id}"), bool(request.form.get(f"a{s.id}")))
                       for s in plan.subjects}
            try:
                recheck.decide(matter, reg, request.form.get("decision"), entries, request.form.get("opinion"),
                               g.user)
            except (results.ScoreError, WorkflowError, recheck.RecheckError) as exc:
                errors = getattr(exc, "messages", [str(exc)])
            else:
                flash(_("Re-check %(no)s is done.", no=matter.business_no), "success")
                return redirect(url_for("MatterView.show", pk=matter.id))
        scores, found = score_table(plan, [reg])
        return self.render_template("scores/recheck.html", matter=matter, reg=reg, plan=plan,
                                    scores=scores.get(reg.id, {}), result=found.get(reg.id), errors=errors,
                                    form=request.form, ticket=results.ticket_of(reg),
                                    payload=matter.payload or {})


def result_label(result):
    if result is None:
        return ""
    return _("Pass") if result.passed else _("Fail")


class ScoreImportView(ImportPage):
    """E1: scores from Excel per exam: 准考证号, 姓名 and one column per subject (缺考 as text)."""
    route_base = "/imports/scores"
    kinds = ("scores",)
    page_title = _l("Score import")
    needs_institution = False
    plan_option = True
    plan_refused = _l("Choose an exam that has been sat.")

    def _plans(self):
        return db.session.query(ExamPlan).filter(ExamPlan.exam_start <= datetime.datetime.now()) \
            .order_by(ExamPlan.exam_start.desc()).all()


MENU = [(ScoreEntryView, _l("Scores and results")), (ScoreImportView, _l("Score import"))]
APIS = []
