"""P1: the back office's menu, rendered once per language and set of permissions instead of on every page.

FAB renders ``appbuilder/navbar_menu.html`` per request: a permission check and a translation per menu
entry, a fifth of a list page's time.  Our ``appbuilder/navbar_menu.html`` calls ``navbar_menu(menu)``,
which renders FAB's own template (read from FAB's package, unchanged) and keeps the result; the key holds
everything the result depends on: the language and the user's permissions (a role changed on the roles
screen gives a new key).
"""
from flask import current_app, g
from flask_babel import get_locale
from markupsafe import Markup

FAB_TEMPLATE = "appbuilder/navbar_menu.html"
MAX_ENTRIES = 256
_rendered = {}
_template = []


def _fab_template():
    """FAB's navbar_menu.html, compiled once from FAB's blueprint (ours of the same name calls this)."""
    if not _template:
        loader = current_app.blueprints["appbuilder"].jinja_loader
        source, _filename, _uptodate = loader.get_source(current_app.jinja_env, FAB_TEMPLATE)
        _template.append(current_app.jinja_env.from_string(source))
    return _template[0]


def navbar_menu(menu):
    user = getattr(g, "user", None)
    sm = current_app.appbuilder.sm
    permissions = frozenset(sm._permission_set(user)) if user is not None and user.is_authenticated else None
    key = (str(get_locale()), permissions)
    html = _rendered.get(key)
    if html is None:
        if len(_rendered) >= MAX_ENTRIES:
            _rendered.clear()
        html = _rendered[key] = Markup(_fab_template().render(menu=menu))
    return html


def init_app(app):
    from views.base import link_page

    app.add_template_global(navbar_menu)
    app.jinja_env.filters["link_page"] = link_page  # FAB's, with keyset keys on next/previous (P1)
