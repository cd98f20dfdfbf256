"""H5 公告 in the portal: the list (keyword search, category filter, 20 a page, pinned first), the detail
and the attachment download — each only for announcements ``visible_to`` this visitor
(app/services/announcements.py); anything else answers 404."""
from flask import abort, g, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app.audit import record
from app.hardening import page_number
from app.services import announcements
from app.services import files as file_service
from models.enums import AnnouncementCategory, AuditAction
from views.portal import bp


@bp.app_template_filter("sanitised")
def sanitised(html):
    """H5: an announcement body as HTML, through the allow-list sanitiser at every rendering."""
    return announcements.safe_html(html)


def render(template, **context):
    return render_template(f"announcements/{template}", get_locale=get_locale, **context)


def _viewer():
    user = getattr(g, "user", None)
    return user if user is not None and user.is_authenticated else None


@bp.route("/announcements")
def announcement_list():
    keyword = (request.args.get("q") or "").strip()[:50]
    category = request.args.get("category", "")
    if category not in {c.value for c in AnnouncementCategory}:
        category = ""
    page = page_number(request.args.get("page"))
    rows, total, pages = announcements.search(_viewer(), keyword, category, page)
    page = min(page, pages)
    links = [(str(label), url_for("portal.announcement_list", q=keyword or None, category=code or None),
              category == code) for code, label in [("", _("All"))] + AnnouncementCategory.choices()]
    return render("portal_list.html", rows=rows, total=total, pages=pages, page=page,
                  keyword=keyword, category=category, category_links=links,
                  category_label=AnnouncementCategory.label_of,
                  excerpt=lambda item: announcements.plain_text(item.body)[:140])


@bp.route("/announcements/<int:announcement_id>")
def announcement_detail(announcement_id):
    item = announcements.get_visible(announcement_id, _viewer())
    if item is None:
        abort(404)  # the same answer whether it does not exist, is not yet or no longer shown, or is for others
    return render("portal_detail.html", item=item, category_label=AnnouncementCategory.label_of)


@bp.route("/announcements/<int:announcement_id>/attachment")
def announcement_attachment(announcement_id):
    """The attachment of an announcement this visitor sees (anonymous visitors too for public ones)."""
    viewer = _viewer()
    attachment = announcements.attachment_of(announcement_id, viewer)
    if attachment is None:
        abort(404)
    if viewer is not None:
        record(AuditAction.DOWNLOAD, "Attachment", attachment.id, {"kind": attachment.kind}, actor=viewer)
    response = send_file(file_service.path_of(attachment), mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
