"""Personnel matters (SPEC F2, F3): the experience rows of an application and the
person's base-information library (个人基础信息库)."""
from sqlalchemy import JSON, Integer, Text
from sqlalchemy.orm import mapped_column, relationship

from models.base import Model, TimestampMixin, _l, code_col, col, fk
from models.enums import Conformity, ExperienceKind


class ExperienceEntry(TimestampMixin, Model):
    """One row of an experience table.  ``matter_id`` None: a row of the person's library, reused
    (copied) into applications; otherwise a row of that application, judged by the expert (F3)."""
    __tablename__ = "experience_entry"
    __scope__ = {"Institution": "person.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    person_id = fk("person.id", _l("Person"), nullable=False, ondelete="CASCADE")
    person = relationship("Person", info={"label": _l("Person")})
    matter_id = fk("matter.id", _l("Matter"), ondelete="CASCADE")
    matter = relationship("Matter", info={"label": _l("Matter")})
    kind = code_col(ExperienceKind, _l("Table"))
    position = col(Integer, _l("Order"), nullable=False, default=0)
    data = col(JSON, _l("Content"), nullable=False, default=dict)
    attachment_id = fk("attachment.id", _l("Document"))
    conformity = code_col(Conformity, _l("Expert judgement"), nullable=True)
    remark = col(Text, _l("Expert remark"))
