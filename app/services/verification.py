"""Image captchas and SMS codes (SPEC A1, A4–A6).

Captcha answers are kept server-side (the browser holds a random token);
SMS codes are 6 random digits kept only as an HMAC, valid 2 minutes, single
use, one per phone per 2 minutes, capped per phone and per IP per day, and
locked after 5 wrong tries.  Codes leave through the SMS delivery backend.
"""
import datetime
import hashlib
import hmac
import io
import secrets

from captcha.image import ImageCaptcha
from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.services import notifications
from models import CaptchaChallenge, Delivery, SmsCode
from models.enums import Channel

CAPTCHA_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
PURPOSES = {"register", "login", "reset", "rebind"}


class VerificationError(ValueError):
    """A refused code or request; ``str()`` is a message for the person."""


def _now():
    return datetime.datetime.now()


# --- image captcha --------------------------------------------------------------------
def new_captcha():
    """A new challenge; returns its token (the answer stays in the database)."""
    token = secrets.token_hex(16)
    answer = "".join(secrets.choice(CAPTCHA_ALPHABET) for _ in range(4))
    # old challenges go as new ones come, so page views cannot fill the table
    stale = _now() - datetime.timedelta(seconds=current_app.config["CAPTCHA_TTL_SECONDS"] * 2)
    db.session.query(CaptchaChallenge).filter(CaptchaChallenge.created_at < stale).delete(synchronize_session=False)
    db.session.add(CaptchaChallenge(token=token, answer=answer))
    db.session.commit()
    return token


def captcha_png(token):
    challenge = db.session.get(CaptchaChallenge, token)
    if challenge is None:
        return None
    image = ImageCaptcha(width=160, height=60).generate_image(challenge.answer)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def check_captcha(token, answer):
    """Single use: a checked challenge, right or wrong, cannot be tried again."""
    challenge = db.session.get(CaptchaChallenge, token or "")
    expired = challenge is None or challenge.used_at is not None or (
        _now() - challenge.created_at).total_seconds() > current_app.config["CAPTCHA_TTL_SECONDS"]
    if challenge is not None:
        challenge.used_at = _now()
        db.session.commit()
    if expired:
        raise VerificationError(_("The image code has expired; please use the new one."))
    if (answer or "").strip().upper() != challenge.answer:
        raise VerificationError(_("The image code is wrong."))


# --- SMS codes --------------------------------------------------------------------------
def _hash(phone, code):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{phone}|{code}".encode(), hashlib.sha256).hexdigest()


def send_sms_code(phone, purpose, ip, deliver=True):
    """Create a code and queue its SMS; refuses what the limits do not allow.

    ``deliver=False`` (a login or reset code for a phone with no account) keeps
    a code row that nobody receives, so limits and later answers are the same
    as for a registered phone: nobody learns who is registered."""
    assert purpose in PURPOSES
    config = current_app.config
    now = _now()
    last = db.session.query(SmsCode).filter_by(phone=phone).order_by(SmsCode.created_at.desc()).first()
    if last is not None and (now - last.created_at).total_seconds() < config["SMS_RESEND_SECONDS"]:
        wait = int(config["SMS_RESEND_SECONDS"] - (now - last.created_at).total_seconds()) + 1
        raise VerificationError(_("A code was just sent; please wait %(s)d seconds.", s=wait))
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = db.session.query(SmsCode).filter(SmsCode.created_at >= midnight)
    if today.filter(SmsCode.phone == phone).count() >= config["SMS_DAILY_LIMIT_PER_PHONE"]:
        raise VerificationError(_("This phone has received too many codes today; please try tomorrow."))
    if ip and today.filter(SmsCode.ip == ip).count() >= config["SMS_DAILY_LIMIT_PER_IP"]:
        raise VerificationError(_("Too many codes were requested from this network today."))
    code = f"{secrets.randbelow(10 ** 6):06d}"
    db.session.add(SmsCode(phone=phone, purpose=purpose, code_hash=_hash(phone, code), ip=ip, created_at=now,
                           expires_at=now + datetime.timedelta(seconds=config["SMS_CODE_TTL_SECONDS"])))
    if not deliver:
        db.session.commit()
        return
    delivery = Delivery(channel=Channel.SMS.value, recipient=phone, subject=_("Verification code"),
                        body=_("Your verification code is %(code)s, valid for 2 minutes. "
                               "Do not tell it to anyone.", code=code))
    db.session.add(delivery)
    db.session.commit()
    notifications.dispatch([delivery])


def check_sms_code(phone, purpose, code):
    """Consume the phone's current code for ``purpose`` or raise VerificationError."""
    now = _now()
    current = (db.session.query(SmsCode).filter_by(phone=phone, purpose=purpose, used_at=None)
               .order_by(SmsCode.created_at.desc()).first())
    if current is None or current.expires_at < now:
        raise VerificationError(_("The SMS code has expired or was not requested; please get a new one."))
    if current.attempts >= current_app.config["SMS_MAX_ATTEMPTS"]:
        raise VerificationError(_("Too many wrong codes; please get a new one."))
    if not hmac.compare_digest(current.code_hash, _hash(phone, (code or "").strip())):
        current.attempts += 1
        db.session.commit()
        left = current_app.config["SMS_MAX_ATTEMPTS"] - current.attempts
        if left <= 0:
            raise VerificationError(_("Too many wrong codes; please get a new one."))
        raise VerificationError(_("The SMS code is wrong; %(n)d tries left.", n=left))
    current.used_at = now
    db.session.commit()
