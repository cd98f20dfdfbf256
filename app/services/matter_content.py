"""F8: what a matter says, per type — the rows, tables and files its detail pages show (the
portal's 我的事项 and the back office's matter page), and where its applicant edits it.

Each kind's rules module registers its function: ``@content("complaint")`` over
``fn(matter) -> {"rows": [(label, value)], "attachments": [(attachment id, file name)],
"tables": [{"title": …, "headers": [...], "rows": [[...]]}]}`` (every key optional), and
``EDIT[type_code] = endpoint`` (taking ``matter_id``) or ``(endpoint, {url args})`` for the applicant's
edit page of a draft or returned matter."""
from flask import current_app, url_for
from sqlalchemy import select

from app.extensions import db
from models import Attachment

CONTENT = {}
EDIT = {}


def content(type_code):
    def register(fn):
        CONTENT[type_code] = fn
        return fn
    return register


def of(matter):
    """The matter's content, or an empty one for a kind that registers none."""
    fn = CONTENT.get(matter.type_code)
    found = fn(matter) if fn else None
    found = {"rows": [], "attachments": [], "tables": [], **(found or {})}
    if matter.type_code == "course_filing":  # G5: the expert's judgements beside G2's content
        found["tables"] = list(found["tables"]) + course_review_tables(matter)
    return found


def attachment_names(ids):
    """[(id, file name)] of attachment ids, in their order."""
    ids = [i for i in ids or [] if i]
    names = dict(db.session.execute(select(Attachment.id, Attachment.filename).where(Attachment.id.in_(ids))).all()) \
        if ids else {}
    return [(i, names.get(i, i)) for i in ids]


def edit_url(matter):
    """Where the applicant edits a draft or returned matter, or None."""
    target = EDIT.get(matter.type_code)
    if target is None or matter.state not in ("draft", "returned"):
        return None
    endpoint, args = target if isinstance(target, tuple) else (target, {"matter_id": matter.id})
    return url_for(endpoint, **args) if endpoint in current_app.view_functions else None


@content("course_filing")
def _course_filing(matter):
    """G2: the course, its files and its teachers' answers (app/services/courses.py)."""
    from app.services import courses

    return courses.filing_content(matter)


@content("course_unbinding")
def _course_unbinding(matter):
    """G3: the course, the teacher and the reason (app/services/courses.py)."""
    from app.services import courses

    return courses.unbinding_content(matter)


EDIT["course_filing"] = "CourseFilingView.edit_matter"


@content("teacher_category_binding")
def _teacher_category_binding(matter):
    """G1: the teacher, the category and the experience rows (app/services/teacher_categories.py)."""
    from app.services import teacher_categories

    return teacher_categories.binding_content(matter)


@content("old_course_rereview")
def _old_course_rereview(matter):
    """G5: the course, the extension asked for and the expert's judgements (app/services/course_review.py)."""
    from app.services import course_review

    return course_review.rereview_content(matter)


def course_review_tables(matter):
    """G5: the expert's per-item judgements of an online course's filing (file and video review), added to
    the course_filing content by ``of``."""
    from app.services import course_review

    return course_review.review_tables(matter) if matter.type_code == "course_filing" else []
