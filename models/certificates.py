"""Issued certificates and their versions (SPEC E4–E9, F9–F10)."""
import secrets

from sqlalchemy import Date, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import mapped_column, relationship

from models.base import Model, TimestampMixin, _l, code_col, col, fk, now
from models.enums import CertificateSource, CertificateStatus, CreditKind, MembershipKind, ReviewStatus


class Certificate(TimestampMixin, Model):
    __tablename__ = "certificate"
    id = mapped_column(Integer, primary_key=True)
    serial = col(String(40), _l("Certificate number"), nullable=False, unique=True)
    # the public verification URL carries this token, never the serial
    token = col(String(64), _l("Verification token"), nullable=False, unique=True,
                default=lambda: secrets.token_urlsafe(32))
    certificate_type_id = fk("certificate_type.id", _l("Certificate type"), nullable=False)
    certificate_type = relationship("CertificateType", info={"label": _l("Certificate type")})
    person_id = fk("person.id", _l("Holder"), nullable=False)
    person = relationship("Person", info={"label": _l("Holder")})
    institution_id = fk("institution.id", _l("Institution"))
    institution = relationship("Institution", info={"label": _l("Institution")})
    registration_id = fk("registration.id", _l("Registration"))
    registration = relationship("Registration", foreign_keys=[registration_id], info={"label": _l("Registration")})
    # E5: the holder's data as printed, kept with the version (a change matter issues a new version)
    holder_name = col(String(40), _l("Holder name"))
    holder_id_masked = col(String(32), _l("ID number"))
    photo_id = fk("attachment.id", _l("Holder photo"))
    pdf_id = fk("attachment.id", _l("Certificate PDF"))
    source = col(String(16), _l("Source"), default="issued", nullable=False, server_default="issued",
                 info={"enum": CertificateSource})
    issue_date = col(Date, _l("Issue date"), nullable=False, index=True)  # I2: issued by period, today's
    valid_until = col(Date, _l("Valid until"), index=True)
    status = code_col(CertificateStatus, _l("Status"), default=CertificateStatus.VALID)
    status_reason = col(Text, _l("Status reason"))
    status_changed_at = col(DateTime, _l("Status changed at"))
    version = col(Integer, _l("Version"), default=1, nullable=False)
    replaced_by_id = fk("certificate.id", _l("Replaced by"))
    pdf_sha256 = col(String(64), _l("PDF SHA-256"))
    events = relationship("CertificateEvent", back_populates="certificate", order_by="CertificateEvent.id",
                          cascade="all, delete-orphan", info={"label": _l("History")})
    # issuing twice for one registration cannot make a second first version (E4, idempotent batches)
    __table_args__ = (UniqueConstraint("registration_id", "version", name="uq_certificate_registration_version"),)

    def __repr__(self):
        return self.serial


# P1: FAB's ILIKE filters on the holder's name (starts with, contains)
Index("ix_certificate_holder_name_trgm", Certificate.holder_name, postgresql_using="gin",
      postgresql_ops={"holder_name": "gin_trgm_ops"})


class CertificateEvent(Model):
    """E4–E9: what happened to a certificate (issued, replaced, cancelled, extended …), kept for good."""
    __tablename__ = "certificate_event"
    id = mapped_column(Integer, primary_key=True)
    certificate_id = fk("certificate.id", _l("Certificate"), nullable=False, ondelete="CASCADE")
    certificate = relationship("Certificate", back_populates="events", info={"label": _l("Certificate")})
    kind = col(String(20), _l("Event"), nullable=False)
    at = col(DateTime, _l("Time"), nullable=False, default=now)
    actor_id = fk("ab_user.id", _l("Handled by"))
    matter_id = fk("matter.id", _l("Matter"))
    valid_until_before = col(Date, _l("Valid until (before)"))
    valid_until_after = col(Date, _l("Valid until (after)"))
    note = col(Text, _l("Note"))


class CertificateSerialCounter(Model):
    """E4: the last serial handed out per number prefix (type code + year); atomic upsert."""
    __tablename__ = "certificate_serial_counter"
    prefix = col(String(40), _l("Prefix"), primary_key=True)
    last_value = col(Integer, _l("Last sequence"), nullable=False)


class CreditRecord(TimestampMixin, Model):
    """F9: credit record of a certified person."""
    __tablename__ = "credit_record"
    __scope__ = {"Institution": "person.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    person_id = fk("person.id", _l("Person"), nullable=False)
    person = relationship("Person", info={"label": _l("Person")})
    kind = code_col(CreditKind, _l("Record type"))
    occurred_on = col(Date, _l("Date"), nullable=False)
    description = col(Text, _l("Description"), nullable=False)
    matter_id = fk("matter.id", _l("Matter"))
    # F9: a sanction runs from occurred_on to valid_until; who recorded it
    valid_until = col(Date, _l("Until"))
    recorded_by_id = fk("ab_user.id", _l("Recorded by"))


class Membership(TimestampMixin, Model):
    """F10: individual or institutional membership."""
    __tablename__ = "membership"
    id = mapped_column(Integer, primary_key=True)
    kind = code_col(MembershipKind, _l("Membership type"))
    person_id = fk("person.id", _l("Person"))
    person = relationship("Person", info={"label": _l("Person")})
    institution_id = fk("institution.id", _l("Institution"))
    institution = relationship("Institution", info={"label": _l("Institution")})
    member_no = col(String(32), _l("Member number"), unique=True)
    valid_until = col(Date, _l("Valid until"))
    status = code_col(ReviewStatus, _l("Status"), default=ReviewStatus.NOT_SUBMITTED)
