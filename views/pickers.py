"""P1: a list's filters pick related rows (institutions, exams, types …) from the server as the user types,
instead of every list page rendering every institution into its search form.

``RemoteSelectField`` renders an empty ``<select class="platform-remote-select">`` (static/remote_select.js
turns it into a select2 asking ``<View>.pick``); the filter keeps FAB's own (``_flt_0_institution=<id>``).
"""
import re

from flask import request, url_for
from markupsafe import Markup, escape
from sqlalchemy import String
from sqlalchemy import inspect as sa_inspect
from wtforms import Field

from app.extensions import db
from app.listing import like_prefix
from app.scoping import scope_clause

PICK_PAGE = 20


def label_column(model):
    """The column a row is picked by: its ``name``, else its first text column."""
    columns = sa_inspect(model).columns
    if "name" in columns:
        return columns["name"]
    return next(c for c in columns if isinstance(c.type, String))


def pick(model, scope, user, term, page):
    """(rows as {id, text}, more?) of ``model`` the user may reach whose label starts with or holds ``term``."""
    pk = sa_inspect(model).primary_key[0]
    label = label_column(model)
    query = db.session.query(model)
    clause = scope_clause(model, scope, user) if scope is not None else None
    if clause is not None:
        query = query.filter(clause)
    if term:
        query = query.filter(label.like("%" + like_prefix(term), escape="\\"))
    rows = query.order_by(label, pk).offset((page - 1) * PICK_PAGE).limit(PICK_PAGE + 1).all()
    return [{"id": getattr(r, pk.key), "text": str(r)} for r in rows[:PICK_PAGE]], len(rows) > PICK_PAGE


class RemoteSelectWidget:
    def __init__(self, endpoint, column, model):
        self.endpoint, self.column, self.model = endpoint, column, model

    def __call__(self, field, **kwargs):
        # an active filter on this column shows its row's text (one look-up, only then)
        chosen = ""
        for key, value in request.args.items():
            if re.fullmatch(rf"_flt_\d+_{re.escape(self.column)}", key) and value.isdigit():
                row = db.session.get(self.model, int(value))
                if row is not None:
                    chosen = Markup('<option value="{}" selected>{}</option>').format(value, str(row))
                break
        return Markup('<select class="platform-remote-select form-control" name="{}" data-endpoint="{}">{}</select>'
                      ).format(escape(field.name), url_for(self.endpoint, column=self.column), chosen)


class RemoteSelectField(Field):
    def __init__(self, label, endpoint, column, model, **kwargs):
        super().__init__(label, widget=RemoteSelectWidget(endpoint, column, model), **kwargs)
