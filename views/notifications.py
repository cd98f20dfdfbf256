"""消息通知 (SPEC H3): every user's own notifications, for all roles."""
from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.extensions import db
from app.services import notifications
from app.ui import render_page
from models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE_SIZE = 20


@bp.route("/")
@login_required
def index():
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    unread_only = request.args.get("unread") == "1"
    query = db.session.query(Notification).filter_by(user_id=g.user.id)
    if unread_only:
        query = query.filter(Notification.read_at.is_(None))
    total = query.count()
    items = query.order_by(Notification.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).all()
    from views.portal import is_portal_user

    template = "portal/notifications.html" if is_portal_user(g.user) else "platform/notifications.html"
    return render_page(template, items=items, total=total, page=page,
                           pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE), unread_only=unread_only,
                       unread=notifications.unread_count(g.user))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_(notification_id):
    item = db.session.get(Notification, notification_id)
    if item is None or item.user_id != g.user.id:
        abort(404)
    notifications.mark_read(g.user, notification_id)
    link = item.link or ""
    # only links inside the platform
    return redirect(link if link.startswith("/") and not link.startswith("//") else url_for(".index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    count = notifications.mark_read(g.user)
    flash(_("%(n)d notification(s) marked as read.", n=count), "success")
    return redirect(url_for(".index"))


@bp.route("/clear", methods=["POST"])
@login_required
def clear():
    count = notifications.clear_all(g.user)
    flash(_("%(n)d notification(s) cleared.", n=count), "success")
    return redirect(url_for(".index"))
