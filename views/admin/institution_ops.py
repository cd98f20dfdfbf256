"""Issue 5 (D1–D14): filled in by the work on institution ops."""
from flask_babel import lazy_gettext as _l

CATEGORY = ("ExamAdmin", _l("Exam administration"))
MENU = []
APIS = []
