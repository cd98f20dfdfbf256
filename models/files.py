"""Uploaded files.  Never served from a public folder: views.files checks scope."""
from sqlalchemy import Integer, String
from sqlalchemy.orm import mapped_column, relationship

from models.base import Model, TimestampMixin, _l, col, fk


class Attachment(TimestampMixin, Model):
    __tablename__ = "attachment"
    id = mapped_column(Integer, primary_key=True)
    kind = col(String(32), _l("Attachment type"), nullable=False, index=True)
    filename = col(String(255), _l("File name"), nullable=False)
    content_type = col(String(100), _l("Content type"), nullable=False)
    size = col(Integer, _l("Size (bytes)"), nullable=False)
    sha256 = col(String(64), _l("SHA-256"), nullable=False)
    storage_key = col(String(255), _l("Storage key"), nullable=False, unique=True)
    # scope: who may open it (owner person, institution); staff roles see all
    person_id = fk("person.id", _l("Person"))
    person = relationship("Person", foreign_keys=[person_id], info={"label": _l("Person")})
    institution_id = fk("institution.id", _l("Institution"))
    uploaded_by_id = fk("ab_user.id", _l("Uploaded by"))

    def __repr__(self):
        return self.filename
