"""Candidate accounts (SPEC A1–A5): register by phone, complete the profile,
find an account by phone / e-mail / ID number, change and reset passwords.

Every refusal is an AccountError naming the field, with a message for the
person; nothing is written when one is raised.
"""
import re

import phonenumbers
from flask import current_app
from flask_babel import gettext as _

from app import crypto
from app.extensions import db
from app.identity import IdNumberError, parse_resident_id, password_complexity
from app.roles import CANDIDATE
from models import Person, PlatformUser
from models.enums import CandidateSource, IdType, VerifyState

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
    return db.session.query(PlatformUser).filter_by(phone=phone).first() is not None or \
        db.session.query(Person).filter_by(phone=phone).first() is not None


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
    return db.session.query(Person).filter_by(user_id=user.id).first() if user else None


def profile_complete(user):
    return person_of(user) is not None


def complete_profile(user, name, gender, id_type, id_number, email):
    """A2: the person behind the account.  Resident IDs give birth date and gender."""
    if person_of(user) is not None:
        raise AccountError("name", _("Your profile is already complete."))
    name = (name or "").strip()
    if not NAME.fullmatch(name):
        raise AccountError("name", _("A name has at most 20 characters, without spaces, digits or symbols."))
    if id_type not in {t.value for t in IdType}:
        raise AccountError("id_type", _("Please choose an ID type."))
    birth = None
    if id_type == IdType.RESIDENT.value:
        try:
            id_number, birth, gender = parse_resident_id(id_number)
        except IdNumberError as exc:
            raise AccountError("id_number", str(exc)) from None
    else:
        id_number = crypto.normalise_id_number(id_number)
        if not re.fullmatch(r"[A-Z0-9]{5,20}", id_number):
            raise AccountError("id_number", _("The document number has 5 to 20 letters and digits."))
        if gender not in ("male", "female"):
            raise AccountError("gender", _("Please choose a gender."))
    if db.session.query(Person).filter_by(id_number_hash=crypto.blind_index(id_number)).first():
        raise AccountError("id_number", _("This ID number is already registered."))
    email = (email or "").strip().lower()
    if not EMAIL.fullmatch(email):
        raise AccountError("email", _("Please enter a valid e-mail address."))
    if db.session.query(Person).filter_by(email=email).first() or \
            db.session.query(PlatformUser).filter(PlatformUser.email == email, PlatformUser.id != user.id).first():
        raise AccountError("email", _("This e-mail address is already registered."))
    person = Person(user_id=user.id, name=name, gender=gender, id_type=id_type, birth_date=birth, phone=user.phone,
                    email=email, source=CandidateSource.SELF.value, verify_state=VerifyState.NO_PHOTO.value)
    person.set_id_number(id_number)
    user.first_name, user.last_name, user.email = name, "", email
    db.session.add(person)
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
