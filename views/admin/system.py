"""系统: audit log, working-day calendar, background jobs (beside FAB's users and roles).

审计日志 (SPEC I1, /auditlog/) and 工作日历 (SPEC I3, /workcalendar/<year>) are screens of their own
(app/services/audit_browser.py, app/services/work_calendar.py); the generic audit-log view stays,
without a menu entry, for one row's details (/auditlogview/show/<id>)."""
import datetime

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.exports import EXPORT_MAX_ROWS, send_xlsx
from app.services import audit_browser, role_permissions
from app.services import work_calendar as calendar_service
from models import Attachment, AuditLog, Job
from models.enums import AuditAction
from views.base import model_view

CATEGORY = ("Security", _l("System"))


def object_label(model_name):
    from views import MODEL_LABELS

    return MODEL_LABELS.get(model_name, model_name)


AuditLogView = model_view(AuditLog, list_columns=["at", "actor_name", "action", "object_type", "object_id", "ip"],
                          search_columns=["actor_name", "action", "object_type", "object_id", "at"],
                          show_columns=["at", "actor_name", "action", "object_type", "object_id", "changes", "ip"],
                          base_permissions=["can_list", "can_show", "can_export"], base_order=("at", "desc"),
                          formatters_columns={"object_type": lambda v: object_label(v)}, scope=None)
AuditLogView.list_title = _l("Audit log")  # not in MENU, so views.register_views does not title it
AuditLogView.show_title = _l("Details: %(name)s", name=_l("Audit log"))


class AuditBrowserView(BaseView):
    """I1 审计日志: filters, pages of 50 (newest first), changed fields in words, Excel export."""
    route_base = "/auditlog"
    default_view = "index"
    base_permissions = ["can_list", "can_export"]

    @expose("/")
    @has_access
    @permission_name("list")
    def index(self):
        errors, rows, total, page, pages = {}, [], 0, 1, 1
        try:
            filters = audit_browser.parse_filters(request.args)
            page = audit_browser.parse_page(request.args.get("page"))
            rows, total, page, pages = audit_browser.page_of(filters, page)
        except audit_browser.AuditFilterError as exc:
            errors, filters = {exc.field: str(exc)}, audit_browser.Filters()
        return self.render_template(
            "system/audit_log.html", rows=rows, total=total, page=page, pages=pages, filters=filters,
            errors=errors, args=request.args, actions=AuditAction.choices(), action_label=AuditAction.label_of,
            object_types=[(t, audit_browser.object_label(t)) for t in audit_browser.object_types()],
            object_label=audit_browser.object_label, changes_lines=audit_browser.changes_lines,
            max_rows=EXPORT_MAX_ROWS, page_size=audit_browser.PAGE_SIZE), 400 if errors else 200

    @expose("/export")
    @has_access
    @permission_name("export")
    def export(self):
        try:
            filters = audit_browser.parse_filters(request.args)
        except audit_browser.AuditFilterError as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".index"))
        headers, rows, capped = audit_browser.export_rows(filters)
        if capped:
            rows.append([_("Only the newest %(n)d rows are exported; narrow the filters for the rest.",
                           n=EXPORT_MAX_ROWS)])
        return send_xlsx(f"audit-log-{datetime.date.today():%Y%m%d}.xlsx", headers, rows)


