"""Request-level safety nets: paging arguments, session timeouts, security
headers, and error pages that never show database errors."""
import datetime
import logging
import re
import time

from flask import abort, current_app, g, jsonify, request, session
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user, logout_user
from markupsafe import escape
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from werkzeug.exceptions import ServiceUnavailable

from app import page_cache
from app.ui import render_page

log = logging.getLogger(__name__)
PAGING_ARG = re.compile(r"^(page|psize)_")
DB_INT_MAX = 2**31 - 1
LONG_NUMBER = re.compile(r"\d{10,}")
ID_ARG = re.compile(r"^(ids?|q|page|.*_id|(page|psize)_.*)$")


def page_number(raw, default=1):
    """A page number from the query string: ASCII digits, from 1, at most 99,999; else ``default``
    ("²".isdigit() is true, but it is no number)."""
    raw = str(raw or "")
    return max(1, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 6 else default


def filter_day(raw, field, label, error):
    """A date of a filter (YYYY-MM-DD, years 2000–2100: 9999-12-31 + 1 day would overflow), or None when
    empty; else ``error(field, message)`` (a FieldError) naming the field."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2100:
        raise error(field, _("%(field)s is not a valid date.", field=label))
    return day


def _too_big(text):
    return any(int(n) > DB_INT_MAX for n in LONG_NUMBER.findall(text))


def refuse_nul_bytes():
    """A NUL byte is never meaningful input, and PostgreSQL refuses it in text."""
    values = list(request.args.values())
    if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += list(request.form.values())
    if any("\x00" in v for v in values):
        abort(400)


def check_numbers():
    """Ids and pages beyond what the database stores are a 404/400, not a 500."""
    if any(_too_big(str(v)) for v in (request.view_args or {}).values()):
        abort(404)
    # only arguments that carry ids or pages: searches hold long digit strings that are text
    # (phone and ID numbers, 20+ digit certificate numbers in 证书查询)
    if any(_too_big(v) for k, v in request.args.items() if ID_ARG.match(k)):
        abort(400)


def check_paging_args():
    """FAB's list views crash on ``psize_x=abc`` and allow ``psize_x=100000``."""
    limit = current_app.config["LIST_PAGE_SIZE_MAX"]
    for name, value in request.args.items():
        if not PAGING_ARG.match(name):
            continue
        if not value.isdigit():
            abort(400)
        if name.startswith("psize_") and not 1 <= int(value) <= limit:
            abort(400)
        if name.startswith("page_") and int(value) > 100000:
            abort(400)


def enforce_session_timeouts():
    if not current_user.is_authenticated or request.path.startswith("/api/"):
        return
    now = int(time.time())
    idle = now - session.get("_seen", 0)
    age = now - session.get("_login_at", 0)
    if idle > current_app.config["SESSION_IDLE_SECONDS"] or age > current_app.config["SESSION_ABSOLUTE_SECONDS"]:
        logout_user()
        session.clear()
        g.user = AnonymousUserMixin()
        return
    # the cookie changes only when this does: a minute's precision keeps it stable between clicks, so the
    # browser is not sent a new cookie with every page and the page cache (P5) can key on it
    if idle >= min(current_app.config["SESSION_SEEN_STEP"], current_app.config["SESSION_IDLE_SECONDS"] // 10):
        session["_seen"] = now
    page_cache.mark_write()


def security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _error(status, message):
    if not hasattr(g, "user"):  # refused before FAB's before_request (CSRF, size)
        g.user = current_user
    if _wants_json():
        return jsonify(message=message), status
    from views.portal import is_portal_user, render

    if request.path.startswith("/portal/") or is_portal_user(g.user):
        return render("error.html", status=status, message=message), status
    return render_page("error.html", status=status, message=message), status


def _database_answers():
    """A fresh connection answers SELECT 1 (the pool pre-pings, so after an outage it reconnects)."""
    from app.extensions import db

    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def _unavailable(message):
    """S10: a 503 that needs neither the database nor the layout (whose menu and user come from it)."""
    if _wants_json():
        response = jsonify(message=message)
    else:
        title = escape(_("Service temporarily unavailable"))
        response = current_app.response_class(
            f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body style="font-family:sans-serif;margin:3em"><h1>{title}</h1><p>{escape(message)}</p></body></html>',
            mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = "30"
    return response


def init_app(app):
    app.before_request(refuse_nul_bytes)
    app.before_request(check_numbers)
    app.before_request(check_paging_args)
    app.before_request(enforce_session_timeouts)
    app.after_request(security_headers)

    @app.errorhandler(400)
    def bad_request(exc):
        return _error(400, _("The request is not valid."))

    @app.errorhandler(403)
    def forbidden(exc):
        return _error(403, _("You do not have permission to open this page."))

    @app.errorhandler(404)
    def not_found(exc):
        return _error(404, _("The page or record does not exist."))

    @app.errorhandler(413)
    def too_large(exc):
        return _error(413, _("The upload is too large."))

    @app.errorhandler(429)
    def too_many(exc):
        return _error(429, _("Too many attempts; please wait a minute and try again."))

    @app.errorhandler(503)
    def unavailable(exc):  # e.g. app.services.jobs.JobsUnavailable: the broker does not answer
        own = getattr(exc, "description", None) != ServiceUnavailable.description
        return _error(503, exc.description if own else _("The service is unavailable at the moment; please try "
                                                          "again later."))

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc):
        from app.extensions import db

        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass
        # S10: the database went away (PostgreSQL restarted): a plain 503, and the pool reconnects after
        if isinstance(exc, DBAPIError) and (exc.connection_invalidated or not _database_answers()):
            log.warning("database unavailable: %s", type(exc.orig).__name__)
            return _unavailable(_("The database is unavailable at the moment; please try again in a few "
                                  "minutes."))
        log.exception("database error")
        return _error(500, _("The operation could not be completed. Please try again later."))

    @app.errorhandler(500)
    def server_error(exc):
        return _error(500, _("The operation could not be completed. Please try again later."))
