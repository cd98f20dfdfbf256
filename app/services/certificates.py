"""Certificates (SPEC E4–E9): numbers, issuing, new versions, cancellation,
extension, and the state and facts anyone verifying a certificate sees.

One place for each rule; the back office, the matters' effects, the import
and the verification page call these.  Functions add to the session and flush;
the caller commits (one transaction with whatever else it writes).
"""
import datetime
import string

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from models import Certificate, CertificateEvent, CertificateSerialCounter, ExamResult, Registration
from models.enums import CertificateStatus

SCHEME_FIELDS = {"code", "year", "seq"}


class CertificateError(ValueError):
    """A refused operation; ``str()`` is a translated message for the user."""


# --- numbers ----------------------------------------------------------------------------------------
def check_scheme(scheme):
    """The number scheme is a format of {code}, {year} and {seq} (e.g. ``{code}{year}{seq:05d}``);
    returns a translated error or None."""
    try:
        fields = {name for _text, name, _spec, _conv in string.Formatter().parse(scheme or "") if name is not None}
        sample = scheme.format(code="CODE", year=2026, seq=1)
    except (ValueError, IndexError, KeyError, AttributeError):
        return _("The number scheme is not a valid format; use {code}, {year} and {seq}, e.g. {code}{year}{seq:05d}.")
    if "seq" not in fields or not fields <= SCHEME_FIELDS:
        return _("The number scheme must contain {seq} and may contain only {code}, {year} and {seq}.")
    if len(sample) > 40:
        return _("A certificate number has at most 40 characters.")
    return None


def _next_sequence(prefix):
    """One atomic upsert per number (the engine's counter): unique under concurrency."""
    from app.workflow import next_counter

    return next_counter(CertificateSerialCounter.__table__, "prefix", prefix)


def allocate_serial(certificate_type, year):
    """The next certificate number of the type's scheme for ``year``; numbers taken by
    imported certificates are skipped."""
    scheme = certificate_type.number_scheme or "{code}{year}{seq:05d}"
    prefix = f"{certificate_type.code}|{year}"[:40]
    while True:
        serial = scheme.format(code=certificate_type.code, year=year, seq=_next_sequence(prefix))
        if db.session.scalar(select(Certificate.id).where(Certificate.serial == serial)) is None:
            return serial


# --- dates and state ----------------------------------------------------------------------------------
def add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def state_of(cert, today=None):
    """有效 / 已过期 / 已注销 / 已被替换: cancellation and replacement are stored, expiry follows the date."""
    if cert.status in (CertificateStatus.REVOKED.value, CertificateStatus.REPLACED.value):
        return CertificateStatus(cert.status)
    today = today or datetime.date.today()
    if cert.valid_until is not None and cert.valid_until < today:
        return CertificateStatus.EXPIRED
    return CertificateStatus.VALID


def near_expiry(cert, today=None, days=None):
    """E9: annual confirmation is offered for a certificate that expires within the configured days, or has
    expired; never for a cancelled or replaced one."""
    if cert.status in (CertificateStatus.REVOKED.value, CertificateStatus.REPLACED.value) or not cert.valid_until:
        return False
    today = today or datetime.date.today()
    days = current_app.config["ANNUAL_CONFIRMATION_DAYS"] if days is None else days
    return cert.valid_until <= today + datetime.timedelta(days=days)


def public_facts(cert, today=None):
    """E5: everything a verifier may see — the certificate's own data with the ID number masked.
    The page and the JSON both show exactly this; nothing else about the holder."""
    ctype = cert.certificate_type
    state = state_of(cert, today)
    replacement = db.session.get(Certificate, cert.replaced_by_id) if cert.replaced_by_id else None
    return {
        "serial": cert.serial,
        "holder_name": cert.holder_name,
        "id_number": cert.holder_id_masked,
        "certificate_name": ctype.name,
        "level": ctype.level,
        "issuer": ctype.issuer,
        "issue_date": cert.issue_date.isoformat(),
        "valid_until": cert.valid_until.isoformat() if cert.valid_until else None,
        "state": state.value,
        "state_label": str(state.label),
        "state_changed_at": cert.status_changed_at.date().isoformat() if cert.status_changed_at
        and state in (CertificateStatus.REVOKED, CertificateStatus.REPLACED) else (
            cert.valid_until.isoformat() if state == CertificateStatus.EXPIRED else None),
        "state_reason": cert.status_reason if state in (CertificateStatus.REVOKED, CertificateStatus.REPLACED)
        else None,
        "replaced_by": replacement.serial if replacement else None,
        "version": cert.version,
        "pdf_sha256": cert.pdf_sha256,
    }


