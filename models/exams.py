"""Certificates offered, exam plans, subjects, sites, rooms, invigilators,
sessions and seat plans (SPEC B1–B2, D1–D3, D8–D10)."""
import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import mapped_column, relationship

from models.base import Model, TimestampMixin, _l, code_col, col, fk
from models.enums import (
    CertLevel,
    ExamCategory,
    ExamStatus,
    InvigilatorDuty,
    Reviewer,
    ReviewStatus,
    RoomStatus,
)


class CertificateType(TimestampMixin, Model):
    """D2: certificate catalogue."""
    __tablename__ = "certificate_type"
    id = mapped_column(Integer, primary_key=True)
    code = col(String(32), _l("Certificate code"), nullable=False, unique=True)
    name = col(String(128), _l("Certificate name"), nullable=False)
    level = code_col(CertLevel, _l("Level"), default=CertLevel.JUNIOR)
    issuer = col(String(128), _l("Issuing organisation"), nullable=False)
    category = col(String(64), _l("Professional category"))
    majors_served = col(Text, _l("Majors served"))
    validity_years = col(Integer, _l("Validity (years)"), default=3, nullable=False)
    # E4: certificate numbers, a format of {code}, {year} and {seq} (the serial within code and year)
    number_scheme = col(String(64), _l("Certificate number scheme"), default="{code}{year}{seq:05d}",
                        nullable=False, server_default="{code}{year}{seq:05d}")
    enabled = col(Boolean, _l("Enabled"), default=True, nullable=False)

    def __repr__(self):
        return self.name


class ExamPlan(TimestampMixin, Model):
    """An exam with its registration window, fee and rules (B1, B2, B4)."""
    __tablename__ = "exam_plan"
    id = mapped_column(Integer, primary_key=True)
    name = col(String(128), _l("Exam name"), nullable=False)
    category = code_col(ExamCategory, _l("Exam category"), default=ExamCategory.VOCATIONAL)
    level = code_col(CertLevel, _l("Level"), default=CertLevel.JUNIOR)
    certificate_type_id = fk("certificate_type.id", _l("Certificate"))
    certificate_type = relationship("CertificateType", info={"label": _l("Certificate")})
    exam_start = col(DateTime, _l("Exam start"), nullable=False)
    exam_end = col(DateTime, _l("Exam end"), nullable=False)
    location = col(String(256), _l("Exam location"))
    fee = col(Numeric(10, 2), _l("Fee (yuan)"), default=Decimal("0"), nullable=False)
    reg_start = col(DateTime, _l("Registration opens"), nullable=False, index=True)
    reg_end = col(DateTime, _l("Registration closes"), nullable=False, index=True)
    eligibility = col(Text, _l("Eligibility"))
    notice = col(Text, _l("Registration notice"))
    pledge = col(Text, _l("Integrity pledge"))
    required_sections = col(JSON, _l("Required material sections"), default=list)
    photo_rules = col(JSON, _l("Photo rules"), default=dict)
    categories_offered = col(JSON, _l("Registration categories offered"), default=list)
    refundable = col(Boolean, _l("Refundable"), default=False, nullable=False)
    refund_policy = col(Text, _l("Refund policy"))
    recheck_allowed = col(Boolean, _l("Score re-check allowed"), default=False, nullable=False)
    # E1: passing needs the weighted total at least this (none: no total rule) and every subject at
    # least its own pass mark (Subject.pass_score)
    pass_total = col(Numeric(6, 2), _l("Pass mark of the weighted total"))
    # E1/E2: before this moment nobody but the Association sees the scores (none: not published)
    results_published_at = col(DateTime, _l("Score publication time"))
    # E3: re-checks may be filed from publication until this moment
    recheck_until = col(DateTime, _l("Re-check window closes"))
    review_workdays = col(Integer, _l("Review deadline (working days)"), default=5, nullable=False)
    reviewer = code_col(Reviewer, _l("Reviewed by"), default=Reviewer.ASSOCIATION)
    published = col(Boolean, _l("Published"), default=True, nullable=False)
    subjects = relationship("Subject", back_populates="exam_plan", cascade="all, delete-orphan",
                            order_by="Subject.id", info={"label": _l("Subjects")})
    __table_args__ = (CheckConstraint("reg_start < reg_end", name="ck_exam_plan_window"),)

    def status_at(self, moment=None):
        """B1: status badge from the window; one rule, used everywhere."""
        moment = moment or datetime.datetime.now()
        if moment < self.reg_start:
            return ExamStatus.NOT_STARTED
        if moment <= self.reg_end:
            return ExamStatus.OPEN
        if moment <= self.exam_end:
            return ExamStatus.CLOSED
        return ExamStatus.FINISHED

    @property
    def status(self):
        return self.status_at().value

    @classmethod
    def status_is(cls, status, moment=None):
        """The rule of ``status_at`` as an SQL condition (the exam list filters and pages in the database)."""
        moment = moment or datetime.datetime.now()
        return {ExamStatus.NOT_STARTED.value: cls.reg_start > moment,
                ExamStatus.OPEN.value: (cls.reg_start <= moment) & (cls.reg_end >= moment),
                ExamStatus.CLOSED.value: (cls.reg_end < moment) & (cls.exam_end >= moment),
                ExamStatus.FINISHED.value: cls.exam_end < moment}[status]

    def __repr__(self):
        return self.name


