"""统计分析 (SPEC I2): the figures of registrations, pass rates, fees, matters and certificates with their
charts and an Excel download of each table; an institution sees its own figures only (app/services/statistics.py
holds the queries and the scope)."""
from flask import abort, g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.exports import send_xlsx
from app.scoping import sees_all
from app.services import statistics as service

CATEGORY = ("Statistics", _l("Statistics"))


class StatisticsView(BaseView):
    route_base = "/statistics"
    default_view = "overview"
    base_permissions = ["can_overview", "can_export"]

    @expose("/")
    @expose("/<section>")
    @has_access
    def overview(self, section="registrations"):
        sections = service.sections_for(g.user)
        if section not in sections:
            abort(404)
        errors = {}
        try:
            filters = service.parse_filters(request.args, g.user)
            tables = service.tables(section, filters)
        except service.StatsError as exc:
            errors, filters, tables = {exc.field: str(exc)}, service.parse_filters({}, g.user), []
        staff = sees_all(g.user)
        return self.render_template(
            "platform/statistics.html", section=section, sections=sections, tables=tables, filters=filters,
            errors=errors, args=request.args, exams=service.exam_choices(),
            institutions=service.institution_choices() if staff else [], staff=staff), 400 if errors else 200

    @expose("/export/<key>")
    @has_access
    def export(self, key):
        try:
            filters = service.parse_filters(request.args, g.user)
        except service.StatsError as exc:
            return self.render_template("platform/statistics_error.html", message=str(exc)), 400
        table = service.table(key, filters, g.user)
        if table is None:
            abort(404)
        return send_xlsx(f"{table.key}.xlsx", [str(h) for h in table.headers], table.rows)


MENU = [(StatisticsView, _l("Statistics analysis"))]
APIS = []
