"""Registrations, their material sections, and scores (SPEC B3–B14, E1–E2)."""
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import mapped_column, relationship

from models.base import Model, TimestampMixin, _l, code_col, col, fk
from models.enums import EducationLevel, RegistrationCategory, RegistrationStatus, SectionCode

# one active registration per person and exam (withdrawn, given-up and refused ones do not count)
ACTIVE_REGISTRATION = text("status NOT IN ('withdrawn', 'given_up', 'refused')")


class Registration(TimestampMixin, Model):
    __tablename__ = "registration"
    # decided by the association only
    __staff_fields__ = ("status", "locked", "net_no", "submitted_at", "matter_id", "seat_held", "eligibility_report")
    id = mapped_column(Integer, primary_key=True)
    net_no = col(String(20), _l("Net registration number"), unique=True)
    exam_plan_id = fk("exam_plan.id", _l("Exam"), nullable=False)
    exam_plan = relationship("ExamPlan", info={"label": _l("Exam")})
    person_id = fk("person.id", _l("Candidate"), nullable=False)
    person = relationship("Person", info={"label": _l("Candidate")})
    # the institution the candidate registers through (site owner or own school)
    institution_id = fk("institution.id", _l("Institution"))
    institution = relationship("Institution", info={"label": _l("Institution")})
    exam_site_id = fk("exam_site.id", _l("Site"))
    exam_site = relationship("ExamSite", info={"label": _l("Site")})
    # B3/B14: the sitting (考试场次) chosen, when the exam offers several
    exam_session_id = fk("exam_session.id", _l("Exam sitting"))
    exam_session = relationship("ExamSession", info={"label": _l("Exam sitting")})
    category = code_col(RegistrationCategory, _l("Registration category"), default=RegistrationCategory.FIRST)
    status = code_col(RegistrationStatus, _l("Status"), default=RegistrationStatus.DRAFT)
    city = col(String(64), _l("City"))
    held_certificate_id = fk("certificate.id", _l("Certificate held"), use_alter=True)
    last_exam_date = col(Date, _l("Last exam date"))
    matter_id = fk("matter.id", _l("Matter"))
    matter = relationship("Matter", foreign_keys=[matter_id], info={"label": _l("Matter")})
    submitted_at = col(DateTime, _l("Submitted at"), index=True)  # I2: figures by period, today's
    locked = col(Boolean, _l("Locked"), default=False, nullable=False)
    # B3/B6: the last wizard step reached (a draft resumes there)
    step = col(String(20), _l("Wizard step"))
    pledge_accepted_at = col(DateTime, _l("Pledge accepted at"))
    photo_id = fk("attachment.id", _l("Photo"))
    # B11: whether this registration holds one of its site's seats
    seat_held = col(Boolean, _l("Seat held"), default=False, nullable=False, server_default="0")
    # B7: the reviewer's reasons per material section at the last return
    return_reasons = col(JSON, _l("Return reasons"))
    # B13: every eligibility rule with its outcome at the last submission
    eligibility_report = col(JSON, _l("Eligibility check"))
    # B9: the signed application form uploaded back
    signed_form_id = fk("attachment.id", _l("Signed application form"))
    subjects = relationship("RegistrationSubject", back_populates="registration", cascade="all, delete-orphan",
                            info={"label": _l("Subjects")})
    educations = relationship("Education", order_by="Education.graduation_month.desc()",
                              cascade="all, delete-orphan", info={"label": _l("Education and degree")})
    works = relationship("WorkExperience", order_by="WorkExperience.start_month.desc()",
                         cascade="all, delete-orphan", info={"label": _l("Work résumé")})
    materials = relationship("MaterialEntry", back_populates="registration", order_by="MaterialEntry.id",
                             cascade="all, delete-orphan", info={"label": _l("Application materials")})
    __table_args__ = (
        Index("uq_registration_active", "exam_plan_id", "person_id", unique=True,
              postgresql_where=ACTIVE_REGISTRATION, sqlite_where=ACTIVE_REGISTRATION),
    )

    def __repr__(self):
        return self.net_no or f"#{self.id}"


