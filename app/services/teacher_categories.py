"""G1 课程类别绑定: a teacher binds course categories with the experience that qualifies them; the
Association reviews the binding (matter teacher_category_binding, app/matters/training.py).

``bind`` checks the teacher's form (BindingError names the field and the row, nothing is written), writes
the TeacherCategory row and files its matter at once; the effects below keep the row's status in step
with the matter (submitted: under review; approved; returned or refused: returned; withdrawn: not
submitted).  A returned binding is edited and resubmitted; a category already bound or under review is
refused."""
import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import workflow
from app.extensions import db
from app.workflow import WorkflowError
from models import CourseCategory, Person, TeacherCategory
from models.enums import ReviewStatus

TYPE_CODE = "teacher_category_binding"
KINDS = {"work": _l("Work experience"), "teaching": _l("Teaching experience")}
MAX_ROWS = 20
ORG_MAX, CONTENT_MAX = 128, 1000
# the binding may be (re)filed from these statuses; reviewing and approved ones stay as they are
REFILABLE = (ReviewStatus.NOT_SUBMITTED.value, ReviewStatus.RETURNED.value)


class BindingError(ValueError):
    """A refused form: ``field`` names the input, the message names the field (and row) in words."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def teacher_of(user):
    """The teacher (Person, is_teacher) behind a platform account, or None."""
    if user is None or getattr(user, "id", None) is None:
        return None
    return db.session.scalar(select(Person).where(Person.user_id == user.id, Person.is_teacher.is_(True)))


def is_bound(person_id, category_id):
    """Whether the teacher's binding to this course category is approved (G2, G4 name only such teachers)."""
    return db.session.scalar(select(TeacherCategory.id).where(
        TeacherCategory.person_id == person_id, TeacherCategory.category_id == category_id,
        TeacherCategory.status == ReviewStatus.APPROVED.value)) is not None


# --- lookups ------------------------------------------------------------------------------------------

def category_groups():
    """[(level-1 > level-2 path, [(id, name)])]: the level-3 categories, grouped for the select."""
    groups = {}
    rows = db.session.scalars(select(CourseCategory).where(CourseCategory.level == 3)
                              .order_by(CourseCategory.parent_id, CourseCategory.id)).all()
    for row in rows:
        groups.setdefault(row.parent.path if row.parent else "", []).append((row.id, row.name))
    return list(groups.items())


def bindings_of(person):
    """The teacher's bindings, newest first."""
    if person is None:
        return []
    return db.session.scalars(select(TeacherCategory).where(TeacherCategory.person_id == person.id)
                              .order_by(TeacherCategory.id.desc())).all()


def matter_of(binding):
    """The binding's latest matter, or None."""
    return workflow.latest_matter(TYPE_CODE, binding)


def binding_of(matter):
    return workflow.object_of(matter, TeacherCategory)


def own_binding(binding_id, user):
    """The teacher's own binding, or None (the views answer 404)."""
    person = teacher_of(user)
    binding = db.session.get(TeacherCategory, int(binding_id)) if str(binding_id).isdigit() else None
    if binding is None or person is None or binding.person_id != person.id:
        return None
    return binding


def editable(binding):
    """A returned (or withdrawn, never submitted) binding is the teacher's to edit and file again."""
    return binding is not None and binding.status in REFILABLE


def kind_label(code):
    return KINDS.get(code, code or "")


def summary(experiences):
    """One line per row: 授课经历 2019-01-01～2021-12-31 某机构：内容."""
    return "\n".join(_("%(kind)s %(start)s to %(end)s %(organisation)s: %(content)s", kind=kind_label(e.get("kind")),
                       start=e.get("start_date", ""), end=e.get("end_date", ""),
                       organisation=e.get("organisation", ""), content=e.get("content", ""))
                     for e in experiences or [])


# --- the teacher's form -------------------------------------------------------------------------------

def _date(value, n, label):
    value = (value or "").strip()
    if not value:
        raise BindingError(f"row-{n}", _("Experience row %(n)d: please enter the %(field)s.", n=n, field=label))
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise BindingError(f"row-{n}", _("Experience row %(n)d: the %(field)s is not a valid date (YYYY-MM-DD).",
                                         n=n, field=label)) from None


