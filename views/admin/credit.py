"""F9 信用评价 (credit records, sanctions) and F10 会员服务 (memberships) in the back office."""
from flask_babel import lazy_gettext as _l

CATEGORY = ("Matters", _l("Matters"))
MENU = []
APIS = []