class Subject(Model):
    """A subject of an exam with its weight (e.g. 理论 50% + 实操 50%)."""
    __tablename__ = "subject"
    __scope__ = None  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    exam_plan_id = fk("exam_plan.id", _l("Exam"), nullable=False, ondelete="CASCADE")
    exam_plan = relationship("ExamPlan", back_populates="subjects", info={"label": _l("Exam")})
    name = col(String(64), _l("Subject name"), nullable=False)
    weight = col(Integer, _l("Weight (%)"), nullable=False)
    full_marks = col(Integer, _l("Full marks"), default=100, nullable=False)
    pass_score = col(Integer, _l("Pass mark"), default=60, nullable=False)
    __table_args__ = (
        CheckConstraint("weight > 0 AND weight <= 100", name="ck_subject_weight"),
        UniqueConstraint("exam_plan_id", "name", name="uq_subject_plan_name"),
    )

    def __repr__(self):
        return self.name


class Site(TimestampMixin, Model):
    """D3: assessment site of an institution, reviewed by the association."""
    __tablename__ = "site"
    __staff_fields__ = ("status",)  # decided by the association only
    id = mapped_column(Integer, primary_key=True)
    code = col(String(32), _l("Site code"), nullable=False, unique=True)
    name = col(String(128), _l("Site name"), nullable=False)
    institution_id = fk("institution.id", _l("Institution"), nullable=False)
    institution = relationship("Institution", info={"label": _l("Institution")})
    certificate_type_id = fk("certificate_type.id", _l("Certificate"))
    certificate_type = relationship("CertificateType", info={"label": _l("Certificate")})
    region_code = fk("region.code", type_=String(12), label=_l("Region"))
    region = relationship("Region", info={"label": _l("Region")})
    address = col(String(256), _l("Address"))
    status = code_col(ReviewStatus, _l("Status"), default=ReviewStatus.NOT_SUBMITTED)

    def __repr__(self):
        return self.name


