"""成绩: score entry and import, results and their publication (issue 6: being written)."""
from flask_babel import lazy_gettext as _l

CATEGORY = ("Scores", _l("Scores"))
MENU = []
APIS = []
