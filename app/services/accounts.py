"""Candidate accounts (SPEC A1–A5): register by phone, complete the profile,
find an account by phone / e-mail / ID number, change and reset passwords.

Every refusal is an AccountError naming the field, with a message for the
person; nothing is written when one is raised.
"""
import datetime
import re
import secrets

import phonenumbers
from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import inspect as sa_inspect

from app import crypto
from app.extensions import db
from app.identity import IdNumberError, parse_id_number, password_complexity
from app.roles import CANDIDATE
from app.services import files, notifications, photos
from models import Delivery, Major, Person, PlatformUser, UploadToken
from models.enums import CandidateSource, Channel, IdType, VerifyState

NAME = re.compile(r"^[\u3400-\u9fff\U00020000-\U0002fa1f·A-Za-z]{1,20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
PLACEHOLDER_EMAIL = "{phone}@phone.invalid"  # FAB wants an e-mail; the real one comes with the profile


class AccountError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def normalise_phone(value):
    """A mainland mobile number as 11 digits, or AccountError."""
    raw = re.sub(r"[\s-]", "", value or "")
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed) or \
            phonenumbers.number_type(parsed) != phonenumbers.PhoneNumberType.MOBILE:
        raise AccountError("phone", _("Please enter a valid mainland mobile phone number."))
    return phonenumbers.national_significant_number(parsed)


def check_password(password, confirm):
    try:
        password_complexity(password)
    except Exception as exc:  # FAB's complexity error carries our message
        raise AccountError("password", str(exc)) from None
    if password != confirm:
        raise AccountError("password2", _("The two passwords differ."))


def phone_taken(phone):
    """Held by an account or by someone's profile; a record an institution imported
    without an account does not count: its owner registers with it (``_claim``)."""
    return db.session.query(PlatformUser).filter_by(phone=phone).first() is not None or \
        db.session.query(Person).filter(Person.phone == phone, Person.user_id.is_not(None)).first() is not None


def register_candidate(phone, password):
    """A candidate account; its profile is completed next (A2)."""
    sm = current_app.appbuilder.sm
    if phone_taken(phone):
        raise AccountError("phone", _("This phone number is already registered."))
    user = sm.add_user(username=phone, first_name=phone, last_name="", email=PLACEHOLDER_EMAIL.format(phone=phone),
                       role=sm.find_role(CANDIDATE), password=password)
    if not user:
        db.session.rollback()
        raise AccountError("phone", _("This phone number is already registered."))
    user.phone = phone
    db.session.commit()
    return user


def person_of(user):
    """The person behind an account.  Found once a request (a portal page asks at each step: the profile
    check, the ownership check); a None is not kept, since the profile may be completed in the request."""
    if not user:
        return None
    kept = g.get("person_of") if has_request_context() else None
    if kept is not None and sa_inspect(kept).persistent and kept.user_id == user.id:
        return kept
    person = db.session.query(Person).filter_by(user_id=user.id).first()
    if person is not None and has_request_context():
        g.person_of = person
    return person


def _checked_name(name):
    name = (name or "").strip()
    if not NAME.fullmatch(name):
        raise AccountError("name", _("A name has at most 20 characters, without spaces, digits or symbols."))
    return name


def _checked_email(email, user_id, person_id=None):
    """A well-formed address no other person or account holds (A3)."""
    email = (email or "").strip().lower()
    if not EMAIL.fullmatch(email):
        raise AccountError("email", _("Please enter a valid e-mail address."))
    others = db.session.query(Person).filter(Person.email == email)
    if person_id is not None:
        others = others.filter(Person.id != person_id)
    if others.first() or \
            db.session.query(PlatformUser).filter(PlatformUser.email == email, PlatformUser.id != user_id).first():
        raise AccountError("email", _("This e-mail address is already registered."))
    return email


def profile_complete(user):
    return person_of(user) is not None


def complete_profile(user, name, gender, id_type, id_number, email):
    """A2: the person behind the account.  Resident IDs give birth date and gender."""
    if person_of(user) is not None:
        raise AccountError("name", _("Your profile is already complete."))
    name = _checked_name(name)
    if id_type not in {t.value for t in IdType}:
        raise AccountError("id_type", _("Please choose an ID type."))
    try:  # one rule per ID type, shared with the institutions' imports (app.identity)
        id_number, birth, from_number = parse_id_number(id_type, id_number)
    except IdNumberError as exc:
        raise AccountError("id_number", str(exc)) from None
    gender = from_number or gender
    if gender not in ("male", "female"):
        raise AccountError("gender", _("Please choose a gender."))
    existing = db.session.query(Person).filter_by(id_number_hash=crypto.blind_index(id_number)).first()
    if existing is not None:
        return _claim(user, existing, name, email)
    if db.session.query(Person).filter_by(phone=user.phone).first() is not None:
        raise AccountError("id_number", _("Your institution has entered a candidate record with your mobile number "
                                          "and another ID number. Please check your ID number, or ask your "
                                          "institution to correct the record."))
    email = _checked_email(email, user.id)
    person = Person(user_id=user.id, name=name, gender=gender, id_type=id_type, birth_date=birth, phone=user.phone,
                    email=email, source=CandidateSource.SELF.value, verify_state=VerifyState.NO_PHOTO.value)
    person.set_id_number(id_number)
    user.first_name, user.last_name, user.email = name, "", email
    db.session.add(person)
    db.session.commit()
    return person


