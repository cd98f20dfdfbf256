"""I2 工作台: the back-office home of the Association and of an institution — today's figures, the matters
waiting at a stage where this user acts, and the overdue ones; SQL aggregates within the user's row scope."""
import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select

from app.extensions import db
from app.scoping import DEFAULT_SCOPE, role_names, scope_clause
from app.workflow import REGISTRY, stage_label
from models import Certificate, Matter, Order, Registration
from models.enums import MatterStatus, OrderStatus


def _scoped(stmt, model, user):
    clause = scope_clause(model, getattr(model, "__scope__", DEFAULT_SCOPE), user)
    return stmt if clause is None else stmt.where(clause)


def _today(column, today):
    start = datetime.datetime.combine(today, datetime.time())
    return and_(column >= start, column < start + datetime.timedelta(days=1))


def today_figures(user, today=None):
    """[(label, figure)] of today: registrations submitted, fees collected, matters filed, certificates issued."""
    today = today or datetime.date.today()
    regs = db.session.scalar(_scoped(select(func.count(Registration.id)).where(
        _today(Registration.submitted_at, today)), Registration, user))
    paid = db.session.scalar(_scoped(select(func.coalesce(func.sum(Order.amount), 0)).where(
        Order.status.in_((OrderStatus.PAID.value, OrderStatus.REFUNDING.value, OrderStatus.REFUNDED.value)),
        _today(Order.paid_at, today)), Order, user))
    filed = db.session.scalar(_scoped(select(func.count(Matter.id)).where(_today(Matter.created_at, today)),
                                      Matter, user))
    certs = db.session.scalar(_scoped(select(func.count(Certificate.id)).where(Certificate.issue_date == today),
                                      Certificate, user))
    return [(_("Registrations submitted today"), regs), (_("Fees collected today (yuan)"), paid),
            (_("Matters filed today"), filed), (_("Certificates issued today"), certs)]


def _my_stages(user):
    """SQL of the (type, stage) pairs where one of the user's roles takes a transition (a stage only the
    assignee handles counts the matters assigned to this user)."""
    names = role_names(user)
    clauses = []
    for code, mtype in REGISTRY.items():
        for t in mtype.transitions:
            if t.applicant_only or t.actors_key or not (t.roles & names):
                continue
            clause = and_(Matter.type_code == code, Matter.state.in_(t.source))
            clauses.append(and_(clause, Matter.assignee_id == user.id) if t.assignee_only else clause)
    return or_(*clauses) if clauses else None


def waiting_for_me(user, today=None):
    """[(matter type, stage, matters, overdue)] waiting where this user acts, most first."""
    today = today or datetime.date.today()
    mine = _my_stages(user)
    if mine is None:
        return []
    n = func.count(Matter.id)
    overdue = func.sum(case((Matter.due_date < today, 1), else_=0))
    stmt = _scoped(select(Matter.type_code, Matter.state, n, overdue).where(
        Matter.status == MatterStatus.IN_PROGRESS.value, mine, Matter.applicant_id != user.id), Matter, user)
    rows = db.session.execute(stmt.group_by(Matter.type_code, Matter.state).order_by(n.desc())).all()
    return [(str(REGISTRY[code].name) if code in REGISTRY else code, stage_label(state), count, late or 0)
            for code, state, count, late in rows]
