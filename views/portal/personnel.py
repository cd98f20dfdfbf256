"""F2 人员注册申请: the application wizard (条件自检 → 个人注册申请 → 个人信息填报 → 操作完成) and the
base-information library (个人基础信息库) in 我的资料.  Rules: app/services/personnel.py."""
from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.services import accounts, experience
from app.services import personnel as service
from app.services.experience import ExperienceError
from app.workflow import WorkflowError, stage_label
from models import Matter
from models.enums import ExperienceKind
from views.portal import bp, profile_required, render

STEPS = [_l("Condition self-check"), _l("Personal registration application"), _l("Personal information filing"),
         _l("Operation completed")]
ERRORS = (service.RegistrationError, ExperienceError, WorkflowError)


def _own(matter_id):
    """The user's own personnel registration, else 404 (someone else's answers as a missing one)."""
    matter = db.session.get(Matter, matter_id)
    if matter is None or matter.applicant_id != g.user.id or matter.type_code != service.TYPE_CODE:
        abort(404)
    return matter


def _errors(exc):
    return {getattr(exc, "field", "form"): str(exc)}


def _table_context(person, matter=None):
    return {"tables": experience.TABLES, "kinds": ExperienceKind, "with_document": experience.WITH_DOCUMENT,
            "rows": service.grouped(person, matter), "conformity_label": service.conformity_label}


def _wizard(step, matter=None, errors=None, form=None, row_form=None, status=200):
    person = accounts.person_of(g.user)
    context = dict(step=step, steps=STEPS, matter=matter, errors=errors or {}, form=form or {},
                   row_form=row_form or {}, conditions=service.conditions(g.user), unmet=service.unmet(g.user),
                   types=service.APPLICATION_TYPES, specialties=service.SPECIALTIES,
                   payments=service.PAYMENT_METHODS, institutions=service.institution_choices(),
                   stage_label=stage_label)
    if step == 3 and matter is not None:
        context.update(_table_context(person, matter), library=service.grouped(person),
                       last_opinion=_last_opinion(matter))
    return render("personnel_registration.html", **context), status


def _last_opinion(matter):
    last = matter.history[-1] if matter.history else None
    return last.opinion if matter.state == "returned" and last is not None else None


@bp.route("/personnel/registration", methods=["GET", "POST"])
@profile_required
def personnel_registration_new():
    """Steps 1 and 2 before the draft exists; the first 暂存草稿 or 下一步 of step 2 creates it."""
    step = 2 if request.args.get("step") == "2" and service.unmet(g.user) is None else 1
    if request.method == "POST":
        try:
            matter = service.save_application(g.user, service.application_values(request.form))
        except ERRORS as exc:
            return _wizard(2, errors=_errors(exc), form=request.form, status=400)
        return _after_application(matter)
    person = accounts.person_of(g.user)
    return _wizard(step, form={"institution_id": str(person.institution_id or ""), "narrow_scope": "no",
                               "payment": "person"})


def _after_application(matter):
    if request.form.get("action") == "draft":
        flash(_("Draft saved (business number %(no)s). You can continue it from My matters.",
                no=matter.business_no), "success")
        return redirect(url_for("portal.personnel_registration_edit", matter_id=matter.id, step=2))
    return redirect(url_for("portal.personnel_registration_edit", matter_id=matter.id, step=3))


@bp.route("/personnel/registration/<int:matter_id>", methods=["GET", "POST"])
@profile_required
def personnel_registration_edit(matter_id):
    """The draft (or returned matter) at step 2 or 3; step 4 once submitted."""
    matter = _own(matter_id)
    editable = matter.state in service.EDITABLE_STATES
    step = request.args.get("step", "3")
    if not editable or step == "4":
        if editable:
            return redirect(url_for("portal.personnel_registration_edit", matter_id=matter.id, step=3))
        return _wizard(4, matter)
    if request.method == "POST":  # step 2 again
        try:
            matter = service.save_application(g.user, service.application_values(request.form), matter)
        except ERRORS as exc:
            return _wizard(2, matter, errors=_errors(exc), form=request.form, status=400)
        return _after_application(matter)
    if step == "2":
        return _wizard(2, matter, form=service.form_values(matter))
    edit = service.own_entry(accounts.person_of(g.user), request.args.get("edit"), matter) \
        if request.args.get("edit") else None
    return _wizard(3, matter, row_form={"entry": edit, "kind": edit.kind, **edit.data} if edit else None)


def _upload():
    f = request.files.get("document")
    return (f.read(), f.filename) if f and f.filename else None


