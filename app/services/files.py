"""Uploaded files: stored under UPLOAD_DIR by a random key, opened only
through ``open_for`` which applies the row scope (never a public folder)."""
import hashlib
import os
import secrets

from flask import current_app

from app.extensions import db
from app.roles import ADMIN, ASSOCIATION, EXPERT, FINANCE, INSTITUTION, TEACHER
from app.scoping import role_names
from models import Attachment, Person

FULL_ACCESS_ROLES = {ADMIN, ASSOCIATION}


def _path(storage_key):
    return os.path.join(current_app.config["UPLOAD_DIR"], storage_key[:2], storage_key)


def path_of(attachment):
    """Where a stored file lies, for services that already checked the scope (printables)."""
    return _path(attachment.storage_key)


def store(data, filename, content_type, kind, user=None, person=None, institution_id=None):
    """Write the bytes and record them; the caller commits."""
    key = secrets.token_hex(16)
    path = _path(key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    item = Attachment(kind=kind, filename=os.path.basename(filename)[:255], content_type=content_type,
                      size=len(data), sha256=hashlib.sha256(data).hexdigest(), storage_key=key,
                      person_id=person.id if person else None,
                      institution_id=institution_id if institution_id is not None
                      else (person.institution_id if person else None),
                      uploaded_by_id=user.id if user else None)
    db.session.add(item)
    return item


# kinds Finance handles (vouchers, invoices); ID scans and photos are not theirs
FINANCE_KINDS = {"voucher", "invoice"}


def may_open(attachment, user):
    """Admin and Association open every file, Finance payment documents, an
    institution its own files, a person their own uploads, an expert the documents of the matters
    assigned to them (F3, G5), a teacher the materials of the courses naming them (G2)."""
    if user is None or not user.is_authenticated:
        return False
    names = role_names(user)
    if names & FULL_ACCESS_ROLES:
        return True
    if FINANCE in names and attachment.kind in FINANCE_KINDS:
        return True
    if INSTITUTION in role_names(user) and user.institution_id is not None \
            and attachment.institution_id == user.institution_id:
        return True
    if attachment.uploaded_by_id == user.id:
        return True
    if EXPERT in names and (_of_assigned_matter(attachment, user) or _of_course(attachment, user, EXPERT)):
        return True
    if TEACHER in names and _of_course(attachment, user, TEACHER):
        return True
    if attachment.person_id is not None:
        person = db.session.get(Person, attachment.person_id)
        return person is not None and person.user_id == user.id
    return False


def _of_assigned_matter(attachment, user):
    """F3: the document of an experience row of a matter assigned to this expert."""
    from sqlalchemy import select

    from models import Matter
    from models.personnel import ExperienceEntry

    return db.session.scalar(select(ExperienceEntry.id).join(Matter, Matter.id == ExperienceEntry.matter_id)
                             .where(ExperienceEntry.attachment_id == attachment.id,
                                    Matter.assignee_id == user.id).limit(1)) is not None


def _of_course(attachment, user, role):
    """G2, G5: a course's material or video — for the expert assigned to a matter about that course (its
    online review, its re-review), or for a teacher named on it."""
    from sqlalchemy import or_, select

    from models import Course, CourseTeacher, Matter

    course = db.session.scalar(select(Course).where(or_(Course.material_id == attachment.id,
                                                        Course.video_id == attachment.id)).limit(1))
    if course is None:
        return False
    if role == EXPERT:
        return db.session.scalar(select(Matter.id).where(
            Matter.object_type == "Course", Matter.object_id == course.id, Matter.assignee_id == user.id)
            .limit(1)) is not None
    return db.session.scalar(select(CourseTeacher.id).join(Person, Person.id == CourseTeacher.person_id).where(
        CourseTeacher.course_id == course.id, Person.user_id == user.id).limit(1)) is not None


def open_for(attachment_id, user):
    """(attachment, path) if ``user`` may open it, else None."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not may_open(attachment, user):
        return None
    return attachment, _path(attachment.storage_key)
