"""Render a page outside FAB's views with FAB's layout (menu, language, user)."""
from flask import current_app, has_request_context, render_template, request, session
from flask_babel import get_locale


def render_page(template, **context):
    appbuilder = current_app.appbuilder
    return render_template(template, appbuilder=appbuilder, base_template=appbuilder.base_template,
                           get_locale=get_locale, **context)


def select_locale():
    """FAB's choice (``?_l_=``, then the language the visitor switched to) without storing the default in
    the session: a first visit gets no cookie, so the public pages can be kept whole (P5)."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    asked = request.args.get("_l_")
    if asked is not None:
        return asked if asked in current_app.config["LANGUAGES"] else default
    return session.get("locale") or default
