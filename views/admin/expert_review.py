"""F3 专家评价: assigning matters to experts and the expert's per-row judgement."""
from flask_babel import lazy_gettext as _l

CATEGORY = ("Matters", _l("Matters"))
MENU = []
APIS = []
