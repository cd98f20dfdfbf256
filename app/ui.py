"""Render a page outside FAB's views with FAB's layout (menu, language, user)."""
from flask import current_app, render_template
from flask_babel import get_locale


def render_page(template, **context):
    appbuilder = current_app.appbuilder
    return render_template(template, appbuilder=appbuilder, base_template=appbuilder.base_template,
                           get_locale=get_locale, **context)
