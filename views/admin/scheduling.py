"""排考 (SPEC D10): the Association schedules an exam plan as a background job
and publishes the admission tickets; an Institution user sees the seat plan
of its own rooms, read-only."""
import functools

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.scoping import sees_all
from app.services import jobs
from app.services import scheduling as service
from models import ExamPlan, ExamSession, Registration, Room, SeatAssignment
from models.enums import RegistrationStatus, RoomStatus

CATEGORY = ("ExamAdmin", _l("Exam administration"))


def _institution_filter():
    """None for the association side; the user's institution id otherwise (-1: none)."""
    if sees_all(g.user):
        return None
    return g.user.institution_id if g.user.institution_id is not None else -1


def scheduler_only(method):
    """Running and publishing: the association side only; anyone else gets 403
    (FAB's has_access would redirect instead)."""
    @functools.wraps(method)
    def wrapped(self, *args, **kwargs):
        if not g.user or not g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        if not self._may_schedule():
            abort(403)
        return method(self, *args, **kwargs)

    return wrapped


class SchedulingView(BaseView):
    route_base = "/scheduling"
    default_view = "index"
    base_permissions = ["can_list", "can_schedule"]
    method_permission_name = {"index": "list", "plan": "list", "room": "list", "run": "schedule",
                              "publish": "schedule"}

    def _may_schedule(self):
        return self.appbuilder.sm.has_access("can_schedule", self.class_permission_name)

    @expose("/")
    @has_access
    def index(self):
        paid = dict(db.session.execute(
            select(Registration.exam_plan_id, func.count()).where(
                Registration.status == RegistrationStatus.REGISTERED.value).group_by(Registration.exam_plan_id)).all())
        seated = select(ExamSession.exam_plan_id, func.count(SeatAssignment.id)).join(
            SeatAssignment, SeatAssignment.session_id == ExamSession.id).group_by(ExamSession.exam_plan_id)
        inst = _institution_filter()
        if inst is not None:
            seated = seated.join(Room, Room.id == SeatAssignment.room_id).where(Room.institution_id == inst)
        seated = dict(db.session.execute(seated).all())
        plans = db.session.query(ExamPlan).order_by(ExamPlan.exam_start.desc()).limit(200).all()
        return self.render_template("scheduling/index.html", plans=plans, paid=paid, seated=seated)

    def _plan(self, plan_id):
        plan = db.session.get(ExamPlan, plan_id)
        if plan is None:
            abort(404)
        return plan

    @expose("/<int:plan_id>")
    @has_access
    def plan(self, plan_id):
        plan = self._plan(plan_id)
        job = jobs.visible(request.args.get("job", type=int), g.user, "scheduling")
        rows = service.room_summary(plan.id, _institution_filter())
        sites = {}
        for row in rows:
            site = sites.setdefault(row["site"], {"seated": 0, "published": 0, "rooms": set()})
            site["seated"] += row["seated"]
            site["published"] += row["published"]
            site["rooms"].add(row["room_id"])
        paid = db.session.query(func.count(Registration.id)).filter(
            Registration.exam_plan_id == plan.id, Registration.status == RegistrationStatus.REGISTERED.value).scalar()
        inst = _institution_filter()
        return self.render_template("scheduling/plan.html", plan=plan, job=job, rows=rows, sites=sites, paid=paid,
                                    idle=service.idle_rooms(plan.id, inst),
                                    patrols=service.patrol_staff(plan.id) if inst is None else {},
                                    may_schedule=self._may_schedule(), room_status=RoomStatus.label_of,
                                    options=service.Options())

    @expose("/<int:plan_id>/rooms/<int:room_id>")
    @has_access
    def room(self, plan_id, room_id):
        plan = self._plan(plan_id)
        room = db.session.get(Room, room_id)
        inst = _institution_filter()
        if room is None or (inst is not None and room.institution_id != inst):
            abort(404)
        return self.render_template("scheduling/room.html", plan=plan, room=room,
                                    seats=service.seat_list(plan.id, room.id))

    @expose("/<int:plan_id>/run", methods=["POST"])
    @scheduler_only
    def run(self, plan_id):
        plan = self._plan(plan_id)
        form = request.form
        options = {"mode": form.get("mode", service.SPREAD), "per_room": form.get("per_room", type=int) or 0,
                   "patrol_per": form.get("patrol_per", type=int) or 0,
                   "exclude_own": form.get("exclude_own") == "1", "reschedule_all": form.get("reschedule_all") == "1"}
        from app.tasks import schedule_exam

        job = jobs.start("scheduling", g.user, schedule_exam, plan.id, options, total=4)
        return redirect(url_for(".plan", plan_id=plan.id, job=job.id))

    @expose("/<int:plan_id>/publish", methods=["POST"])
    @scheduler_only
    def publish(self, plan_id):
        plan = self._plan(plan_id)
        count = service.publish(plan.id)
        flash(_("%(count)d admission tickets published.", count=count), "success")
        return redirect(url_for(".plan", plan_id=plan.id))


MENU = [(SchedulingView, _l("Exam scheduling"))]
APIS = []