class RegistrationSubject(Model):
    """B5: the subjects a registration takes (all, or the make-up ones)."""
    __tablename__ = "registration_subject"
    __scope__ = {"Institution": "registration.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    registration_id = fk("registration.id", _l("Registration"), nullable=False, ondelete="CASCADE")
    registration = relationship("Registration", back_populates="subjects", info={"label": _l("Registration")})
    subject_id = fk("subject.id", _l("Subject"), nullable=False)
    subject = relationship("Subject", info={"label": _l("Subject")})
    __table_args__ = (UniqueConstraint("registration_id", "subject_id", name="uq_registration_subject"),)


class Education(TimestampMixin, Model):
    """B3/F2: education record; kept in the person's base-info library and
    copied into a registration (``registration_id`` set)."""
    __tablename__ = "education"
    __scope__ = {"Institution": "person.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    person_id = fk("person.id", _l("Person"), nullable=False)
    person = relationship("Person", info={"label": _l("Person")})
    registration_id = fk("registration.id", _l("Registration"), ondelete="CASCADE")
    school = col(String(128), _l("School"), nullable=False)
    major = col(String(128), _l("Major"))
    major_code = col(String(16), _l("Major code"))
    education_level = code_col(EducationLevel, _l("Education level"), nullable=True)
    degree = col(String(32), _l("Degree"))
    start_month = col(String(7), _l("From (YYYY-MM)"))
    graduation_month = col(String(7), _l("Graduation (YYYY-MM)"), nullable=False)
    is_highest = col(Boolean, _l("Highest degree"), default=False, nullable=False)
    document_id = fk("attachment.id", _l("Degree document"))


class WorkExperience(TimestampMixin, Model):
    __tablename__ = "work_experience"
    __scope__ = {"Institution": "person.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    person_id = fk("person.id", _l("Person"), nullable=False)
    person = relationship("Person", info={"label": _l("Person")})
    registration_id = fk("registration.id", _l("Registration"), ondelete="CASCADE")
    employer = col(String(128), _l("Employer"), nullable=False)
    department = col(String(64), _l("Department"))
    title = col(String(64), _l("Post or title"))
    start_month = col(String(7), _l("From (YYYY-MM)"), nullable=False)
    end_month = col(String(7), _l("To (YYYY-MM)"))
    years_in_occupation = col(Integer, _l("Years in the occupation"))
    referee = col(String(40), _l("Referee"))
    referee_phone = col(String(20), _l("Referee phone"))
    __table_args__ = (
        CheckConstraint("years_in_occupation IS NULL OR (years_in_occupation >= 0 AND years_in_occupation <= 50)",
                        name="ck_work_years"),
    )


class MaterialEntry(TimestampMixin, Model):
    """B4: rows of the other configurable material sections, as typed JSON."""
    __tablename__ = "material_entry"
    __scope__ = {"Institution": "registration.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    registration_id = fk("registration.id", _l("Registration"), nullable=False, ondelete="CASCADE")
    registration = relationship("Registration", back_populates="materials", info={"label": _l("Registration")})
    section = code_col(SectionCode, _l("Section"))
    data = col(JSON, _l("Content"), default=dict, nullable=False)
    attachment_id = fk("attachment.id", _l("Attachment"))


class EligibilityRule(Model):
    """B13: a rule checked at submission, per exam level."""
    __tablename__ = "eligibility_rule"
    __scope__ = None  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    exam_plan_id = fk("exam_plan.id", _l("Exam"), nullable=False, ondelete="CASCADE")
    exam_plan = relationship("ExamPlan", info={"label": _l("Exam")})
    name = col(String(128), _l("Rule"), nullable=False)
    kind = col(String(32), _l("Rule type"), nullable=False)
    params = col(JSON, _l("Parameters"), default=dict, nullable=False)


class Score(TimestampMixin, Model):
    """E1: a subject score of a registration."""
    __tablename__ = "score"
    __scope__ = {"Institution": "registration.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    registration_id = fk("registration.id", _l("Registration"), nullable=False, ondelete="CASCADE")
    registration = relationship("Registration", info={"label": _l("Registration")})
    subject_id = fk("subject.id", _l("Subject"), nullable=False)
    subject = relationship("Subject", info={"label": _l("Subject")})
    score = col(Numeric(6, 2), _l("Score"))
    absent = col(Boolean, _l("Absent"), default=False, nullable=False)
    entered_by_id = fk("ab_user.id", _l("Entered by"))
    __table_args__ = (UniqueConstraint("registration_id", "subject_id", name="uq_score"),)


class ExamResult(TimestampMixin, Model):
    """E1: weighted total and pass decision of a registration."""
    __tablename__ = "exam_result"
    __scope__ = {"Institution": "registration.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    registration_id = fk("registration.id", _l("Registration"), nullable=False, unique=True, ondelete="CASCADE")
    registration = relationship("Registration", info={"label": _l("Registration")})
    total = col(Numeric(6, 2), _l("Weighted total"))
    passed = col(Boolean, _l("Passed"), default=False, nullable=False)
    published_at = col(DateTime, _l("Published at"))
