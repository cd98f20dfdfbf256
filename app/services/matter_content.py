"""F8: what a matter says, per type — the rows, tables and files its detail pages show (the
portal's 我的事项 and the back office's matter page), and where its applicant edits it.

Each kind's rules module registers its function: ``@content("complaint")`` over
``fn(matter) -> {"rows": [(label, value)], "attachments": [(attachment id, file name)],
"tables": [{"title": …, "headers": [...], "rows": [[...]]}]}`` (every key optional), and
``EDIT[type_code] = endpoint`` (taking ``matter_id``) or ``(endpoint, {url args})`` for the applicant's
edit page of a draft or returned matter."""
from flask import current_app, url_for
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


def edit_url(matter):
    """Where the applicant edits a draft or returned matter, or None."""
    target = EDIT.get(matter.type_code)
    if target is None or matter.state not in ("draft", "returned"):
        return None
    endpoint, args = target if isinstance(target, tuple) else (target, {"matter_id": matter.id})
    return url_for(endpoint, **args) if endpoint in current_app.view_functions else None
