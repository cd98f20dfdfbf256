"""Issued certificates and their versions (SPEC E4–E9, F9–F10)."""
import secrets

from sqlalchemy import Date, DateTime, Integer, String, Text
from sqlalchemy.orm import mapped_column, relationship

from models.base import Model, TimestampMixin, _l, code_col, col, fk
from models.enums import CertificateStatus, CreditKind, MembershipKind, ReviewStatus


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
    issue_date = col(Date, _l("Issue date"), nullable=False)
    valid_until = col(Date, _l("Valid until"), index=True)
    status = code_col(CertificateStatus, _l("Status"), default=CertificateStatus.VALID)
    status_reason = col(Text, _l("Status reason"))
    status_changed_at = col(DateTime, _l("Status changed at"))
    version = col(Integer, _l("Version"), default=1, nullable=False)
    replaced_by_id = fk("certificate.id", _l("Replaced by"))
    pdf_sha256 = col(String(64), _l("PDF SHA-256"))

    def __repr__(self):
        return self.serial


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
