"""Matters (事项), their history, the matter-type catalogue and the
working-day calendar (SPEC core concepts, F1, F8, I3)."""
import datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import mapped_column, relationship

from models.base import Model, TimestampMixin, _l, code_col, col, fk, now
from models.enums import MatterCategory, MatterStatus


class MatterType(Model):
    """Catalogue entry; the workflow itself is declared in app/matters/."""
    __tablename__ = "matter_type"
    code = col(String(40), _l("Matter type code"), primary_key=True)
    name = col(String(128), _l("Matter name"), nullable=False)
    category = code_col(MatterCategory, _l("Category"))
    deadline_workdays = col(Integer, _l("Completion deadline (working days)"))
    online_entry = col(String(255), _l("Online application entry"))
    enabled = col(Boolean, _l("Enabled"), default=True, nullable=False)

    def __repr__(self):
        return str(self.name)


class Matter(TimestampMixin, Model):
    __tablename__ = "matter"
    # who reaches which rows (app.scoping); F4: a transfer's second institution (the one joined) too
    # G1, G3: a Teacher the matters they filed
    __scope__ = {"Institution": ("institution_id", "second_institution_id"), "Expert": "assignee_id",
                 "Teacher": "applicant_id"}
    id = mapped_column(Integer, primary_key=True)
    business_no = col(String(14), _l("Business number"), nullable=False, unique=True)
    type_code = fk("matter_type.code", type_=String(40), label=_l("Matter type"), nullable=False)
    matter_type = relationship("MatterType", info={"label": _l("Matter type")})
    title = col(String(255), _l("Title"), nullable=False)
    state = col(String(40), _l("Stage"), nullable=False, index=True)
    status = code_col(MatterStatus, _l("Status"), default=MatterStatus.DRAFT)
    applicant_id = fk("ab_user.id", _l("Applicant"), nullable=False)
    applicant = relationship("PlatformUser", foreign_keys=[applicant_id], info={"label": _l("Applicant")})
    institution_id = fk("institution.id", _l("Institution"))
    institution = relationship("Institution", foreign_keys=[institution_id], info={"label": _l("Institution")})
    second_institution_id = fk("institution.id", _l("Institution joined"))
    second_institution = relationship("Institution", foreign_keys=[second_institution_id],
                                      info={"label": _l("Institution joined")})
    assignee_id = fk("ab_user.id", _l("Assigned to"))
    assignee = relationship("PlatformUser", foreign_keys=[assignee_id], info={"label": _l("Assigned to")})
    # the business object the matter is about (registration, certificate …)
    object_type = col(String(40), _l("Object type"))
    object_id = col(Integer, _l("Object"))
    payload = col(JSON, _l("Content"), default=dict, nullable=False)
    filed_at = col(DateTime, _l("Filed at"))
    due_date = col(Date, _l("Due date"), index=True)
    completed_at = col(DateTime, _l("Completed at"))
    history = relationship("MatterHistory", back_populates="matter", order_by="MatterHistory.id",
                           cascade="all, delete-orphan", info={"label": _l("History")})
    __table_args__ = (Index("ix_matter_status_due", "status", "due_date"),
                      # I2: the statistics and the home's "waiting for me" group the open matters by type and stage
                      Index("ix_matter_status_type_state", "status", "type_code", "state"),
                      Index("ix_matter_created_at", "created_at"))

    @property
    def overdue(self):
        """Open and past its due date (the one rule for the overdue flag)."""
        return (self.status == MatterStatus.IN_PROGRESS.value and self.due_date is not None
                and self.due_date < datetime.date.today())

    def __repr__(self):
        return self.business_no


class MatterHistory(Model):
    __tablename__ = "matter_history"
    # who reaches which rows (app.scoping)
    __scope__ = {"Institution": "matter.institution_id", "Expert": "matter.assignee_id",
                 "Teacher": "matter.applicant_id"}
    id = mapped_column(Integer, primary_key=True)
    matter_id = fk("matter.id", _l("Matter"), nullable=False, ondelete="CASCADE")
    matter = relationship("Matter", back_populates="history", info={"label": _l("Matter")})
    transition = col(String(40), _l("Operation"), nullable=False)
    from_state = col(String(40), _l("From stage"), nullable=False)
    to_state = col(String(40), _l("To stage"), nullable=False)
    actor_id = fk("ab_user.id", _l("Handled by"), nullable=False)
    actor = relationship("PlatformUser", info={"label": _l("Handled by")})
    at = col(DateTime, _l("Time"), default=now, nullable=False)
    opinion = col(Text, _l("Opinion"))
    attachment_id = fk("attachment.id", _l("Attachment"))


class BusinessNumberCounter(Model):
    """One row per hour: the last sequence handed out (atomic upsert)."""
    __tablename__ = "business_number_counter"
    hour_key = col(String(10), _l("Hour"), primary_key=True)
    last_value = col(Integer, _l("Last sequence"), nullable=False)


class SequenceCounter(Model):
    """One row per numbering scheme and period (G2 filing numbers, G4 plan numbers): the last
    sequence handed out (atomic upsert, app/workflow.py next_sequence)."""
    __tablename__ = "sequence_counter"
    key = col(String(64), _l("Numbering key"), primary_key=True)
    last_value = col(Integer, _l("Last sequence"), nullable=False)


class CalendarDay(Model):
    """I3: an administrator's override of the working-day calendar."""
    __tablename__ = "calendar_day"
    day = col(Date, _l("Date"), primary_key=True)
    is_workday = col(Boolean, _l("Working day"), nullable=False)
    note = col(String(128), _l("Note"))
