"""审计日志查询 (SPEC I1): the Admin's filters over the audit log (user, action, object type, object id,
period), newest first in pages of 50, each row's changed fields in words, and the Excel export of the
same filters (app/exports.py, capped at EXPORT_MAX_ROWS)."""
import datetime
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, select

from app.errors import FieldError
from app.exports import EXPORT_MAX_ROWS
from app.extensions import db
from app.hardening import filter_day
from models import AuditLog
from models.enums import AuditAction

PAGE_SIZE = 50
_TEXT_MAX = 64


class AuditFilterError(FieldError):
    pass


@dataclass
class Filters:
    user: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    start: datetime.date | None = None
    end: datetime.date | None = None

    def query_args(self):
        out = {"user": self.user, "action": self.action, "object_type": self.object_type,
               "object_id": self.object_id, "start": self.start.isoformat() if self.start else "",
               "end": self.end.isoformat() if self.end else ""}
        return {k: v for k, v in out.items() if v}


def _text(args, name, label):
    value = (args.get(name) or "").strip()
    if len(value) > _TEXT_MAX:
        raise AuditFilterError(name, _("%(field)s is too long (at most %(n)d characters).", field=label,
                                       n=_TEXT_MAX))
    return value


def _day(args, name, label):
    return filter_day(args.get(name), name, label, AuditFilterError)


def parse_filters(args):
    """The checked filters of the query string; raises AuditFilterError naming the field."""
    f = Filters(user=_text(args, "user", _("User name")), action=_text(args, "action", _("Action")),
                object_type=_text(args, "object_type", _("Object type")),
                object_id=_text(args, "object_id", _("Object")),
                start=_day(args, "start", _("Time from")), end=_day(args, "end", _("Time to")))
    if f.action and f.action not in {a.value for a in AuditAction}:
        raise AuditFilterError("action", _("%(field)s is not valid.", field=_("Action")))
    if f.start and f.end and f.end < f.start:
        raise AuditFilterError("end", _("%(field)s is before the start.", field=_("Time to")))
    return f


def parse_page(raw):
    try:
        page = int(raw or 1)
    except ValueError:
        raise AuditFilterError("page", _("%(field)s is not valid.", field=_("Page"))) from None
    if page < 1:
        raise AuditFilterError("page", _("%(field)s is not valid.", field=_("Page")))
    return page


def _clauses(f):
    clauses = []
    if f.user:
        like = "%" + f.user.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(AuditLog.actor_name.ilike(like, escape="\\"))
    if f.action:
        clauses.append(AuditLog.action == f.action)
    if f.object_type:
        clauses.append(AuditLog.object_type == f.object_type)
    if f.object_id:
        clauses.append(AuditLog.object_id == f.object_id)
    if f.start:
        clauses.append(AuditLog.at >= datetime.datetime.combine(f.start, datetime.time()))
    if f.end:
        clauses.append(AuditLog.at < datetime.datetime.combine(f.end + datetime.timedelta(days=1), datetime.time()))
    return clauses


def _ordered(f):
    return select(AuditLog).where(*_clauses(f)).order_by(AuditLog.at.desc(), AuditLog.id.desc())


def count(f):
    return db.session.scalar(select(func.count(AuditLog.id)).where(*_clauses(f)))


def page_of(f, page):
    """The rows of one page (newest first), the total and the number of pages."""
    total = count(f)
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(page, pages)
    rows = db.session.scalars(_ordered(f).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return rows, total, page, pages


def object_types():
    return [t for t in db.session.scalars(select(distinct(AuditLog.object_type)).order_by(AuditLog.object_type))
            if t]


# object types whose generic view is not in a menu (views.MODEL_LABELS has the others)
EXTRA_LABELS = {"CalendarDay": _l("Working-day calendar"), "AuditLog": _l("Audit log")}


def object_label(name):
    from views import MODEL_LABELS

    return str(MODEL_LABELS.get(name) or EXTRA_LABELS.get(name) or name or "")


def _field_labels(object_type):
    """column name -> its label, for the model named ``object_type``."""
    from models.base import Model

    for mapper in Model.registry.mappers:
        if mapper.class_.__name__ == object_type:
            return {attr.key: str(attr.columns[0].info.get("label", attr.key)) for attr in mapper.column_attrs}
    return {}


def _value(value):
    if value is None or value == "":
        return "—"
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    return str(value)


def changes_lines(row):
    """The changed fields in words: "字段: 旧 → 新" for an update, "字段: 值" for a creation or a deletion."""
    changes = row.changes
    if not changes:
        return []
    if not isinstance(changes, dict):
        return [str(changes)]
    labels = _field_labels(row.object_type)
    lines = []
    for key, value in changes.items():
        label = labels.get(key, key)
        if isinstance(value, list) and len(value) == 2 and row.action == AuditAction.UPDATE.value:
            lines.append(f"{label}: {_value(value[0])} → {_value(value[1])}")
        else:
            lines.append(f"{label}: {_value(value)}")
    return lines


def export_rows(f):
    """Header, rows and whether the export was capped at EXPORT_MAX_ROWS."""
    headers = [_("Time"), _("User name"), _("Action"), _("Object type"), _("Object"), _("Changed fields"),
               _("IP address")]
    rows = db.session.scalars(_ordered(f).limit(EXPORT_MAX_ROWS + 1)).all()
    capped = len(rows) > EXPORT_MAX_ROWS
    out = [[r.at, r.actor_name, str(AuditAction.label_of(r.action)), object_label(r.object_type), r.object_id,
            "\n".join(changes_lines(r)), r.ip] for r in rows[:EXPORT_MAX_ROWS]]
    return headers, out, capped
