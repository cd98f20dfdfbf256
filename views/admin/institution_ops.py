"""机构事务: rows an institution files for the association's review (SPEC D1, D3,
D14) and the institution's dashboard (D12, D13)."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.scoping import sees_all
from app.services import institution_ops as ops
from models import Institution
from models.enums import RegistrationStatus
from views.base import PlatformModelView

CATEGORY = ("ExamAdmin", _l("Exam administration"))


class ReviewedRowView(PlatformModelView):
    """A row filed for review: the institution submits it; the matter carries the review."""

    @action("submit_review", _l("Submit for review"), confirmation=_l("Submit the chosen rows for review?"),
            icon="fa-paper-plane", multiple=True, single=True)
    def submit_review(self, items):
        done = 0
        for item in items:
            try:
                ops.submit(item, g.user)
                done += 1
            except ops.OpsError as exc:
                flash(str(exc), "danger")
        if done:
            flash(_("Submitted for review: %(n)d.", n=done), "success")
        return redirect(url_for(".list"))


class InstitutionDashboardView(BaseView):
    """D12/D13: an institution's candidates, registrations, fees and results at a glance."""
    route_base = "/institution-dashboard"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        institutions = db.session.query(Institution).order_by(Institution.name).all() if sees_all(g.user) else []
        chosen = request.args.get("institution", type=int) if sees_all(g.user) else g.user.institution_id
        if chosen is None and institutions:
            chosen = institutions[0].id
        numbers = ops.dashboard(chosen) if chosen else None
        return self.render_template("platform/institution_dashboard.html", numbers=numbers,
                                    institutions=institutions, chosen=chosen, status_label=RegistrationStatus.label_of,
                                    institution=db.session.get(Institution, chosen) if chosen else None)


MENU = [(InstitutionDashboardView, _l("Institution dashboard"))]
APIS = []