def _claim(user, person, name, email):
    """A candidate an institution imported (D4: a profile without an account) takes it
    over on registering, when the name matches and the mobile number the institution
    gave is the one this account proved by SMS; the institution vouches for that
    number, so nobody who merely knows a name and an ID number can take the profile."""
    if person.user_id is not None:
        raise AccountError("id_number", _("This ID number is already registered."))
    if person.name != name:
        raise AccountError("name", _("The name does not match the candidate record of this ID number."))
    if not person.phone or person.phone != user.phone:
        raise AccountError("id_number", _(
            "Your institution has already entered a candidate record with this ID number, with another mobile "
            "number. Please ask your institution to correct the mobile number, then complete your profile again."))
    person.email = _checked_email(email, user.id, person.id)
    person.user_id = user.id
    user.first_name, user.last_name, user.email = name, "", person.email
    db.session.commit()
    return person


def find_account(identifier):
    """A4: an account by phone, e-mail or ID number (never says which failed)."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    user = db.session.query(PlatformUser).filter(
        (PlatformUser.phone == identifier) | (PlatformUser.email == identifier.lower())).first()
    if user is None:
        person = db.session.query(Person).filter_by(id_number_hash=crypto.blind_index(identifier)).first()
        user = db.session.get(PlatformUser, person.user_id) if person is not None and person.user_id else None
    return user


def set_password(user, password):
    """A5: store the new password and end every other session (the security manager's rule)."""
    current_app.appbuilder.sm.reset_password(user.id, password)


# --- my profile (A6) --------------------------------------------------------------------
ACTIVATION_SALT = "email-activation"
ACTIVATION_MAX_AGE = 24 * 3600


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=ACTIVATION_SALT)


def send_activation(person, base_url):
    """E-mail a signed link that proves the address is the person's (expires in a day)."""
    token = _serializer().dumps({"person": person.id, "email": person.email})
    link = f"{base_url.rstrip('/')}/portal/email/activate/{token}"
    item = Delivery(channel=Channel.EMAIL.value, recipient=person.email, subject=_("Activate your e-mail address"),
                    body=_("Open this link within 24 hours to activate your e-mail address: %(link)s", link=link))
    db.session.add(item)
    db.session.commit()
    notifications.dispatch([item])


def activate_email(token):
    """The person whose address the token proves, or AccountError."""
    try:
        data = _serializer().loads(token, max_age=ACTIVATION_MAX_AGE)
    except SignatureExpired:
        raise AccountError("token", _("The activation link has expired; please ask for a new one.")) from None
    except BadSignature:
        raise AccountError("token", _("The activation link is not valid.")) from None
    person = db.session.get(Person, data.get("person"))
    if person is None or person.email != data.get("email"):
        raise AccountError("token", _("The activation link is not valid."))
    person.email_verified = True
    db.session.commit()
    return person


def update_profile(person, name, email, gender=None, major=None):
    """A6: everything but the ID type, ID number and birth date; a new e-mail needs activating."""
    name = _checked_name(name)
    email = _checked_email(email, person.user_id, person.id)
    changed_email = email != person.email
    person.name = name
    set_major(person, major)
    if person.id_type != IdType.RESIDENT.value and gender in ("male", "female"):
        person.gender = gender  # a resident ID number fixes the gender
    if changed_email:
        person.email, person.email_verified = email, False
    user = db.session.get(PlatformUser, person.user_id)
    user.first_name, user.last_name, user.email = name, "", email
    db.session.commit()
    return changed_email


def rebind_phone(user, new_phone):
    """A6: the SMS code to the new phone was checked by the caller."""
    if phone_taken(new_phone):
        raise AccountError("phone", _("This phone number is already in use."))
    if user.username == user.phone:
        user.username = new_phone  # the old number must neither log in nor stay taken
    user.phone = new_phone
    person = person_of(user)
    if person is not None:
        person.phone = new_phone
    db.session.commit()


# --- photo (A7) ---------------------------------------------------------------------------
UPLOAD_TOKEN_MINUTES = 10


def store_photo(person, data, rules=None):
    """Check, re-encode and keep the photo; the profile shows it from now on."""
    jpeg = photos.check_and_reencode(data, rules)
    item = files.store(jpeg, "photo.jpg", "image/jpeg", "photo", user=db.session.get(PlatformUser, person.user_id),
                       person=person)
    db.session.flush()
    person.photo_id = item.id
    if person.verify_state == VerifyState.NO_PHOTO.value:
        person.verify_state = VerifyState.PENDING.value
    db.session.commit()
    return item


def new_upload_token(person):
    """A fresh link; the person's earlier unused links stop working."""
    db.session.query(UploadToken).filter_by(person_id=person.id, used_at=None).delete(synchronize_session=False)
    token = secrets.token_urlsafe(32)
    db.session.add(UploadToken(token=token, person_id=person.id, purpose="photo",
                               expires_at=datetime.datetime.now() + datetime.timedelta(minutes=UPLOAD_TOKEN_MINUTES)))
    db.session.commit()
    return token


def upload_token_person(token, user=None):
    """The person a phone upload link belongs to, or AccountError (expired, used, someone else's)."""
    row = db.session.get(UploadToken, token or "")
    if row is None or row.used_at is not None or row.expires_at < datetime.datetime.now():
        raise AccountError("token", _("This upload link has expired; scan the new code on your computer."))
    person = db.session.get(Person, row.person_id)
    if user is not None and user.is_authenticated and person.user_id != user.id:
        raise AccountError("token", _("This upload link belongs to another person."))
    return person, row


# --- majors (A8) --------------------------------------------------------------------------
def major_choices():
    return db.session.query(Major).order_by(Major.code).all()


def set_major(person, text):
    """Picking a catalogue name, new or former, fills the major; anything else is kept as typed."""
    text = (text or "").strip()[:128]
    match = db.session.query(Major).filter((Major.name == text) | (Major.old_name == text)).first() if text else None
    person.major_id, person.major_text = (match.id, None) if match else (None, text or None)
