"""Real-name verification (SPEC A9) through a pluggable verifier.

REALNAME_VERIFIER names a class with ``check(person) -> (ok, reason)``.  The
default checks what the platform itself can: the name is a real name, the ID
number is consistent (check digit and birth date for resident IDs, matching
the stored birth date and gender) and a photo is on file.  A provider's
identity service plugs in the same way.
"""
import importlib

from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.identity import IdNumberError, parse_resident_id
from app.services.accounts import NAME
from models.enums import IdType


class ConsistencyVerifier:
    def check(self, person):
        if not NAME.fullmatch(person.name or ""):
            return False, _("The name on the profile is not a valid name.")
        if person.id_type == IdType.RESIDENT.value:
            try:
                _number, birth, gender = parse_resident_id(person.full_id_number())
            except IdNumberError as exc:
                return False, str(exc)
            if birth != person.birth_date or gender != person.gender:
                return False, _("The date of birth or gender does not match the ID number.")
        if not person.photo_id:
            return False, _("Please upload your photo before the real-name verification.")
        return True, None


def verifier():
    module, _sep, name = current_app.config["REALNAME_VERIFIER"].rpartition(".")
    return getattr(importlib.import_module(module), name)()


def verify(person):
    """Run the configured verifier and record a success on the profile."""
    ok, reason = verifier().check(person)
    if ok and not person.realname_verified:
        person.realname_verified = True
        db.session.commit()
    return ok, reason
