"""Render a page outside FAB's views with FAB's layout (menu, language, user)."""
from flask import current_app, has_request_context, render_template, request, session
from flask_babel import get_locale


def render_page(template, **context):
    appbuilder = current_app.appbuilder
    return render_template(template, appbuilder=appbuilder, base_template=appbuilder.base_template,
                           get_locale=get_locale, **context)


def select_locale():
    """FAB's choice (``?_l_=``, then the language the visitor switched to).  FAB stores the default in the
    session too, and its back-office menu reads it from there (its flag); the portal does not need it, so a
    first visit there gets no cookie and its public pages can be kept whole (P5)."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    asked = request.args.get("_l_")
    if asked is not None:
        return asked if asked in current_app.config["LANGUAGES"] else default
    if "locale" not in session and not request.path.startswith("/portal/"):
        session["locale"] = default
    return session.get("locale") or default
