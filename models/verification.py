"""Image captchas and SMS codes (SPEC A1, A4, A5, A6)."""
from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import mapped_column

from models.base import Model, _l, col, fk, now


class CaptchaChallenge(Model):
    """An image captcha; the answer stays on the server, the token in the session."""
    __tablename__ = "captcha_challenge"
    token = col(String(32), _l("Token"), primary_key=True)
    answer = col(String(8), _l("Answer"), nullable=False)
    created_at = col(DateTime, _l("Created at"), default=now, nullable=False, index=True)
    used_at = col(DateTime, _l("Used at"))


class SmsCode(Model):
    """A 6-digit SMS code, stored only as a keyed hash."""
    __tablename__ = "sms_code"
    id = mapped_column(Integer, primary_key=True)
    phone = col(String(20), _l("Mobile phone"), nullable=False)
    purpose = col(String(16), _l("Purpose"), nullable=False)
    code_hash = col(String(64), _l("Code (hashed)"), nullable=False)
    ip = col(String(64), _l("IP address"))
    created_at = col(DateTime, _l("Created at"), default=now, nullable=False)
    expires_at = col(DateTime, _l("Expires at"), nullable=False)
    used_at = col(DateTime, _l("Used at"))
    attempts = col(Integer, _l("Wrong attempts"), default=0, nullable=False)
    __table_args__ = (
        Index("ix_sms_code_phone_created", "phone", "created_at"),
        Index("ix_sms_code_ip_created", "ip", "created_at"),
    )


class UploadToken(Model):
    """A7: the short-lived link of "scan to upload" — one person, one upload."""
    __tablename__ = "upload_token"
    token = col(String(64), _l("Token"), primary_key=True)
    person_id = fk("person.id", _l("Person"), nullable=False)
    purpose = col(String(16), _l("Purpose"), nullable=False, default="photo")
    created_at = col(DateTime, _l("Created at"), default=now, nullable=False)
    expires_at = col(DateTime, _l("Expires at"), nullable=False)
    used_at = col(DateTime, _l("Used at"))
