"""F1 事项目录 for institutions, F4–F7 handling pages."""
from flask_babel import lazy_gettext as _l

CATEGORY = ("Matters", _l("Matters"))
MENU = []
APIS = []
