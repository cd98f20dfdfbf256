"""B11: site quotas.  A registration holds one of its site's seats from
submission on (README: "Seats"); withdrawal, refusal, giving up, deletion,
a refund and moving to another site give it back.

Holding is one conditional UPDATE (``seats_taken < quota``): on PostgreSQL
the row lock taken by the update makes concurrent submitters queue and
re-check the condition, so a site is never oversold; SQLite serialises
writers.  ``seats_taken`` is never read-then-written in Python.
"""
from flask_babel import gettext as _
from sqlalchemy import update

from app.extensions import db
from app.workflow import WorkflowError
from models import ExamSite


class NoSeatLeft(WorkflowError):
    """The site is full; ``str()`` is a message for the candidate (a refused workflow step)."""


def hold(registration):
    """Take a seat at the registration's site (no-op when it holds one)."""
    if registration.seat_held or registration.exam_site_id is None:
        return
    result = db.session.execute(
        update(ExamSite).where(ExamSite.id == registration.exam_site_id, ExamSite.seats_taken < ExamSite.quota)
        .values(seats_taken=ExamSite.seats_taken + 1).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise NoSeatLeft(_("The site you chose has no seats left; please choose another site."))
    registration.seat_held = True


def _give_back(exam_site_id):
    db.session.execute(
        update(ExamSite).where(ExamSite.id == exam_site_id, ExamSite.seats_taken > 0)
        .values(seats_taken=ExamSite.seats_taken - 1).execution_options(synchronize_session=False))


def release(registration):
    """Give the seat back (no-op when it holds none)."""
    if not registration.seat_held or registration.exam_site_id is None:
        return
    _give_back(registration.exam_site_id)
    registration.seat_held = False


def move(registration, new_exam_site_id):
    """B14: take a seat at the new site first, then give the old one back."""
    if new_exam_site_id == registration.exam_site_id:
        return
    held = registration.seat_held
    old_site = registration.exam_site_id
    if held:
        registration.seat_held = False
        registration.exam_site_id = new_exam_site_id
        try:
            hold(registration)
        except NoSeatLeft:
            registration.exam_site_id, registration.seat_held = old_site, True
            raise
        _give_back(old_site)
    else:
        registration.exam_site_id = new_exam_site_id


def remaining(exam_site):
    return max(exam_site.quota - exam_site.seats_taken, 0)
