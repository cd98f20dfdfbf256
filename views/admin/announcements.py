"""H5 公告 in the institution back office: its own menu group (an institution has no 消息 group, the
support queue), listing what ``visible_to`` gives the user (app/services/announcements.py); the
association writes them in 消息 › 公告管理 (views/admin/messages.py)."""
from flask import abort, g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.hardening import page_number
from app.services import announcements
from views.admin.messages import announcement_labels

CATEGORY = ("Announcements", _l("Announcements"))


class AnnouncementBoardView(BaseView):
    """H5 公告 in the institution back office: the announcements visible to this user (visible_to)."""
    route_base = "/announcementboard"
    default_view = "list"
    base_permissions = ["can_list", "can_show"]

    @expose("/list/")
    @has_access
    def list(self):
        page = page_number(request.args.get("page"))
        rows, total, pages = announcements.search(g.user, request.args.get("q"), request.args.get("category"), page)
        return self.render_template("announcements/board_list.html", rows=rows, total=total, pages=pages,
                                    page=min(page, pages),
                                    keyword=(request.args.get("q") or "").strip()[:50],
                                    category=request.args.get("category", ""), **announcement_labels())

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        item = announcements.get_visible(pk, g.user)
        if item is None:
            abort(404)
        return self.render_template("announcements/board_show.html", item=item, **announcement_labels())


MENU = [(AnnouncementBoardView, _l("Announcement list"))]
APIS = []