def verification_url(cert):
    """E5: the public address of the certificate's verification result (its QR code): the
    unguessable token, never the serial; it keeps answering after cancellation or replacement."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/verify/c/{cert.token}"


def _event(cert, kind, actor=None, matter=None, before=None, after=None, note=None):
    db.session.add(CertificateEvent(certificate=cert, kind=kind, actor_id=getattr(actor, "id", None),
                                    matter_id=getattr(matter, "id", None), valid_until_before=before,
                                    valid_until_after=after, note=note))


# --- issuing -------------------------------------------------------------------------------------------
def passed_without_certificate(plan_id):
    """Registrations of the exam that passed and hold no certificate from it yet (the batch's rows)."""
    issued = select(Certificate.registration_id).where(Certificate.registration_id.is_not(None))
    return db.session.scalars(
        select(Registration).join(ExamResult, ExamResult.registration_id == Registration.id)
        .where(Registration.exam_plan_id == plan_id, ExamResult.passed.is_(True),
               Registration.id.not_in(issued)).order_by(Registration.id)).all()


def issue(registration, actor, issue_date=None):
    """E4: the first certificate of a passed registration, or None when it has one already
    (a batch run twice issues nothing twice; the unique (registration, version) guards a race)."""
    if db.session.scalar(select(Certificate.id).where(Certificate.registration_id == registration.id)):
        return None
    plan = registration.exam_plan
    ctype = plan.certificate_type
    if ctype is None:
        raise CertificateError(_("The exam %(exam)s has no certificate to issue.", exam=plan.name))
    result = db.session.scalar(select(ExamResult).where(ExamResult.registration_id == registration.id))
    if result is None or not result.passed:
        raise CertificateError(_("%(name)s has not passed %(exam)s.", name=registration.person.name,
                                 exam=plan.name))
    person = registration.person
    return _issued(ctype, person, registration.institution_id or person.institution_id, actor, issue_date,
                   registration_id=registration.id, photo_id=registration.photo_id or person.photo_id)


def _issued(ctype, person, institution_id, actor, issue_date=None, registration_id=None, photo_id=None, matter=None):
    """A first certificate of ``ctype`` for ``person``: the next number, validity from the type."""
    issue_date = issue_date or datetime.date.today()
    cert = Certificate(
        serial=allocate_serial(ctype, issue_date.year), certificate_type=ctype, person=person,
        institution_id=institution_id, registration_id=registration_id,
        issue_date=issue_date, valid_until=add_years(issue_date, ctype.validity_years),
        holder_name=person.name, holder_id_masked=person.id_number_masked,
        photo_id=photo_id or person.photo_id, source="issued")
    db.session.add(cert)
    db.session.flush()
    _event(cert, "issued", actor, matter, after=cert.valid_until)
    return cert


def issued_by_matter(matter):
    """The certificate a matter issued (its "issued" event names the matter), or None."""
    return db.session.scalar(select(Certificate).join(CertificateEvent, CertificateEvent.certificate_id ==
                                                      Certificate.id)
                             .where(CertificateEvent.matter_id == matter.id, CertificateEvent.kind == "issued")
                             .order_by(Certificate.id))


def issue_for_matter(matter, person, ctype, actor, issue_date=None):
    """F2: the certificate of an approved personnel registration (no exam registration behind it), or
    the one it issued already (the approval's effect may run once only, a retry issues nothing twice)."""
    existing = issued_by_matter(matter)
    if existing is not None:
        return existing
    if ctype is None or not ctype.enabled:
        raise CertificateError(_("No certificate type is set up for matter %(no)s.", no=matter.business_no))
    return _issued(ctype, person, matter.institution_id or person.institution_id, actor, issue_date, matter=matter)


def new_version(old, actor, matter=None, reason=None, **changes):
    """E6/E7: a reissue or change issues a new version with a new number; the old one is
    replaced (it still verifies, as 已被替换, pointing at the new number)."""
    if old.status != CertificateStatus.VALID.value:
        raise CertificateError(_("Certificate %(no)s is %(state)s; only a valid certificate can be reissued or "
                                 "changed.", no=old.serial, state=state_of(old).label))
    today = datetime.date.today()
    cert = Certificate(
        serial=allocate_serial(old.certificate_type, today.year), certificate_type_id=old.certificate_type_id,
        person_id=old.person_id, institution_id=old.institution_id, registration_id=old.registration_id,
        issue_date=today, valid_until=old.valid_until, holder_name=old.holder_name,
        holder_id_masked=old.holder_id_masked, photo_id=old.photo_id, source=old.source, version=old.version + 1)
    for key, value in changes.items():
        setattr(cert, key, value)
    db.session.add(cert)
    db.session.flush()
    old.status, old.replaced_by_id = CertificateStatus.REPLACED.value, cert.id
    old.status_reason, old.status_changed_at = reason, datetime.datetime.now()
    _event(old, "replaced", actor, matter, note=reason)
    _event(cert, "issued", actor, matter, after=cert.valid_until, note=reason)
    return cert


def cancel(cert, reason, actor, matter=None):
    """E8: cancelled certificates verify as 已注销 with the date and reason."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("Give the reason for the cancellation."))
    if cert.status in (CertificateStatus.REVOKED.value, CertificateStatus.REPLACED.value):
        raise CertificateError(_("Certificate %(no)s is %(state)s already.", no=cert.serial,
                                 state=state_of(cert).label))
    cert.status, cert.status_reason = CertificateStatus.REVOKED.value, reason
    cert.status_changed_at = datetime.datetime.now()
    _event(cert, "cancelled", actor, matter, note=reason)


def transfer(cert, institution, actor, matter=None):
    """F4: the holder changed practising institution; the certificate follows, its history says so."""
    old = cert.institution.name if cert.institution else ""
    cert.institution_id = institution.id
    _event(cert, "transferred", actor, matter, note=_("Practising institution: %(old)s → %(new)s",
                                                        old=old or "—", new=institution.name))


def extend(cert, actor, matter=None, years=1, today=None):
    """E9: an approved annual confirmation extends the validity by ``years`` from the later of
    the old end and today; the event keeps the old and new dates."""
    if cert.status in (CertificateStatus.REVOKED.value, CertificateStatus.REPLACED.value):
        raise CertificateError(_("Certificate %(no)s is %(state)s; it cannot be extended.", no=cert.serial,
                                 state=state_of(cert).label))
    today = today or datetime.date.today()
    before = cert.valid_until
    cert.valid_until = add_years(max(before or today, today), years)
    if cert.status == CertificateStatus.EXPIRED.value:
        cert.status = CertificateStatus.VALID.value
    _event(cert, "extended", actor, matter, before=before, after=cert.valid_until)


def record_import(cert, actor):
    """E4: a certificate of a holder certified before the platform keeps in its history that it was imported."""
    _event(cert, "imported", actor, after=cert.valid_until)
