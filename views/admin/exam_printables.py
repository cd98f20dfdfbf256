"""考务 printables (SPEC D11): for an exam plan and a session, the door sticker, desk
stickers, sign-in sheet and admission tickets of each room, or of every room at once as
a background job with progress and a download link.  The Association prints every
room, an Institution user only its own (Room.institution_id).  A room whose PDF would
run past PRINTABLES_SYNC_MAX_PAGES pages goes to the same job instead of a long wait; the
schedule details (考场安排明细) of a plan download as a workbook, in the same scope."""
import io
import logging
import tempfile

from flask import abort, current_app, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import tasks
from app.extensions import db
from app.services import jobs, printables
from models import ExamPlan, ExamSession

log = logging.getLogger(__name__)
CATEGORY = ("ExamAdmin", _l("Exam administration"))
KIND_LABELS = {"door": _l("Door sticker"), "desk": _l("Desk stickers"), "signin": _l("Sign-in sheet"),
               "tickets": _l("Admission tickets")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sync_max_pages():
    """More pages than this for one room: a background job instead of a wait (and a timeout)."""
    return current_app.config.get("PRINTABLES_SYNC_MAX_PAGES", 400)


class ExamPrintablesView(BaseView):
    route_base = "/exam-printables"
    default_view = "index"

    def _session(self, session_id):
        session = db.session.get(ExamSession, session_id)
        if session is None:
            abort(404)
        return session

    def _room(self, session_id, room_id):
        """The room if the user may print it and it has seats in the session; else 404."""
        for room, count in printables.rooms_in_scope(session_id, g.user):
            if room.id == room_id:
                return room, count
        abort(404)

    @expose("/")
    @has_access
    @permission_name("print")
    def index(self):
        plans = (db.session.query(ExamPlan).filter(ExamPlan.id.in_(db.session.query(ExamSession.exam_plan_id)))
                 .order_by(ExamPlan.exam_start.desc()).limit(200).all())
        plan_id = request.args.get("plan", type=int)
        plan = db.session.get(ExamPlan, plan_id) if plan_id else (plans[0] if plans else None)
        sessions = (db.session.query(ExamSession).filter_by(exam_plan_id=plan.id).order_by(ExamSession.starts_at)
                    .all() if plan else [])
        rooms = {s.id: printables.rooms_in_scope(s.id, g.user) for s in sessions}
        return self.render_template("exam_printables/index.html", plans=plans, plan=plan, sessions=sessions,
                                   rooms=rooms, kinds=KIND_LABELS, pages=printables.estimated_pages,
                                   sync_max=_sync_max_pages())

    @expose("/<int:session_id>/<int:room_id>/<kind>.pdf", methods=["GET", "POST"])
    @has_access
    @permission_name("print")
    def room_pdf(self, session_id, room_id, kind):
        """GET: the PDF at once, or for a big room a page offering the job; POST: the job."""
        if kind not in KIND_LABELS:
            abort(404)
        session = self._session(session_id)
        room, count = self._room(session_id, room_id)
        if request.method == "POST":
            job = jobs.start("exam_printables", g.user, tasks.exam_printables, g.user.id, session.id, [room.id],
                             [kind])
            return redirect(url_for(".job", job_id=job.id))
        pages = printables.estimated_pages(kind, count)
        if pages > _sync_max_pages():  # a GET changes nothing: the page posts to start the job
            return self.render_template("exam_printables/background.html", exam_session=session, room=room,
                                        kind=KIND_LABELS[kind], pages=pages, count=count)
        try:
            if kind == "tickets":
                data, _pages = printables.render_batch(session, [room], ["tickets"])
            else:
                data = printables.room_pdf(kind, room, session, printables.room_seats(session_id, room_id))
        except printables.FontMissing as exc:
            log.error("%s", exc)
            return self.render_template("exam_printables/index.html", plans=[], plan=None, sessions=[], rooms={},
                                        kinds=KIND_LABELS, error=_(
                                            "The PDF cannot be made right now: the Chinese font is missing on the "
                                            "server. Please try again later or contact us.")), 503
        response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=False, max_age=0,
                             download_name=f"{KIND_LABELS[kind]}-{room.name}-{session.name}.pdf")
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/<int:session_id>/batch", methods=["POST"])
    @has_access
    @permission_name("print")
    def batch(self, session_id):
        session = self._session(session_id)
        kinds = [k for k in request.form.getlist("kind") if k in KIND_LABELS] or list(KIND_LABELS)
        room_ids = [int(r) for r in request.form.getlist("room_id") if r.isdigit()]
        allowed = {room.id for room, _count in printables.rooms_in_scope(session_id, g.user)}
        if any(r not in allowed for r in room_ids):
            abort(404)
        job = jobs.start("exam_printables", g.user, tasks.exam_printables, g.user.id, session.id, room_ids, kinds)
        return redirect(url_for(".job", job_id=job.id))

    @expose("/plans/<int:plan_id>/schedule.xlsx")
    @has_access
    @permission_name("print")
    def schedule_xlsx(self, plan_id):
        """考场安排明细: every seat of the plan (an institution: those in its own rooms)."""
        plan = db.session.get(ExamPlan, plan_id)
        if plan is None:
            abort(404)
        fh = tempfile.TemporaryFile()  # written with constant memory, sent from disk, gone when closed
        printables.write_schedule(plan, g.user, fh)
        fh.seek(0)
        response = send_file(fh, mimetype=XLSX, as_attachment=True, max_age=0,
                             download_name=f"{_('Schedule details')}-{plan.name}.xlsx")
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/jobs/<int:job_id>")
    @has_access
    @permission_name("print")
    def job(self, job_id):
        job = jobs.visible_or_404(job_id, g.user, "exam_printables")
        return self.render_template("exam_printables/job.html", job=job, exam_session=None)


MENU = [(ExamPrintablesView, _l("Room printables"))]
APIS = []
