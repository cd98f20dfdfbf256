"""Candidates in bulk (SPEC D4): batch edit and batch delete.

The caller passes people it already reached through the row scope (an
Institution user's own candidates only).  Each call is one transaction: every
row changes, or none does.  Changes and deletions are audited by app.audit
(ORM writes, flushed in the same transaction).
"""
import os

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.services import import_types
from app.services.imports import CellError, Context
from models import (
    Attachment,
    Certificate,
    CourseTeacher,
    CreditRecord,
    Education,
    Membership,
    Order,
    Person,
    Registration,
    TeacherCategory,
    TrainingRecord,
    UploadToken,
    WorkExperience,
)


class BatchRefused(ValueError):
    """The whole batch is refused; str() is the message for the user."""


# field of the form -> (label, converter shared with the candidate import, Person attribute, stored value)
BATCH_FIELDS = {
    "enrollment_year": (_l("Enrollment year"), import_types.convert_year, "enrollment_year", lambda v: v),
    "major_code": (_l("Major code"), import_types.convert_major_code, "major_id", lambda major: major.id),
    "source": (_l("Candidate type"), import_types.convert_source, "source", lambda v: v),
    "employer": (_l("Employer"), import_types.text_max(128), "employer", lambda v: v),
    "region": (_l("Region"), import_types.convert_region, "region_code", lambda v: v),
}


def batch_edit(people, values, user):
    """Set the filled-in fields of ``values`` (form field -> text; empty = unchanged) on every person.
    Returns the number of people; raises BatchRefused naming the field, before anything changes."""
    ctx = Context(user=user, institution_id=user.institution_id)
    changes = {}
    for name, (label, convert, attr, stored) in BATCH_FIELDS.items():
        text = (values.get(name) or "").strip()
        if not text:
            continue
        try:
            changes[attr] = stored(convert(text, ctx))
        except CellError as exc:
            raise BatchRefused(_("%(field)s: %(reason)s", field=label, reason=exc)) from None
    if not changes:
        raise BatchRefused(_("Fill in at least one field to change."))
    if not people:
        raise BatchRefused(_("Choose the candidates first."))
    for person in people:
        for attr, value in changes.items():
            setattr(person, attr, value)
    db.session.commit()
    return len(people)


# rows that keep a person: records of exams, money, certificates, training (never deleted with it)
KEEPERS = (
    (Registration, _l("registered for an exam")),
    (Certificate, _l("has certificates, orders or other records")),
    (Order, _l("has certificates, orders or other records")),
    (CreditRecord, _l("has certificates, orders or other records")),
    (Membership, _l("has certificates, orders or other records")),
    (TrainingRecord, _l("has certificates, orders or other records")),
    (TeacherCategory, _l("has certificates, orders or other records")),
    (CourseTeacher, _l("has certificates, orders or other records")),
)
# rows that belong to the person alone (its base-info library, photos, upload links): deleted with it
DEPENDENTS = (UploadToken, Education, WorkExperience)


def deletion_refusal(people):
    """Why these people may not be deleted (one message naming them by reason), or None."""
    ids = [p.id for p in people]
    names = {p.id: p.name for p in people}
    reasons = {}
    for p in people:
        if p.user_id is not None:  # the person of an account: the account holder's, not the institution's
            reasons.setdefault(str(_l("has an account")), []).append(p.id)
    for model, reason in KEEPERS:
        for pid in db.session.scalars(select(model.person_id).where(model.person_id.in_(ids)).distinct()):
            kept = reasons.setdefault(str(reason), [])
            if pid not in kept:
                kept.append(pid)
    if not reasons:
        return None
    parts = [_("%(reason)s: %(names)s", reason=reason, names="、".join(names[pid] for pid in pids))
             for reason, pids in reasons.items()]
    return _("Nothing was deleted. %(people)s.", people="; ".join(parts))


def delete_dependents(people):
    """Delete what belongs to these people alone; returns the paths of their stored files
    (removed by the caller once the transaction is committed)."""
    ids = [p.id for p in people]
    db.session.execute(update(Person).where(Person.id.in_(ids)).values(photo_id=None))
    for model in DEPENDENTS:
        db.session.execute(delete(model).where(model.person_id.in_(ids)))
    attachments = db.session.scalars(select(Attachment).where(Attachment.person_id.in_(ids))).all()
    from app.services import files

    paths = [files.path_of(a) for a in attachments]
    for a in attachments:
        db.session.delete(a)
    return paths


def remove_files(paths):
    for path in paths:
        try:
            os.remove(path)
        except OSError:
            pass  # already gone: the rows are what matter


def batch_delete(people):
    """Delete all of these people with their own rows, or none of them (BatchRefused)."""
    if not people:
        raise BatchRefused(_("Choose the candidates first."))
    refusal = deletion_refusal(people)
    if refusal:
        raise BatchRefused(refusal)
    try:
        paths = delete_dependents(people)
        for person in people:
            db.session.delete(person)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise BatchRefused(_("Nothing was deleted: other records still refer to these candidates.")) from None
    remove_files(paths)
    return len(people)
