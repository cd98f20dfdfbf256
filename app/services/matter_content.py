"""F8: what a matter says, per type — the rows, tables and files its detail pages show (the
portal's 我的事项 and the back office's matter page), and where its applicant edits it.

Each kind's rules module registers its function: ``@content("complaint")`` over
``fn(matter) -> {"rows": [(label, value)], "attachments": [(attachment id, file name)],
"tables": [{"title": …, "headers": [...], "rows": [[...]]}]}`` (every key optional), and
``EDIT[type_code] = (endpoint, {url args from the matter})`` for the applicant's edit page."""
from sqlalchemy import select

from app.extensions import db
from models import Attachment

CONTENT = {}
EDIT = {}


def content(type_code):
    def register(fn):
        CONTENT[type_code] = fn
        return fn
    return register


def of(matter):
    """The matter's content, or an empty one for a kind that registers none."""
    fn = CONTENT.get(matter.type_code)
    found = fn(matter) if fn else None
    return {"rows": [], "attachments": [], "tables": [], **(found or {})}


def attachment_names(ids):
    """[(id, file name)] of attachment ids, in their order."""
    ids = [i for i in ids or [] if i]
    names = dict(db.session.execute(select(Attachment.id, Attachment.filename).where(Attachment.id.in_(ids))).all()) \
        if ids else {}
    return [(i, names.get(i, i)) for i in ids]