class ExamSite(Model):
    """B11: a site offered by an exam plan with its quota of seats."""
    __tablename__ = "exam_site"
    __staff_fields__ = ("seats_taken",)  # decided by the association only
    __repr_loads__ = ("exam_plan", "site")  # what its text reads: joined with it in lists (views.base)
    __scope__ = {"Institution": "site.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    exam_plan_id = fk("exam_plan.id", _l("Exam"), nullable=False, ondelete="CASCADE")
    exam_plan = relationship("ExamPlan", info={"label": _l("Exam")})
    site_id = fk("site.id", _l("Site"), nullable=False)
    site = relationship("Site", info={"label": _l("Site")})
    quota = col(Integer, _l("Quota"), nullable=False)
    seats_taken = col(Integer, _l("Seats taken"), default=0, nullable=False)
    __table_args__ = (
        UniqueConstraint("exam_plan_id", "site_id", name="uq_exam_site"),
        CheckConstraint("seats_taken >= 0 AND seats_taken <= quota", name="ck_exam_site_quota"),
    )


    def __repr__(self):
        return f"{self.exam_plan} / {self.site}"


class Room(TimestampMixin, Model):
    """D8: exam room (the real classroom)."""
    __tablename__ = "room"
    __staff_fields__ = ("status",)  # decided by the association only
    id = mapped_column(Integer, primary_key=True)
    institution_id = fk("institution.id", _l("Institution"), nullable=False)
    institution = relationship("Institution", info={"label": _l("Institution")})
    site_id = fk("site.id", _l("Site"))
    site = relationship("Site", info={"label": _l("Site")})
    name = col(String(64), _l("Room name"), nullable=False)
    room_type = col(String(32), _l("Room type"))
    capacity = col(Integer, _l("Capacity"), nullable=False)
    status = code_col(RoomStatus, _l("Status"), default=RoomStatus.UNSCHEDULED)
    __table_args__ = (
        CheckConstraint("capacity > 0", name="ck_room_capacity"),
        UniqueConstraint("institution_id", "name", name="uq_room_institution_name"),
    )

    def __repr__(self):
        return self.name


class Invigilator(TimestampMixin, Model):
    """D9: invigilators of an institution, and patrol staff (巡考员) of the
    association, who have no institution."""
    __tablename__ = "invigilator"
    __staff_fields__ = ("duty",)  # patrol staff are named by the association only
    id = mapped_column(Integer, primary_key=True)
    institution_id = fk("institution.id", _l("Institution"))
    institution = relationship("Institution", info={"label": _l("Institution")})
    staff_no = col(String(32), _l("Staff number"), nullable=False)
    name = col(String(40), _l("Full name"), nullable=False)
    phone = col(String(20), _l("Mobile phone"))
    region_code = fk("region.code", type_=String(12), label=_l("Region"))
    region = relationship("Region", info={"label": _l("Region")})
    duty = code_col(InvigilatorDuty, _l("Duty"), default=InvigilatorDuty.INVIGILATE,
                    server_default=InvigilatorDuty.INVIGILATE.value)
    __table_args__ = (UniqueConstraint("institution_id", "staff_no", name="uq_invigilator_staff_no"),)

    def __repr__(self):
        return self.name


class ExamSession(Model):
    """D10: a sitting of one subject at a time."""
    __tablename__ = "exam_session"
    __scope__ = None  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    exam_plan_id = fk("exam_plan.id", _l("Exam"), nullable=False, ondelete="CASCADE")
    exam_plan = relationship("ExamPlan", info={"label": _l("Exam")})
    subject_id = fk("subject.id", _l("Subject"))
    subject = relationship("Subject", info={"label": _l("Subject")})
    name = col(String(64), _l("Session name"), nullable=False)
    starts_at = col(DateTime, _l("Starts at"), nullable=False)
    ends_at = col(DateTime, _l("Ends at"), nullable=False)

    def __repr__(self):
        return self.name


class SeatAssignment(Model):
    """D10: one candidate in one session, room and seat, with the ticket number."""
    __tablename__ = "seat_assignment"
    __scope__ = {"Institution": "room.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    registration_id = fk("registration.id", _l("Registration"), nullable=False, ondelete="CASCADE")
    registration = relationship("Registration", info={"label": _l("Registration")})
    session_id = fk("exam_session.id", _l("Session"), nullable=False)
    session = relationship("ExamSession", info={"label": _l("Session")})
    room_id = fk("room.id", _l("Room"), nullable=False)
    room = relationship("Room", info={"label": _l("Room")})
    seat_no = col(Integer, _l("Seat number"), nullable=False)
    ticket_no = col(String(32), _l("Admission ticket number"), nullable=False, unique=True)
    published = col(Boolean, _l("Published"), default=False, nullable=False)
    __table_args__ = (
        UniqueConstraint("session_id", "room_id", "seat_no", name="uq_seat"),
        UniqueConstraint("registration_id", "session_id", name="uq_seat_registration_session"),
    )


class InvigilatorAssignment(Model):
    """D10: invigilators and patrol staff per session and room."""
    __tablename__ = "invigilator_assignment"
    __scope__ = {"Institution": "invigilator.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    session_id = fk("exam_session.id", _l("Session"), nullable=False)
    session = relationship("ExamSession", info={"label": _l("Session")})
    room_id = fk("room.id", _l("Room"))
    room = relationship("Room", info={"label": _l("Room")})
    invigilator_id = fk("invigilator.id", _l("Invigilator"), nullable=False)
    invigilator = relationship("Invigilator", info={"label": _l("Invigilator")})
    duty = code_col(InvigilatorDuty, _l("Duty"), default=InvigilatorDuty.INVIGILATE)
    __table_args__ = (UniqueConstraint("session_id", "invigilator_id", name="uq_invigilator_session"),)


class PilotApplication(TimestampMixin, Model):
    """D1: pilot certificate application by an institution per year and batch."""
    __tablename__ = "pilot_application"
    __staff_fields__ = ("status", "approved_count")  # decided by the association only
    id = mapped_column(Integer, primary_key=True)
    institution_id = fk("institution.id", _l("Institution"), nullable=False)
    institution = relationship("Institution", info={"label": _l("Institution")})
    certificate_type_id = fk("certificate_type.id", _l("Certificate"), nullable=False)
    certificate_type = relationship("CertificateType", info={"label": _l("Certificate")})
    year = col(Integer, _l("Year"), nullable=False)
    batch = col(Integer, _l("Batch"), nullable=False, default=1)
    requested_count = col(Integer, _l("Requested training count"), nullable=False)
    approved_count = col(Integer, _l("Approved training count"))
    status = code_col(ReviewStatus, _l("Status"), default=ReviewStatus.NOT_SUBMITTED)
    __table_args__ = (
        UniqueConstraint("institution_id", "certificate_type_id", "year", "batch", name="uq_pilot_application"),
    )

    @property
    def used_quota(self):
        """D1: registrations through the institution for exams of the certificate in the year."""
        from app.services.institution_ops import used_quota

        return used_quota([self])[self.id]


class WeeklyReport(TimestampMixin, Model):
    """D14: periodic report from an institution, reviewed by the association."""
    __tablename__ = "weekly_report"
    __staff_fields__ = ("status",)  # decided by the association only
    id = mapped_column(Integer, primary_key=True)
    institution_id = fk("institution.id", _l("Institution"), nullable=False)
    institution = relationship("Institution", info={"label": _l("Institution")})
    week_start = col(Date, _l("Week starting"), nullable=False)
    registrations = col(Integer, _l("Registrations"), default=0, nullable=False)
    training_delivered = col(Text, _l("Training delivered"))
    issues = col(Text, _l("Issues"))
    status = code_col(ReviewStatus, _l("Status"), default=ReviewStatus.NOT_SUBMITTED)
    __table_args__ = (UniqueConstraint("institution_id", "week_start", name="uq_weekly_report"),)
