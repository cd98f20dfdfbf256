"""Shared column helpers: every column carries its translated label, so views,
exports and the API take labels from one place."""
import datetime

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import mapped_column

# Named constraints, so that later migrations can alter them (SQLite batch mode).
# FAB's own tables were defined before this line and keep their names.
Model.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

__all__ = ["Model", "col", "fk", "code_col", "now", "TimestampMixin", "_l"]


def now():
    return datetime.datetime.now()


def col(type_, label, **kw):
    """A mapped column with a translated label (``info['label']``)."""
    info = kw.pop("info", {})
    info["label"] = label
    return mapped_column(type_, info=info, **kw)


def fk(target, label, nullable=True, ondelete=None, index=True, use_alter=False, type_=Integer, **kw):
    """A foreign key; ``use_alter`` breaks a cycle of tables (added after both exist)."""
    return mapped_column(
        type_, ForeignKey(target, ondelete=ondelete, use_alter=use_alter), nullable=nullable,
        index=index, info={"label": label}, **kw,
    )


def code_col(enum, label, default=None, nullable=False, index=True, **kw):
    """A stable code stored as a string, displayed through the enum's label."""
    return mapped_column(
        String(32), nullable=nullable, index=index,
        default=default.value if default is not None else None,
        info={"label": label, "enum": enum}, **kw,
    )


class TimestampMixin:
    created_at = mapped_column(DateTime, default=now, nullable=False, info={"label": _l("Created at")})
    updated_at = mapped_column(DateTime, default=now, onupdate=now, nullable=False, info={"label": _l("Updated at")})
