"""F9 信用评价: a certified person's credit record — upheld complaints, sanctions, annual
confirmations and continuing education (CPD).

Rows are CreditRecord rows (kind complaint / sanction / annual / cpd); the portal page adds the
person's approved annual-confirmation matters and TrainingRecord rows.  ``record_sanction`` raises
CreditError(field, message) for bad input and writes nothing then; it commits."""
import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.roles import ADMIN, ASSOCIATION
from app.scoping import role_names
from models import Certificate, CreditRecord, Matter, Person
from models.enums import CreditKind
from models.training import TrainingRecord

RECORDERS = {ADMIN, ASSOCIATION}
REASON_MAX = 1000


class CreditError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def record_upheld_complaint(matter, user):
    """F6 → F9: the upheld complaint enters the credit record of the person it is about
    (payload ``respondent_person_id``), once per matter.  Runs in the workflow's transaction."""
    person_id = (matter.payload or {}).get("respondent_person_id")
    if not person_id or db.session.get(Person, person_id) is None:
        return None
    existing = db.session.scalar(select(CreditRecord).where(CreditRecord.matter_id == matter.id,
                                                            CreditRecord.kind == CreditKind.COMPLAINT.value))
    if existing is not None:
        return existing
    p = matter.payload or {}
    summary = p.get("summary") or matter.title
    record = CreditRecord(person_id=person_id, kind=CreditKind.COMPLAINT.value, occurred_on=datetime.date.today(),
                          description=_("Upheld complaint %(no)s: %(summary)s", no=matter.business_no,
                                        summary=summary)[:REASON_MAX],
                          matter_id=matter.id, recorded_by_id=user.id if user is not None else None)
    db.session.add(record)
    db.session.flush()
    return record


def is_certified(person):
    return person is not None and db.session.scalar(
        select(Certificate.id).where(Certificate.person_id == person.id).limit(1)) is not None


def _date(value, field, label):
    value = (value or "").strip()
    if not value:
        raise CreditError(field, _("Please fill in: %(field)s.", field=label))
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CreditError(field, _("%(field)s: not a valid date (YYYY-MM-DD).", field=label)) from None


def certified_person_of(serial):
    """The holder of the certificate numbered ``serial``, or None."""
    serial = (serial or "").strip()
    if not serial:
        return None
    return db.session.scalar(select(Person).join(Certificate, Certificate.person_id == Person.id)
                             .where(Certificate.serial == serial))


def record_sanction(user, serial, reason, start, end):
    """记录处罚: a sanction on the holder of certificate ``serial`` from ``start`` to ``end``."""
    if not role_names(user) & RECORDERS:
        raise CreditError("form", _("Only the Association may record a sanction."))
    if not (serial or "").strip():
        raise CreditError("serial", _("Please fill in: %(field)s.", field=_("Certificate number")))
    person = certified_person_of(serial)
    if person is None:
        raise CreditError("serial", _("%(field)s: no certificate %(no)s was found.", field=_("Certificate number"),
                                      no=serial.strip()))
    reason = (reason or "").strip()
    if not reason:
        raise CreditError("reason", _("Please fill in: %(field)s.", field=_("Sanction reason")))
    if len(reason) > REASON_MAX:
        raise CreditError("reason", _("%(field)s: at most %(n)d characters.", field=_("Sanction reason"),
                                      n=REASON_MAX))
    start = _date(start, "start", _("Sanction start"))
    end = _date(end, "end", _("Sanction end"))
    if end < start:
        raise CreditError("end", _("%(field)s is before the start.", field=_("Sanction end")))
    try:
        record = CreditRecord(person_id=person.id, kind=CreditKind.SANCTION.value, occurred_on=start,
                              valid_until=end, description=reason, recorded_by_id=user.id)
        db.session.add(record)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return record


def is_active(record, today=None):
    """A sanction is in force from its start until its end (inclusive)."""
    today = today or datetime.date.today()
    return record.occurred_on <= today and (record.valid_until is None or today <= record.valid_until)


def record_of(person, user):
    """The person's credit record for the portal page: {kind: [rows]} plus the approved annual
    confirmations (matters) and the training records."""
    empty = {"complaints": [], "sanctions": [], "annual": [], "annual_matters": [], "cpd": [], "training": []}
    if person is None:
        return empty
    rows = db.session.scalars(select(CreditRecord).where(CreditRecord.person_id == person.id)
                              .order_by(CreditRecord.occurred_on.desc(), CreditRecord.id.desc())).all()
    by_kind = {kind.value: [r for r in rows if r.kind == kind.value] for kind in CreditKind}
    annual_matters = db.session.scalars(
        select(Matter).where(Matter.type_code == "annual_confirmation", Matter.state == "done",
                             Matter.applicant_id == user.id).order_by(Matter.completed_at.desc())).all()
    training = db.session.scalars(select(TrainingRecord).where(TrainingRecord.person_id == person.id)
                                  .order_by(TrainingRecord.start_date.desc())).all()
    return {"complaints": by_kind["complaint"], "sanctions": by_kind["sanction"], "annual": by_kind["annual"],
            "annual_matters": annual_matters, "cpd": by_kind["cpd"], "training": training}
