"""The training matter types in the transition matrix (tests/test_workflow_matrix.py): each area's
helper module declares ``MATRIX = {code or (code, transition): factory(people) -> Matter}`` building a real
object (course, plan, binding) and its draft matter; the teachers who confirm act by their user ids in the
matter's payload (``pending_teachers``)."""
import importlib

from app.matters.training import PENDING

AREAS = ("tests.g_binding_helpers", "tests.g_course_helpers", "tests.g_plan_helpers", "tests.g_review_helpers")


def _matrix():
    found = {}
    for name in AREAS:
        try:
            found.update(importlib.import_module(name).MATRIX)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return found


MATRIX = _matrix()


def factory(code, transition):
    return MATRIX.get((code, transition)) or MATRIX.get(code)


def teacher_for(matter):
    """The first teacher still to confirm (their platform account)."""
    from app.extensions import db
    from models import PlatformUser

    return db.session.get(PlatformUser, (matter.payload or {})[PENDING][0])
