"""The index: a public welcome, a candidate's placeholder home, or the
back-office desk with the user's open work."""
import datetime

from flask import g
from flask_appbuilder import IndexView, expose

from app.extensions import db
from app.roles import CANDIDATE
from app.scoping import role_names, scope_clause
from app.services import notifications
from models import ExamPlan, Matter
from models.enums import MatterStatus


class HomeView(IndexView):
    route_base = ""
    default_view = "index"

    @expose("/")
    def index(self):
        user = g.user
        if user is None or not user.is_authenticated:
            exams = db.session.query(ExamPlan).filter_by(published=True).order_by(ExamPlan.reg_start.desc()).limit(6)
            return self.render_template("platform/home_public.html", exams=list(exams))
        names = role_names(user)
        unread = notifications.unread_count(user)
        if names == {CANDIDATE}:
            return self.render_template("platform/home_candidate.html", unread=unread, roles=names)
        query = db.session.query(Matter).filter(Matter.status == MatterStatus.IN_PROGRESS.value)
        clause = scope_clause(Matter, Matter.__scope__, user)
        if clause is not None:
            query = query.filter(clause)
        open_matters = query.count()
        overdue = query.filter(Matter.due_date < datetime.date.today()).count()  # same rule as Matter.overdue
        return self.render_template("platform/home_desk.html", unread=unread, roles=sorted(names),
                                    open_matters=open_matters, overdue=overdue)
