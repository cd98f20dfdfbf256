"""G5 网课评价 and 老课复审: the review items an expert judges (符合 / 不符合 with a remark) — the file and
video review of an online course's filing (course_filing at 专家评价), and the re-review of an old course
whose validity the institution asks to extend (old_course_rereview) — and the re-review's rules.

The judgements are kept in the matter's payload (``course_review``: {item code: {result, remark}}); the
effect ``require_judgement`` refuses the expert's transitions while an item is unjudged.  The expert's
result (通过 / 退回) moves the matter through the engine with an opinion listing the nonconforming items.
Functions raise ReviewError(field, message) and write nothing then; they commit."""
import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import workflow
from app.extensions import db
from app.roles import EXPERT, INSTITUTION
from app.scoping import role_names
from app.workflow import WorkflowError
from models import Course, Matter, MatterHistory
from models.enums import Conformity, CourseDelivery, CourseStatus

FILING, REREVIEW = "course_filing", "old_course_rereview"
TYPES = (FILING, REREVIEW)
STAGE = "expert_review"
KEY = "course_review"
FILE_ITEMS = [
    ("file_outline", _l("The course outline is complete")),
    ("file_objectives", _l("The teaching objectives are clear")),
    ("file_category", _l("The content matches the course category")),
    ("file_hours", _l("The schedule of hours is reasonable")),
    ("file_materials", _l("The teaching materials are accurate and well presented")),
]
VIDEO_ITEMS = [
    ("video_picture", _l("The picture is clear and steady")),
    ("video_sound", _l("The sound is clear")),
    ("video_outline", _l("The lecture follows the outline")),
    ("video_length", _l("The video's length matches the course hours")),
]
REREVIEW_ITEMS = [
    ("rereview_current", _l("The content is current and valid")),
    ("rereview_standards", _l("The standards and regulations cited are the current versions")),
    ("rereview_effect", _l("The teaching effect is good")),
]
SECTIONS = {"file": (_l("File review"), FILE_ITEMS), "video": (_l("Video review"), VIDEO_ITEMS),
            "rereview": (_l("Old-course re-review"), REREVIEW_ITEMS)}
RESULTS = {"pass": (_l("Evaluation passed"), "pass_expert_review"),
           "return": (_l("Return to the applicant"), "return_expert_review")}
REMARK_MAX, COMMENT_MAX, REASON_MAX = 500, 2000, 1000


class ReviewError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def result_label(code):
    return RESULTS[code][0] if code in RESULTS else (code or "")


def sections_of(matter):
    """[(section code, title, [(item code, label)])] the expert judges on this matter."""
    codes = ("file", "video") if matter.type_code == FILING else ("rereview",) if matter.type_code == REREVIEW else ()
    return [(code, *SECTIONS[code]) for code in codes]


def items_of(matter):
    return [item for _code, _title, items in sections_of(matter) for item in items]


def judgements(matter):
    return dict((matter.payload or {}).get(KEY) or {})


def section_state(matter, section):
    """未评价 / 评价中 / 已评价 of one section (the list's 评价类型 status)."""
    found = judgements(matter)
    items = SECTIONS[section][1]
    done = sum(1 for code, _label in items if (found.get(code) or {}).get("result"))
    if done == 0:
        return _("Not evaluated")
    return _("Evaluated") if done == len(items) else _("Being evaluated")


def course_of(matter):
    return workflow.object_of(matter, Course)


# --- the expert's lists ----------------------------------------------------------------------------------

def may_judge(matter, user):
    """Only the assigned expert, while the matter (a course filing or a re-review) is at 专家评价."""
    return (matter is not None and matter.type_code in TYPES and matter.state == STAGE
            and matter.assignee_id is not None and matter.assignee_id == getattr(user, "id", None)
            and EXPERT in role_names(user))


def tasks(user, type_code, open_only=True):
    """The matters of ``type_code`` assigned to ``user`` (at 专家评价, or every one)."""
    query = select(Matter).where(Matter.assignee_id == user.id, Matter.type_code == type_code)
    if open_only:
        query = query.where(Matter.state == STAGE)
    found = db.session.scalars(query.order_by(Matter.id.desc())).all()
    if type_code == FILING:
        online = CourseDelivery.ONLINE.value
        found = [m for m in found if course_of(m) is not None and course_of(m).delivery == online]
    return found


def assigned_at(matter):
    """When the matter was last assigned (the engine's history row "assign")."""
    return db.session.scalar(select(MatterHistory.at).where(
        MatterHistory.matter_id == matter.id, MatterHistory.transition == workflow.ASSIGN)
        .order_by(MatterHistory.id.desc()).limit(1))


