"""Audit log (SPEC I1): logins, and every create/update/delete of a business
row with its changed fields, written in the same transaction."""
import contextvars
import datetime
from decimal import Decimal

from flask import g, has_request_context, request
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from models import (
    AuditLog,
    BusinessNumberCounter,
    CaptchaChallenge,
    Delivery,
    Job,
    Notification,
    SmsCode,
    UploadToken,
)
from models.enums import AuditAction

# rows too noisy or internal to audit; FAB's own permission tables are skipped too
SKIPPED = {AuditLog, BusinessNumberCounter, CaptchaChallenge, Delivery, Job, Notification, SmsCode, UploadToken}
SECRET_FIELDS = {"password", "id_number_enc", "id_number_hash"}
# bookkeeping that changes on every login or save: not a change worth a row
BOOKKEEPING = {"login_count", "last_login", "fail_login_count", "changed_on", "updated_at", "session_version"}
actor_var = contextvars.ContextVar("audit_actor", default=None)


def _actor():
    user = actor_var.get()
    if user is None and has_request_context():
        user = getattr(g, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


def _jsonable(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool, type(None), list, dict)):
        return value
    return str(value)


def _row(action, obj_type, obj_id, changes, actor=None, actor_name=None):
    actor = actor or _actor()
    return {
        "at": datetime.datetime.now(),
        "actor_id": getattr(actor, "id", None),
        "actor_name": actor_name or getattr(actor, "username", None),
        "action": action.value,
        "object_type": obj_type,
        "object_id": None if obj_id is None else str(obj_id),
        "changes": changes,
        "ip": request.remote_addr if has_request_context() else None,
    }


def record(action, obj_type, obj_id, changes=None, actor=None, actor_name=None):
    """Write one audit row now (logins, views of a full ID number)."""
    from app.extensions import db

    db.session.execute(insert(AuditLog.__table__), [_row(action, obj_type, obj_id, changes, actor, actor_name)])
    db.session.commit()


def _audited(obj):
    cls = type(obj)
    return cls not in SKIPPED and not cls.__tablename__.startswith("ab_") or cls.__name__ == "PlatformUser"


def _changes(obj, only_changed):
    state = inspect(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if only_changed and (not hist.has_changes() or attr.key in BOOKKEEPING):
            continue
        new = hist.added[0] if hist.added else getattr(obj, attr.key)
        old = hist.deleted[0] if hist.deleted else None
        if attr.key in SECRET_FIELDS:
            old, new = ("***" if old else None), ("***" if new else None)
        out[attr.key] = [_jsonable(old), _jsonable(new)] if only_changed else _jsonable(new)
    return out


def _pk(obj):
    key = inspect(obj).mapper.primary_key_from_instance(obj)  # set by the INSERT just flushed
    return key[0] if len(key) == 1 else list(key)


def _after_flush(session, flush_context):
    rows = []
    for obj in session.new:
        if _audited(obj):
            rows.append(_row(AuditAction.CREATE, type(obj).__name__, _pk(obj), _changes(obj, False)))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            changes = _changes(obj, True)
            if changes:
                rows.append(_row(AuditAction.UPDATE, type(obj).__name__, _pk(obj), changes))
    for obj in session.deleted:
        if _audited(obj):
            rows.append(_row(AuditAction.DELETE, type(obj).__name__, _pk(obj), _changes(obj, False)))
    if rows:
        session.connection().execute(insert(AuditLog.__table__), rows)


def init_app(app):
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
