"""消息: message threads, announcements, deliveries."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.hardening import page_number
from app.services import announcements, messages
from models import Announcement, Delivery, ExamPlan, MessagePost, MessageThread
from models.enums import AnnouncementCategory, AnnouncementTarget
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
                               show_columns=["user", "category", "subject", "contact", "status", "assignee",
                                             "first_response_at", "resolved_at", "created_at", "updated_at"],
                               base_order=("updated_at", "asc"))
MessagePostView = model_view(MessagePost, list_columns=["thread", "author", "from_staff", "created_at"],
                             search_columns=["from_staff", "created_at"])
def announcement_labels():
    return {"category_label": AnnouncementCategory.label_of, "target_label": AnnouncementTarget.label_of,
            "status_of": announcements.status_of, "is_withdrawn": announcements.is_withdrawn,
            "categories": AnnouncementCategory, "targets": AnnouncementTarget,
            "excerpt": lambda item: announcements.plain_text(item.body)[:120]}


class AnnouncementView(BaseView):
    """H5 公告管理 (the Association's; Support reads): the list with keyword search, the form (title, category,
    audience and its exam, rich-text body, attachment, visibility window, pinned) and 发布 / 撤回 / 置顶."""
    route_base = "/announcementview"
    default_view = "list"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_publish", "can_withdraw", "can_pin"]

    def _item(self, pk):
        item = db.session.get(Announcement, pk)
        if item is None:
            abort(404)
        return item

    @expose("/list/")
    @has_access
    def list(self):
        keyword = (request.args.get("q") or "").strip()[:50]
        query = db.session.query(Announcement)
        if keyword:
            query = query.filter(Announcement.title.contains(keyword, autoescape=True)
                                 | Announcement.body.contains(keyword, autoescape=True))
        page = page_number(request.args.get("page"))
        total = query.count()
        pages = max(1, -(-total // announcements.PAGE_SIZE))
        page = min(page, pages)  # page_number is at least 1: never a negative offset
        rows = announcements.ordered(query).offset((page - 1) * announcements.PAGE_SIZE) \
            .limit(announcements.PAGE_SIZE).all()
        sm = self.appbuilder.sm
        may = {name: sm.has_access(f"can_{name}", self.class_permission_name)
               for name in ("add", "edit", "publish", "withdraw", "pin")}
        return self.render_template("announcements/admin_list.html", rows=rows, keyword=keyword, page=page,
                                    pages=pages, total=total, may=may, **announcement_labels())

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        return self.render_template("announcements/admin_show.html", item=self._item(pk), **announcement_labels())

    def _form_page(self, item, errors=None, form=None):
        exams = db.session.query(ExamPlan).order_by(ExamPlan.reg_start.desc()).all()
        if form is None:
            form = {} if item is None else {
                "title": item.title, "category": item.category, "target": item.target,
                "exam_plan_id": str(item.exam_plan_id or ""), "body": item.body, "pinned": "y" if item.pinned else "",
                "publish_at": item.publish_at.strftime("%Y-%m-%dT%H:%M") if item.publish_at else "",
                "withdraw_at": item.withdraw_at.strftime("%Y-%m-%dT%H:%M") if item.withdraw_at else ""}
        return self.render_template("announcements/admin_form.html", item=item, errors=errors or {}, form=form,
                                    exams=exams, **announcement_labels())

    def _save(self, item):
        upload = request.files.get("attachment")
        try:
            item = announcements.save(request.form, g.user, item,
                                      (upload.read(), upload.filename) if upload and upload.filename else None)
        except announcements.AnnouncementError as exc:
            db.session.rollback()
            return self._form_page(item, {exc.field: str(exc)}, request.form), 400
        db.session.commit()
        flash(_("The announcement %(title)s has been saved.", title=item.title), "success")
        return redirect(url_for(".show", pk=item.id))

    @expose("/add/", methods=["GET", "POST"])
    @has_access
    def add(self):
        if request.method == "POST":
            return self._save(None)
        return self._form_page(None)

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        item = self._item(pk)
        if request.method == "POST":
            return self._save(item)
        return self._form_page(item)

    def _act(self, pk, change, message):
        item = self._item(pk)
        try:
            change(item)
        except announcements.AnnouncementError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(message(item), "success")
        return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                        else url_for(".list"))

    @expose("/publish/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("publish")
    def publish(self, pk):
        return self._act(pk, announcements.publish, lambda item: _("The announcement has been published."))

    @expose("/withdraw/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("withdraw")
    def withdraw(self, pk):
        return self._act(pk, announcements.withdraw, lambda item: _("The announcement has been withdrawn."))

    @expose("/pin/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("pin")
    def pin(self, pk):
        return self._act(pk, announcements.toggle_pin, lambda item: _("The announcement is pinned.") if item.pinned
                         else _("The announcement is no longer pinned."))


DeliveryView = model_view(Delivery, list_columns=["channel", "recipient", "body", "status", "created_at"],
                          search_columns=["channel", "recipient", "status"],
                          show_columns=["channel", "recipient", "subject", "body", "status", "sent_at", "error"],
                          # the development outbox: the newest codes and e-mails first
                          base_order=("id", "desc"),
                          base_permissions=["can_list", "can_show", "can_export"], scope=None)

MENU = [
    (MessageThreadView, _l("Message threads")),
    (MessagePostView, _l("Message posts")),
    (AnnouncementView, _l("Announcement management")),
    (DeliveryView, _l("E-mail and SMS deliveries")),
]
APIS = []