# --- the judgement --------------------------------------------------------------------------------------

def _read(matter, form, complete):
    """{item code: {result, remark}} from the form (``c-<code>``, ``r-<code>``); an error names the item."""
    found = {}
    for code, label in items_of(matter):
        value = (form.get(f"c-{code}") or "").strip() or None
        remark = (form.get(f"r-{code}") or "").strip()
        if value is not None and value not in {c.value for c in Conformity}:
            raise ReviewError(f"c-{code}", _("%(item)s: please choose conforming or nonconforming.", item=label))
        if value is None and complete:
            raise ReviewError(f"c-{code}", _("%(item)s: please judge this item.", item=label))
        if value == Conformity.NONCONFORMING.value and not remark:
            raise ReviewError(f"r-{code}", _("%(item)s: please give the reason it does not conform.", item=label))
        if len(remark) > REMARK_MAX:
            raise ReviewError(f"r-{code}", _("%(item)s: the remark has at most %(n)d characters.", item=label,
                                             n=REMARK_MAX))
        if value is not None:
            found[code] = {"result": value, "remark": remark or None}
    return found


def _locked(matter_id, user):
    matter = workflow._lock(matter_id)
    if not may_judge(matter, user):
        raise ReviewError("form", _("You may not evaluate this matter."))
    return matter


def save(matter_id, user, form):
    """保存: the judgements so far (items may stay unjudged)."""
    try:
        matter = _locked(matter_id, user)
        matter.payload = {**(matter.payload or {}), KEY: _read(matter, form, complete=False)}
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return matter


def nonconforming(matter):
    found = judgements(matter)
    return [(code, label, found[code].get("remark") or "") for code, label in items_of(matter)
            if (found.get(code) or {}).get("result") == Conformity.NONCONFORMING.value]


def opinion(matter, result, comment):
    """The opinion: the result, every nonconforming item with its remark, the expert's comment."""
    lines = [_("Expert evaluation: %(result)s", result=result_label(result))]
    bad = nonconforming(matter)
    if bad:
        lines.append(_("Nonconforming items:"))
        lines += [f"{i}. {label}: {remark}" for i, (_code, label, remark) in enumerate(bad, 1)]
    if comment:
        lines.append(_("Expert's comment: %(comment)s", comment=comment))
    return "\n".join(lines)


def submit(matter_id, user, form):
    """提交: every item judged and the result — 通过 (to the Association) or 退回 (to the institution)."""
    result = (form.get("result") or "").strip()
    comment = (form.get("comment") or "").strip()
    try:
        with workflow.unit() as deliveries:
            matter = _locked(matter_id, user)
            if result not in RESULTS:
                raise ReviewError("result", _("Please choose the evaluation result."))
            if len(comment) > COMMENT_MAX:
                raise ReviewError("comment", _("The comment has at most %(n)d characters.", n=COMMENT_MAX))
            matter.payload = {**(matter.payload or {}), KEY: _read(matter, form, complete=True)}
            bad = nonconforming(matter)
            if result == "pass" and bad:
                raise ReviewError("result", _("Items are marked nonconforming: return the matter."))
            if result == "return" and not bad and not comment:
                raise ReviewError("comment", _("Please give the reason in the comment."))
            text = opinion(matter, result, comment)
            matter.payload = {**matter.payload, "expert_result": result, "expert_opinion": text, "expert_id": user.id}
            matter, sent = workflow.take(matter.id, RESULTS[result][1], user, opinion=text)
            deliveries += sent
    except WorkflowError as exc:
        raise ReviewError("form", str(exc)) from None
    return matter


def require_judgement(matter, _t, _user):
    """The expert's result follows the per-item judgement: an unjudged item refuses it."""
    found = judgements(matter)
    open_items = [label for code, label in items_of(matter) if not (found.get(code) or {}).get("result")]
    if open_items:
        raise WorkflowError(_("Matter %(no)s: %(n)d review items are not judged yet; judge each item on the "
                              "evaluation page.", no=matter.business_no, n=len(open_items)))


# --- 老课复审: the institution's application ----------------------------------------------------------------

def _add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: the year ends on the last day of February
        return datetime.date(day.year + years, 3, 1)


def extension(course):
    """(extend_from, extend_to): the day after the validity ends, for one year."""
    start = course.valid_until + datetime.timedelta(days=1)
    return start, _add_years(start, 1) - datetime.timedelta(days=1)


def filed_courses(user):
    """The institution's filed courses (the re-review list)."""
    if user.institution_id is None:
        return []
    return db.session.scalars(select(Course).where(Course.institution_id == user.institution_id,
                                                   Course.status == CourseStatus.FILED.value)
                              .order_by(Course.valid_until, Course.id)).all()


