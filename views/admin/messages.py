"""消息: message threads, announcements, deliveries."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.services import messages
from models import Announcement, Delivery, MessagePost, MessageThread
from views.base import PlatformModelView, model_view

CATEGORY = ("Messages", _l("Messages"))


class ThreadBase(PlatformModelView):
    """H2: the support queue; the detail page shows the thread and a reply box."""
    base_permissions = PlatformModelView.base_permissions + ["can_reply"]
    show_template = "platform/thread_show.html"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        thread = self.get_scoped(pk)
        widgets = self._show(thread.id)
        return self.render_template(self.show_template, pk=thread.id, title=self.show_title, widgets=widgets,
                                    related_views=self._related_views, thread=thread)

    @expose("/reply/<int:pk>", methods=["POST"])
    @has_access
    def reply(self, pk):
        thread = self.get_scoped(pk)
        try:
            messages.reply(thread, g.user, request.form.get("content"))
        except messages.MessageError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Your reply has been sent."), "success")
        return redirect(url_for(".show", pk=thread.id))


MessageThreadView = model_view(MessageThread, base=ThreadBase,
                               list_columns=["subject", "category", "user", "contact", "status", "created_at",
                                             "updated_at"],
                               search_columns=["subject", "category", "status", "created_at", "updated_at"],
                               base_order=("updated_at", "asc"))
MessagePostView = model_view(MessagePost, list_columns=["thread", "author", "from_staff", "created_at"],
                             search_columns=["from_staff", "created_at"])
AnnouncementView = model_view(Announcement, list_columns=["title", "published", "published_at"],
                              search_columns=["title", "published"], scope=None)
DeliveryView = model_view(Delivery, list_columns=["channel", "recipient", "body", "status", "created_at"],
                          search_columns=["channel", "recipient", "status"],
                          show_columns=["channel", "recipient", "subject", "body", "status", "sent_at", "error"],
                          # the development outbox: the newest codes and e-mails first
                          base_order=("id", "desc"),
                          base_permissions=["can_list", "can_show", "can_export"], scope=None)

MENU = [
    (MessageThreadView, _l("Message threads")),
    (MessagePostView, _l("Message posts")),
    (AnnouncementView, _l("Announcements")),
    (DeliveryView, _l("E-mail and SMS deliveries")),
]
APIS = []
