"""统计: headline figures of the business (SPEC I2 grows from here)."""
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from app.extensions import db
from models import Matter, Order, Registration
from models.enums import MatterStatus, OrderStatus, RegistrationStatus

CATEGORY = ("Statistics", _l("Statistics"))


class StatisticsView(BaseView):
    route_base = "/statistics"
    default_view = "overview"

    @expose("/")
    @has_access
    def overview(self):
        def by(column, enum):
            rows = dict(db.session.query(column, func.count()).group_by(column).all())
            return [(m.label, rows.get(m.value, 0)) for m in enum]

        paid = db.session.query(func.coalesce(func.sum(Order.amount), 0)).filter(
            Order.status == OrderStatus.PAID.value).scalar()
        return self.render_template("platform/statistics.html",
                                    registrations=by(Registration.status, RegistrationStatus),
                                    matters=by(Matter.status, MatterStatus), paid=paid)


MENU = [(StatisticsView, _l("Overview"))]
APIS = []
