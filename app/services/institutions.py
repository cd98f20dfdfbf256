"""Institution accounts (SPEC A10): an institution registers itself; its
first user waits, inactive, until the association approves the matter."""
import re

from flask import current_app
from flask_babel import gettext as _
from stdnum.cn import uscc

from app import workflow
from app.extensions import db
from app.roles import INSTITUTION
from app.services.accounts import AccountError, check_password, normalise_phone, phone_taken
from models import Institution, PlatformUser
from models.enums import ReviewStatus


def register_institution(name, credit_code, contact_name, phone, email, password, password2):
    """Create the institution (under review), its first user (inactive) and the matter."""
    name = (name or "").strip()
    if not 4 <= len(name) <= 128:
        raise AccountError("name", _("Please give the institution's full registered name."))
    if db.session.query(Institution).filter_by(name=name).first():
        raise AccountError("name", _("An institution of this name is already registered."))
    credit_code = (credit_code or "").strip().upper()
    if not uscc.is_valid(credit_code):
        raise AccountError("uscc", _("The unified social credit code is not valid (18 characters with a check digit)."))
    if db.session.query(Institution).filter_by(uscc=credit_code).first():
        raise AccountError("uscc", _("An institution with this credit code is already registered."))
    contact_name = (contact_name or "").strip()
    if not 2 <= len(contact_name) <= 20:
        raise AccountError("contact_name", _("Please give the contact person's name."))
    phone = normalise_phone(phone)
    if phone_taken(phone):
        raise AccountError("phone", _("This phone number is already registered."))
    email = (email or "").strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", email) or \
            db.session.query(PlatformUser).filter_by(email=email).first():
        raise AccountError("email", _("Please enter a valid e-mail address that is not registered yet."))
    check_password(password, password2)
    institution = Institution(name=name, uscc=credit_code, contact_name=contact_name, contact_phone=phone,
                              status=ReviewStatus.REVIEWING.value)
    db.session.add(institution)
    db.session.flush()
    sm = current_app.appbuilder.sm
    user = sm.add_user(username=phone, first_name=contact_name, last_name="", email=email,
                       role=sm.find_role(INSTITUTION), password=password)
    user.phone, user.institution_id, user.active = phone, institution.id, False
    db.session.commit()
    matter = workflow.create_matter("institution_registration", user, _("Institution account: %(name)s", name=name),
                                    institution_id=institution.id, obj=institution)
    workflow.apply(matter.id, "submit", user)
    return institution, matter


def decide(institution_id, status, activate):
    """The association's decision: the institution's status and whether its users may log in."""
    institution = db.session.get(Institution, institution_id)
    institution.status = status
    for user in db.session.query(PlatformUser).filter_by(institution_id=institution_id):
        user.active = activate