def rereviews_of(course):
    return db.session.scalars(workflow.matters_about(REREVIEW, course)).all()


def open_rereview(course, other_than=None):
    """The course's re-review still under review, or None."""
    return workflow.open_matter(REREVIEW, course, other_than)


def _refusal(course, institution_id, other_than=None):
    if course is None or institution_id is None or course.institution_id != institution_id:
        return _("The course is not one of your institution's.")
    if course.status != CourseStatus.FILED.value or course.valid_until is None:
        return _("Only a filed course with a validity can be re-reviewed.")
    if open_rereview(course, other_than=other_than) is not None:
        return _("A re-review of course %(name)s is under review already.", name=course.name)
    return None


def may_apply(course, user):
    return INSTITUTION in role_names(user) and _refusal(course, user.institution_id) is None


def apply_rereview(course_id, user, reason):
    """申请老课复审: the matter (extension dates in its payload), submitted at once; returns it."""
    reason = (reason or "").strip()
    course = db.session.get(Course, int(course_id)) if str(course_id).isdigit() else None
    if INSTITUTION not in role_names(user):
        raise ReviewError("form", _("Only a training institution can apply for a re-review."))
    refusal = _refusal(course, user.institution_id)
    if refusal:
        raise ReviewError("form", refusal)
    if not reason:
        raise ReviewError("reason", _("Reason for the re-review: please enter it."))
    if len(reason) > REASON_MAX:
        raise ReviewError("reason", _("Reason for the re-review: at most %(n)d characters.", n=REASON_MAX))
    start, end = extension(course)
    try:
        with workflow.unit() as deliveries:
            matter = workflow.create_matter(
                REREVIEW, user, _("Old-course re-review: %(name)s", name=course.name),
                institution_id=course.institution_id, obj=course, commit=False,
                payload={"course_id": course.id, "extend_from": start.isoformat(), "extend_to": end.isoformat(),
                         "reason": reason})
            db.session.flush()
            matter, sent = workflow.take(matter.id, "submit", user)
            deliveries += sent
    except WorkflowError as exc:
        raise ReviewError("form", str(exc)) from None
    return matter


def period(matter):
    """自2022-04-06延期至2023-04-05"""
    p = matter.payload or {}
    if not p.get("extend_from"):
        return ""
    return _("From %(start)s extended to %(end)s", start=p["extend_from"], end=p["extend_to"])


# --- effects (declared on old_course_rereview in app/matters/training.py) ----------------------------------

def rereview_submitted(matter, t, user):
    course = course_of(matter)
    refusal = _refusal(course, matter.institution_id, other_than=matter.id)
    if refusal:
        raise WorkflowError(refusal)
    start, end = extension(course)
    # a resubmission: the items found nonconforming are judged again (conforming ones stay)
    kept = {code: j for code, j in judgements(matter).items() if j.get("result") != Conformity.NONCONFORMING.value}
    matter.payload = {**(matter.payload or {}), "course_id": course.id, "extend_from": start.isoformat(),
                      "extend_to": end.isoformat(), KEY: kept}


def rereview_approved(matter, t, user):
    course = course_of(matter)
    if course is None:
        raise WorkflowError(_("The matter names no course."))
    course.valid_until = datetime.date.fromisoformat(matter.payload["extend_to"])


def rereview_content(matter):
    """The course, the extension asked for and the reason (the matter page, F8)."""
    course = course_of(matter)
    if course is None:
        return None
    p = matter.payload or {}
    return {"rows": [(_("Course name"), course.name), (_("Course category"), course.category.path),
                     (_("Delivery"), CourseDelivery.label_of(course.delivery)),
                     (_("Filing number"), course.filing_no or ""), (_("Valid until"), course.valid_until or ""),
                     (_("Extension period"), period(matter)), (_("Reason for the re-review"), p.get("reason", ""))],
            "tables": review_tables(matter)}


def review_tables(matter):
    """The expert's judgements per section (the matter page), once any item is judged."""
    found = judgements(matter)
    if not found:
        return []
    return [{"title": title, "headers": [_("Review item"), _("Judgement"), _("Remark")],
             "rows": [[label, Conformity.label_of(found[code]["result"]) if code in found else "",
                       (found.get(code) or {}).get("remark") or ""] for code, label in items]}
            for _code, title, items in sections_of(matter)]


def matrix_payload(matter):
    """Every item of the matter judged conforming (the transition matrix drives the expert's transitions
    without the judgement screen, tests/training_matrix.py)."""
    return {KEY: {code: {"result": Conformity.CONFORMING.value, "remark": None} for code, _label in items_of(matter)}}
