"""People, institutions, accounts and reference catalogues (SPEC A, D4)."""
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, Date, Index, Integer, String, Text, UniqueConstraint, func, literal_column
from sqlalchemy.orm import mapped_column, relationship

from app import crypto
from models.base import Model, TimestampMixin, _l, code_col, col, fk
from models.enums import (
    CandidateSource,
    Gender,
    IdType,
    InstitutionKind,
    MajorLevel,
    ReviewStatus,
    VerifyState,
)


class Region(Model):
    """Administrative divisions (NBS codes): province, city, county."""
    __tablename__ = "region"
    code = col(String(12), _l("Division code"), primary_key=True)
    name = col(String(64), _l("Name"), nullable=False)
    level = col(Integer, _l("Level"), nullable=False)
    parent_code = fk("region.code", type_=String(12), label=_l("Parent division"))
    parent = relationship("Region", remote_side=[code], info={"label": _l("Parent division")})

    def __repr__(self):
        return self.name


class Institution(TimestampMixin, Model):
    __tablename__ = "institution"
    __scope__ = {"Institution": "id"}  # an institution user reaches its own row only
    __staff_fields__ = ("status",)  # decided by the association only
    id = mapped_column(Integer, primary_key=True)
    name = col(String(128), _l("Institution name"), nullable=False, unique=True)
    uscc = col(String(18), _l("Unified social credit code"), unique=True)
    kind = code_col(InstitutionKind, _l("Institution type"), default=InstitutionKind.COLLEGE)
    region_code = fk("region.code", type_=String(12), label=_l("Region"))
    region = relationship("Region", info={"label": _l("Region")})
    address = col(String(256), _l("Address"))
    contact_name = col(String(32), _l("Contact person"))
    contact_phone = col(String(20), _l("Contact phone"))
    status = code_col(ReviewStatus, _l("Status"), default=ReviewStatus.APPROVED)

    def __repr__(self):
        return self.name


class PlatformUser(User):
    """FAB's user with what the platform needs: phone, institution, session version."""
    __tablename__ = "ab_user"
    phone = col(String(20), _l("Mobile phone"), unique=True, nullable=True)
    institution_id = fk("institution.id", _l("Institution"))
    institution = relationship("Institution", foreign_keys=[institution_id], info={"label": _l("Institution")})
    # bumped on logout and password change: older session cookies stop working
    session_version = col(Integer, _l("Session version"), default=1, nullable=False, server_default="1")

    def __repr__(self):
        # Chinese names read family name first with no space: 王小明
        return f"{self.first_name}{self.last_name}".strip() or self.username


class Major(Model):
    """A8: major catalogue with new and old names."""
    __tablename__ = "major"
    id = mapped_column(Integer, primary_key=True)
    code = col(String(16), _l("Major code"), nullable=False)
    name = col(String(128), _l("Major name"), nullable=False, index=True)
    old_name = col(String(128), _l("Former name"), index=True)
    level = code_col(MajorLevel, _l("Major level"), default=MajorLevel.UNDERGRADUATE)
    family = col(String(64), _l("Major family"))
    version = col(String(16), _l("Catalogue version"))
    __table_args__ = (UniqueConstraint("code", "version", name="uq_major_code_version"),)

    def __repr__(self):
        return self.name


class Person(TimestampMixin, Model):
    """A candidate or other natural person (A2, D4).

    The ID number is stored encrypted; ``id_number_hash`` is the blind index
    that enforces one person per ID number.
    """
    __tablename__ = "person"
    __staff_fields__ = ("is_expert", "is_teacher", "expert_fields", "realname_verified", "verify_state",
                       "verify_note")  # D6: set by verification
    id = mapped_column(Integer, primary_key=True)
    user_id = fk("ab_user.id", _l("Account"), unique=True)
    user = relationship("PlatformUser", foreign_keys=[user_id], info={"label": _l("Account")})
    institution_id = fk("institution.id", _l("Institution"))
    institution = relationship("Institution", info={"label": _l("Institution")})
    source = code_col(CandidateSource, _l("Candidate type"), default=CandidateSource.SELF)
    name = col(String(40), _l("Full name"), nullable=False, index=True)
    pinyin = col(String(80), _l("Name in pinyin"))
    gender = code_col(Gender, _l("Gender"), nullable=True)
    id_type = code_col(IdType, _l("ID type"), default=IdType.RESIDENT)
    id_number_enc = col(Text, _l("ID number (encrypted)"), nullable=False)
    id_number_hash = col(String(64), _l("ID number index"), nullable=False, unique=True)
    id_number_masked = col(String(32), _l("ID number"), nullable=False)
    birth_date = col(Date, _l("Date of birth"))
    phone = col(String(20), _l("Mobile phone"), unique=True)
    email = col(String(120), _l("E-mail"), unique=True)
    email_verified = col(Boolean, _l("E-mail activated"), default=False, nullable=False, server_default="0")
    region_code = fk("region.code", type_=String(12), label=_l("Region"))
    region = relationship("Region", info={"label": _l("Region")})
    enrollment_year = col(Integer, _l("Enrollment year"))
    major_id = fk("major.id", _l("Major"))
    major = relationship("Major", info={"label": _l("Major")})
    major_text = col(String(128), _l("Major (free text)"))
    employer = col(String(128), _l("Employer"))  # D4: social candidates (社会考生)
    verify_state = code_col(VerifyState, _l("Verification state"), default=VerifyState.NO_PHOTO)
    verify_note = col(String(256), _l("Photo check result"))  # D6: why the last check failed, for the reviewer
    realname_verified = col(Boolean, _l("Real-name verified"), default=False, nullable=False)
    photo_id = fk("attachment.id", _l("Photo"), use_alter=True)
    is_expert = col(Boolean, _l("Expert"), default=False, nullable=False)
    is_teacher = col(Boolean, _l("Teacher"), default=False, nullable=False)
    expert_fields = col(String(255), _l("Expert fields"))  # F3/F7: shown in the assignment picker

    def set_id_number(self, value):
        value = crypto.normalise_id_number(value)
        self.id_number_enc = crypto.encrypt(value)
        self.id_number_hash = crypto.blind_index(value)
        self.id_number_masked = crypto.mask_id_number(value)

    def full_id_number(self):
        """Callers must check the permission and audit the view (app.identity)."""
        return crypto.decrypt(self.id_number_enc)

    def __repr__(self):
        return self.name


# P1: the list's search box (app.listing).  LIKE 'x%' uses a btree only with the pattern operator class
# under a non-C collation; the trigram index serves FAB's ILIKE filters (starts with, contains).
# The person's id rides in the prefix indexes (INCLUDE, migration 0019): a search reads its keys from the
# index alone, without visiting the table's rows.
Index("ix_person_name_prefix", Person.name, postgresql_ops={"name": "varchar_pattern_ops"},
      postgresql_include=["id"])
Index("ix_person_phone_prefix", Person.phone, postgresql_ops={"phone": "varchar_pattern_ops"},
      postgresql_include=["id"])
Index("ix_person_pinyin_key", func.lower(func.replace(Person.pinyin, literal_column("' '"), literal_column("''")))
      .label("pinyin_key"),
      postgresql_ops={"pinyin_key": "text_pattern_ops"})
Index("ix_person_name_trgm", Person.name, postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"})
