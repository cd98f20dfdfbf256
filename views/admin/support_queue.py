"""H2 客服队列: support's queue of message threads — filters by category, status, age and handler, the
first-response and resolution times, 分配给我 and 已解决 (app/services/support_queue.py)."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.services import messages
from app.services import support_queue as service
from models import MessageThread
from models.enums import MessageCategory, ThreadStatus

CATEGORY = ("Messages", _l("Messages"))


class SupportQueueView(BaseView):
    route_base = "/supportqueue"
    default_view = "list"
    base_permissions = ["can_list", "can_handle"]

    @expose("/")
    @has_access
    def list(self):
        errors = {}
        try:
            filters = service.parse(request.args)
        except service.QueueError as exc:
            errors, filters = {exc.field: str(exc)}, service.QueueFilters()
        threads, total = service.queue(filters, g.user)
        return self.render_template(
            "support/queue.html", threads=threads, total=total, filters=filters, errors=errors,
            categories=list(MessageCategory), statuses=list(ThreadStatus), ages=service.AGES,
            page_size=service.PAGE_SIZE, hours=service.hours,
            category_label=MessageCategory.label_of, status_label=ThreadStatus.label_of), 400 if errors else 200

    def _thread(self, pk):
        thread = db.session.get(MessageThread, pk)
        if thread is None:
            abort(404)
        return thread

    @expose("/assign/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("handle")
    def assign(self, pk):
        messages.assign(self._thread(pk), g.user)
        flash(_("The message is assigned to you."), "success")
        return redirect(url_for("MessageThreadView.show", pk=pk))

    @expose("/resolve/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("handle")
    def resolve(self, pk):
        try:
            messages.resolve(self._thread(pk), g.user)
        except messages.MessageError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("The message is marked resolved."), "success")
        return redirect(url_for("MessageThreadView.show", pk=pk))


MENU = [(SupportQueueView, _l("Support queue"))]
APIS = []
