"""Verification of a candidate's information (SPEC D6) through a pluggable photo check.

无照片 → 信息待认证 (a photo is stored) → 认证 / 批量认证 (the check) → 信息准确,
or → 需人工确认 → 人工确认 → 信息准确.

PHOTO_CHECKER names a class with ``check(person, data) -> (ok, reason)``
(``data``: the stored JPEG bytes).  The default finds exactly one face with
OpenCV's bundled Haar frontal-face cascade and checks the background colour
of the border; a public-security photo comparison service plugs in the same way.
"""
import importlib
import io

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image

from app.extensions import db
from app.services import files, jobs, photos
from app.services.photo_import import scope_query
from models import Attachment, Person, PlatformUser
from models.enums import VerifyState

_cascade = None


def _face_cascade():
    global _cascade
    if _cascade is None:
        import cv2

        _cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    return _cascade


class FaceAndBackgroundChecker:
    """One frontal face, and the background of the configured colour; every problem
    found is named (the reviewer sees them all at once)."""

    def check(self, person, data):
        import cv2
        import numpy as np

        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            return False, _("The photo cannot be read.")
        gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
        h, w = gray.shape
        side = max(24, min(w, h) // 5)
        faces = _face_cascade().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
        problems = []
        if len(faces) == 0:
            problems.append(_("No face was found on the photo."))
        elif len(faces) > 1:
            problems.append(_("%(n)d faces were found on the photo; it must show exactly one.", n=len(faces)))
        want = current_app.config.get("PHOTO_CHECK_BACKGROUND", "red")
        if want:
            problems.append(photos.background_problem(Image.open(io.BytesIO(data)), want))
        problems = [p for p in problems if p]
        return not problems, " ".join(problems) or None


def checker_name():
    return current_app.config.get("PHOTO_CHECKER", "app.services.photo_check.FaceAndBackgroundChecker")


def checker(name=None):
    """The configured checker (a job passes the name the requester's configuration chose)."""
    module, _sep, cls = (name or checker_name()).rpartition(".")
    return getattr(importlib.import_module(module), cls)()


class VerifyError(ValueError):
    pass


def _photo_bytes(person):
    attachment = db.session.get(Attachment, person.photo_id) if person.photo_id else None
    if attachment is None:
        return None
    with open(files.path_of(attachment), "rb") as fh:
        return fh.read()


def verify(person, check=None):
    """认证: run the photo check on a person waiting for it; (ok, reason).  The reason of a
    failure is kept in ``verify_note`` for the reviewer, a pass clears it.  The caller commits."""
    if person.verify_state != VerifyState.PENDING.value:
        raise VerifyError(_("%(name)s is not waiting for verification.", name=person.name))
    # the note is a record kept in the platform's language, whoever ran the check
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        data = _photo_bytes(person)
        if data is None:
            ok, reason = False, _("No photo.")
        else:
            try:
                ok, reason = (check or checker()).check(person, data)
            except Exception as exc:  # a failing provider sends the person to a human, not to a 500
                current_app.logger.exception("photo check failed")
                ok, reason = False, _("The photo check failed: %(error)s", error=str(exc)[:200])
            reason = None if ok else str(reason or _("The photo check failed."))
    if data is None:
        person.verify_state = VerifyState.NO_PHOTO.value
    else:
        person.verify_state = VerifyState.ACCURATE.value if ok else VerifyState.MANUAL.value
    person.verify_note = reason[:256] if reason else None
    return ok, reason


def confirm(person):
    """人工确认: a person whose check failed is confirmed by hand.  The caller commits."""
    if person.verify_state != VerifyState.MANUAL.value:
        raise VerifyError(_("%(name)s does not need manual confirmation.", name=person.name))
    person.verify_state = VerifyState.ACCURATE.value
    person.verify_note = None


def verify_many(job_id, person_ids, user_id, checker_path=None):
    """批量认证 as a job: each person in the user's scope and waiting is checked and
    committed in turn; the result lists who needs manual confirmation and why."""
    user = db.session.get(PlatformUser, user_id)
    people = scope_query(user).filter(Person.id.in_(person_ids)).order_by(Person.id).all()
    total = len(people)
    jobs.progress(job_id, 0, total)
    check = checker(checker_path)
    accurate, manual, skipped = 0, [], 0
    for n, person in enumerate(people, start=1):
        if person.verify_state != VerifyState.PENDING.value:
            skipped += 1
        else:
            ok, reason = verify(person, check)
            if ok:
                accurate += 1
            else:
                manual.append([person.name, person.id_number_masked, str(reason or "")])
            db.session.commit()
        if n % 10 == 0 or n == total:
            jobs.progress(job_id, n)
    message = _("Verified: %(ok)d accurate, %(manual)d need manual confirmation, %(skipped)d not waiting.",
                ok=accurate, manual=len(manual), skipped=skipped)
    jobs.finish(job_id, {"message": message, "accurate": accurate, "manual": manual, "skipped": skipped})