def clean(form):
    """{category_id, experiences: [...]} from the form (lists ``kind``, ``start_date``, ``end_date``,
    ``organisation``, ``content``; blank rows are skipped)."""
    raw = (form.get("category_id") or "").strip()
    category = db.session.get(CourseCategory, int(raw)) if raw.isdigit() else None
    if category is None or category.level != 3:
        raise BindingError("category_id", _("Course category: please choose a level-3 course category."))
    columns = [form.getlist(k) if hasattr(form, "getlist") else list(form.get(k) or [])
               for k in ("kind", "start_date", "end_date", "organisation", "content")]
    width = max((len(c) for c in columns), default=0)
    rows = []
    for i in range(width):
        kind, start, end, org, text = ((c[i] if i < len(c) else "") or "" for c in columns)
        if not any(v.strip() for v in (start, end, org, text)):
            continue  # an empty row of the form
        rows.append((kind.strip(), start, end, org.strip(), text.strip()))
    if not rows:
        raise BindingError("rows", _("Experience: please add at least one work or teaching experience."))
    if len(rows) > MAX_ROWS:
        raise BindingError("rows", _("Experience: at most %(n)d rows.", n=MAX_ROWS))
    today = datetime.date.today()
    experiences = []
    for n, (kind, start, end, org, text) in enumerate(rows, 1):
        if kind not in KINDS:
            raise BindingError(f"row-{n}", _("Experience row %(n)d: please choose the type.", n=n))
        start_day = _date(start, n, _("start date"))
        end_day = _date(end, n, _("end date"))
        if start_day > today or end_day > today:
            raise BindingError(f"row-{n}", _("Experience row %(n)d: the dates may not be in the future.", n=n))
        if end_day < start_day:
            raise BindingError(f"row-{n}", _("Experience row %(n)d: the end date is before the start date.", n=n))
        if not org:
            raise BindingError(f"row-{n}", _("Experience row %(n)d: please enter the organisation.", n=n))
        if len(org) > ORG_MAX:
            raise BindingError(f"row-{n}", _("Experience row %(n)d: the organisation has at most %(max)d "
                                             "characters.", n=n, max=ORG_MAX))
        if not text:
            raise BindingError(f"row-{n}", _("Experience row %(n)d: please enter the content.", n=n))
        if len(text) > CONTENT_MAX:
            raise BindingError(f"row-{n}", _("Experience row %(n)d: the content has at most %(max)d characters.",
                                             n=n, max=CONTENT_MAX))
        experiences.append({"kind": kind, "start_date": start_day.isoformat(), "end_date": end_day.isoformat(),
                            "organisation": org, "content": text})
    return {"category": category, "experiences": experiences}


def bind(user, form, binding=None):
    """绑定课程类别 (or, with ``binding``, the edit of a returned one): the row and its matter, submitted at
    once (resubmitted when its matter was returned).  Returns the binding; commits."""
    person = teacher_of(user)
    if person is None:
        raise BindingError("form", _("Only a teacher can bind course categories."))
    if binding is not None and binding.person_id != person.id:
        raise BindingError("form", _("This binding is not yours."))
    values = clean(form)
    category = values["category"]
    try:
        with workflow.unit() as deliveries:
            same = db.session.scalar(select(TeacherCategory).where(TeacherCategory.person_id == person.id,
                                                                   TeacherCategory.category_id == category.id))
            if binding is None:
                binding = same
            elif same is not None and same.id != binding.id:
                raise BindingError("category_id", _("Course category: you have bound %(path)s already.",
                                                    path=category.path))
            if binding is not None and not editable(binding):
                if binding.status == ReviewStatus.APPROVED.value:
                    raise BindingError("category_id", _("Course category: you have bound %(path)s already.",
                                                        path=category.path))
                raise BindingError("category_id", _("Course category: your binding of %(path)s is under review.",
                                                    path=binding.category.path))
            if binding is None:
                binding = TeacherCategory(person_id=person.id, category_id=category.id,
                                          status=ReviewStatus.NOT_SUBMITTED.value)
                db.session.add(binding)
            binding.category_id = category.id
            binding.experiences = values["experiences"]
            binding.experience = summary(values["experiences"])
            db.session.flush()
            matter = matter_of(binding)
            if matter is not None and matter.state == "returned":
                matter, sent = workflow.take(matter.id, "resubmit", user)
                deliveries += sent
            else:
                if matter is None or matter.state != "draft":
                    matter = workflow.create_matter(TYPE_CODE, user, _("Course category binding: %(path)s",
                                                                       path=category.path),
                                                    institution_id=None, obj=binding, commit=False)
                    matter.institution_id = None
                    db.session.flush()
                matter, sent = workflow.take(matter.id, "submit", user)
                deliveries += sent
    except WorkflowError as exc:
        raise BindingError("form", str(exc)) from None
    return binding


# --- effects (declared on teacher_category_binding in app/matters/training.py) --------------------------

def _binding(matter):
    binding = binding_of(matter)
    if binding is None:
        raise WorkflowError(_("The matter names no course category binding."))
    return binding


def binding_submitted(matter, t, user):
    binding = _binding(matter)
    if binding.status not in REFILABLE:
        raise WorkflowError(_("The binding of %(path)s is under review or approved already.",
                              path=binding.category.path))
    if not binding.experiences:
        raise WorkflowError(_("Experience: please add at least one work or teaching experience."))
    binding.status = ReviewStatus.REVIEWING.value


def binding_approved(matter, t, user):
    _binding(matter).status = ReviewStatus.APPROVED.value


def binding_returned(matter, t, user):
    _binding(matter).status = ReviewStatus.RETURNED.value


def binding_withdrawn(matter, t, user):
    _binding(matter).status = ReviewStatus.NOT_SUBMITTED.value


def binding_content(matter):
    """The teacher, the category and the experience rows (the matter page, F8)."""
    binding = binding_of(matter)
    if binding is None:
        return None
    rows = [(_("Teacher"), binding.person.name if binding.person else ""),
            (_("Course category"), binding.category.path if binding.category else ""),
            (_("Status"), ReviewStatus.label_of(binding.status))]
    table = {"title": _("Work or teaching experience"),
             "headers": [_("Type"), _("Start date"), _("End date"), _("Organisation"), _("Content")],
             "rows": [[kind_label(e.get("kind")), e.get("start_date", ""), e.get("end_date", ""),
                       e.get("organisation", ""), e.get("content", "")] for e in binding.experiences or []]}
    return {"rows": rows, "tables": [table]}
