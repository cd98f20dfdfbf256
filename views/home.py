"""The index: a public welcome, a candidate's placeholder home, or the
back-office desk with the user's open work."""
import datetime

from flask import g
from flask_appbuilder import IndexView, expose

from app.extensions import db
from app.roles import ADMIN, ASSOCIATION, FINANCE, INSTITUTION, TEACHER
from app.scoping import role_names, scope_clause
from app.services import dashboard, notifications, training_plans
from models import Matter
from models.enums import MatterStatus
from views import portal

FIGURE_ROLES = {ADMIN, ASSOCIATION, INSTITUTION, FINANCE}  # the home shows them today's figures (I2)


class HomeView(IndexView):
    route_base = ""
    default_view = "index"

    @expose("/")
    def index(self):
        user = g.user
        if user is None or not user.is_authenticated or portal.is_portal_user(user):
            return portal.home_page()  # the public and the candidates live in the portal
        names = role_names(user)
        unread = notifications.unread_count(user)
        query = db.session.query(Matter).filter(Matter.status == MatterStatus.IN_PROGRESS.value)
        clause = scope_clause(Matter, Matter.__scope__, user)
        if clause is not None:
            query = query.filter(clause)
        open_matters = query.count()
        overdue = query.filter(Matter.due_date < datetime.date.today()).count()  # same rule as Matter.overdue
        awaiting = training_plans.awaiting_teacher(user) if TEACHER in names else []
        figures = dashboard.today_figures(user) if names & FIGURE_ROLES else []
        return self.render_template("platform/home_desk.html", unread=unread, roles=sorted(names),
                                    open_matters=open_matters, overdue=overdue, awaiting=awaiting,
                                    is_teacher=TEACHER in names, figures=figures,
                                    waiting=dashboard.waiting_for_me(user))