class WorkCalendarView(BaseView):
    """I3 工作日历: the year's months, each day's kind and the overrides; the Admin sets and removes them."""
    route_base = "/workcalendar"
    default_view = "index"
    base_permissions = ["can_list", "can_edit"]

    def _page(self, year_raw=None, errors=None, form=None):
        errors = dict(errors or {})
        try:
            year = calendar_service.parse_year(year_raw)
        except calendar_service.CalendarError as exc:
            errors[exc.field] = str(exc)
            year = datetime.date.today().year
        selected = None
        picked = request.args.get("day") if form is None else None
        if picked:
            try:
                selected = calendar_service.day_info(calendar_service.parse_day(picked))
            except calendar_service.CalendarError as exc:
                errors[exc.field] = str(exc)
        months = calendar_service.year_grid(year)
        if form is None:
            form = {"day": selected.date.isoformat() if selected else "",
                    "is_workday": ("1" if selected.is_workday else "0") if selected else "",
                    "note": (selected.override.note or "") if selected and selected.override else ""}
        return self.render_template(
            "system/work_calendar.html", year=year, months=months, known=calendar_service.known_year(year),
            total=sum(m.workdays for m in months), overrides=sum(m.overrides for m in months),
            selected=selected, form=form, errors=errors, kind_labels=calendar_service.KIND_LABELS,
            note_max=calendar_service.NOTE_MAX, min_year=calendar_service.MIN_YEAR,
            max_year=calendar_service.MAX_YEAR, today=datetime.date.today(),
            can_edit=self.appbuilder.sm.has_access("can_edit", self.class_permission_name)), 400 if errors else 200

    @expose("/")
    @expose("/<year>")
    @has_access
    @permission_name("list")
    def index(self, year=None):
        return self._page(year if year is not None else request.args.get("year"))

    def _year_of(self, day_raw):
        try:
            return calendar_service.parse_day(day_raw).year
        except calendar_service.CalendarError:
            return request.form.get("year")

    @expose("/set", methods=["POST"])
    @has_access
    @permission_name("edit")
    def set_day(self):
        try:
            row = calendar_service.set_override(request.form)
        except calendar_service.CalendarError as exc:
            return self._page(self._year_of(request.form.get("day")), {exc.field: str(exc)}, request.form)
        flash(_("%(day)s is now a %(kind)s.", day=row.day.isoformat(),
                kind=calendar_service.KIND_LABELS["workday" if row.is_workday else "restday"]), "success")
        return redirect(url_for(".index", year=row.day.year, day=row.day.isoformat()))

    @expose("/restore", methods=["POST"])
    @has_access
    @permission_name("edit")
    def restore(self):
        try:
            day = calendar_service.restore_default(request.form.get("day"))
        except calendar_service.CalendarError as exc:
            return self._page(self._year_of(request.form.get("day")), {exc.field: str(exc)}, request.form)
        flash(_("%(day)s follows the default calendar again.", day=day.isoformat()), "success")
        return redirect(url_for(".index", year=day.year, day=day.isoformat()))


JobView = model_view(Job, list_columns=["kind", "status", "progress", "total", "created_at"],
                     search_columns=["kind", "status"], base_permissions=["can_list", "can_show"])

AttachmentView = model_view(Attachment, list_columns=["filename", "kind", "content_type", "size", "person",
                                                    "institution_id", "created_at"],
                            search_columns=["filename", "kind"], base_permissions=["can_list", "can_show"],
                            label_columns={"person": _l("Person")})

class RolePermissionsView(BaseView):
    """I1 角色权限: a role's permissions switched off and on within app/roles.py (the Admin's alone)."""
    route_base = "/rolepermissions"
    default_view = "edit"
    base_permissions = ["can_edit"]

    @expose("/", methods=["GET", "POST"])
    @expose("/<role>", methods=["GET", "POST"])
    @has_access
    def edit(self, role=None):
        roles = role_permissions.editable_roles()
        role = role or roles[0][0]
        error, status = None, 200
        try:
            if request.method == "POST":
                off, on = role_permissions.save(role, request.form.getlist("pvm"), g.user)
                flash(_("Saved: %(on)d permissions on, %(off)d off.", on=on, off=off), "success")
                return redirect(url_for(".edit", role=role))
            grid = role_permissions.grid(role)
        except role_permissions.RoleError as exc:
            error, status, grid = str(exc), 400, []
        return self.render_template("system/role_permissions.html", roles=roles, role=role, grid=grid,
                                    error=error), status


MENU = [
    (AuditBrowserView, _l("Audit log")),
    (RolePermissionsView, _l("Role permissions")),
    (WorkCalendarView, _l("Working-day calendar")),
    (JobView, _l("Background jobs")),
    (AttachmentView, _l("Uploaded files")),
]
# registered without a menu entry (AppBuilder.add_api is add_view_no_menu): one audit row's details
APIS = [AuditLogView]