def _save_row(person, matter=None):
    """Add or edit the posted row; (entry, errors)."""
    form = request.form
    kind = form.get("kind")
    if kind not in {k.value for k in ExperienceKind}:
        abort(400)
    entry = None
    if form.get("entry_id"):
        entry = service.own_entry(person, form.get("entry_id"), matter)
        if entry is None or entry.kind != kind:
            abort(404)
    values = {c.key: form.get(c.key, "") for c in experience.TABLES[ExperienceKind(kind)]}
    try:
        service.save_row(person, g.user, kind, values, _upload(), matter=matter, entry=entry)
    except ERRORS as exc:
        return {"kind": kind, "entry": entry, **values}, _errors(exc)
    return None, None


@bp.route("/personnel/registration/<int:matter_id>/rows", methods=["POST"])
@profile_required
def personnel_registration_row(matter_id):
    matter = _own(matter_id)
    row_form, errors = _save_row(accounts.person_of(g.user), matter)
    if errors:
        return _wizard(3, matter, errors=errors, row_form=row_form, status=400)
    flash(_("Saved."), "success")
    return redirect(url_for("portal.personnel_registration_edit", matter_id=matter.id, step=3))


@bp.route("/personnel/registration/<int:matter_id>/rows/<int:entry_id>/delete", methods=["POST"])
@profile_required
def personnel_registration_row_delete(matter_id, entry_id):
    matter = _own(matter_id)
    person = accounts.person_of(g.user)
    entry = service.own_entry(person, entry_id, matter)
    if entry is None:
        abort(404)
    try:
        service.delete_row(person, g.user, entry, matter)
    except ERRORS as exc:
        return _wizard(3, matter, errors=_errors(exc), status=400)
    flash(_("Removed."), "success")
    return redirect(url_for("portal.personnel_registration_edit", matter_id=matter.id, step=3))


@bp.route("/personnel/registration/<int:matter_id>/library", methods=["POST"])
@profile_required
def personnel_registration_from_library(matter_id):
    matter = _own(matter_id)
    person = accounts.person_of(g.user)
    ids = request.form.getlist("entry")
    if any(service.own_entry(person, i) is None for i in ids):
        abort(404)  # someone else's library row: the same answer as a missing one
    try:
        n = service.copy_from_library(person, g.user, matter, ids)
    except ERRORS as exc:
        return _wizard(3, matter, errors=_errors(exc), status=400)
    flash(_("%(n)d row(s) added from the base-information library.", n=n), "success")
    return redirect(url_for("portal.personnel_registration_edit", matter_id=matter.id, step=3))


@bp.route("/personnel/registration/<int:matter_id>/submit", methods=["POST"])
@profile_required
def personnel_registration_submit(matter_id):
    matter = _own(matter_id)
    if request.form.get("action") == "draft":
        flash(_("Draft saved (business number %(no)s). You can continue it from My matters.",
                no=matter.business_no), "success")
        return redirect(url_for("portal.my_matters", tab="draft"))
    try:
        service.submit(matter, g.user)
    except ERRORS as exc:
        return _wizard(3, matter, errors=_errors(exc), status=400)
    return redirect(url_for("portal.personnel_registration_edit", matter_id=matter.id, step=4))


# --- 个人基础信息库 -------------------------------------------------------------------------------------
def _library_page(errors=None, row_form=None, status=200):
    person = accounts.person_of(g.user)
    return render("personnel_library.html", errors=errors or {}, row_form=row_form or {},
                  **_table_context(person)), status


@bp.route("/me/library")
@profile_required
def experience_library():
    person = accounts.person_of(g.user)
    edit = service.own_entry(person, request.args.get("edit")) if request.args.get("edit") else None
    return _library_page(row_form={"entry": edit, "kind": edit.kind, **edit.data} if edit else None)


@bp.route("/me/library/rows", methods=["POST"])
@profile_required
def experience_library_row():
    row_form, errors = _save_row(accounts.person_of(g.user))
    if errors:
        return _library_page(errors, row_form, 400)
    flash(_("Saved."), "success")
    return redirect(url_for("portal.experience_library"))


@bp.route("/me/library/rows/<int:entry_id>/delete", methods=["POST"])
@profile_required
def experience_library_row_delete(entry_id):
    person = accounts.person_of(g.user)
    entry = service.own_entry(person, entry_id)
    if entry is None:
        abort(404)
    service.delete_row(person, g.user, entry)
    flash(_("Removed."), "success")
    return redirect(url_for("portal.experience_library"))
