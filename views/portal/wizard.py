"""报名: the registration wizard and 我的考试 (SPEC B3–B14).

notice → pledge → personal info → photo → application info → material
sections → confirm and submit.  Every step saves; the rules live in
app/services/registration.py.
"""
import datetime

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.services import registration as reg_service
from app.services import seats
from app.services.registration import STEPS, RegistrationError
from models import ExamPlan, Order, Registration
from models.enums import ExamStatus, Gender, OrderStatus, RegistrationCategory, SectionCode
from models.enums import RegistrationStatus as RS
from views.portal import _own_person, bp, own_registration, profile_required, render

STEP_LABELS = {
    "personal": _l("Personal information"), "photo": _l("Photo"), "application": _l("Application information"),
    "materials": _l("Application materials"), "confirm": _l("Confirm and submit"),
}


def _open_plan(exam_id):
    plan = db.session.get(ExamPlan, exam_id)
    if plan is None or not plan.published:
        abort(404)
    return plan


def _resume(registration):
    if registration.status in reg_service.EDITABLE and not registration.locked:
        return redirect(url_for("portal.wizard_step", rid=registration.id, step=registration.step or "personal"))
    return redirect(url_for("portal.registration_detail", rid=registration.id))


def _refuse_if_closed(plan):
    if plan.status != ExamStatus.OPEN.value:
        flash(_("Registration for this exam is not open."), "warning")
        return redirect(url_for("portal.exam_detail", exam_id=plan.id))
    return None


@bp.route("/exams/<int:exam_id>/apply")
@profile_required
def apply(exam_id):
    """Step 1: the notice (a draft in progress resumes where it stopped)."""
    plan = _open_plan(exam_id)
    existing = reg_service.active_registration(_own_person(), plan)
    if existing is not None:
        return _resume(existing)
    return _refuse_if_closed(plan) or render("wizard/notice.html", exam=plan)


@bp.route("/exams/<int:exam_id>/pledge", methods=["GET", "POST"])
@profile_required
def pledge(exam_id):
    """Step 2: the integrity pledge; declining returns to the exam list."""
    plan = _open_plan(exam_id)
    closed = _refuse_if_closed(plan)
    if closed:
        return closed
    if request.method == "POST":
        if request.form.get("decision") != "accept":
            flash(_("You declined the integrity pledge; the application was not started."), "info")
            return redirect(url_for("portal.exams"))
        try:
            registration = reg_service.start(_own_person(), plan)
        except RegistrationError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("portal.exam_detail", exam_id=plan.id))
        return _resume(registration)
    return render("wizard/pledge.html", exam=plan)


def _context(registration, step, **extra):
    sections = reg_service.sections_of(registration.exam_plan)
    return dict(reg=registration, exam=registration.exam_plan, step=step, steps=STEPS, step_labels=STEP_LABELS,
                sections=sections, filled=lambda s: reg_service.section_filled(registration, s),
                reasons=registration.return_reasons or {}, section_label=reg_service.section_label,
                reg_category_label=RegistrationCategory.label_of, status_label=RS.label_of,
                order_status_label=OrderStatus.label_of, **extra)


@bp.route("/registrations/<int:rid>/<step>", methods=["GET", "POST"])
@profile_required
def wizard_step(rid, step):
    registration = own_registration(rid)
    if step not in STEPS:
        abort(404)
    if registration.status not in reg_service.EDITABLE or registration.locked:
        return redirect(url_for("portal.registration_detail", rid=rid))
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            nxt = STEP_HANDLERS[step](registration)
        except RegistrationError as exc:
            db.session.rollback()
            if step == "confirm" and exc.field == "exam_site_id":
                # P6: the site is full: answered at once, on the step where another site is chosen (no
                # re-rendered summary for the many refused when submissions race for the last seats)
                flash(str(exc), "danger")
                return redirect(url_for("portal.wizard_step", rid=rid, step="application"))
            errors = {exc.field: str(exc)}
        else:
            if nxt:
                return nxt
            index = STEPS.index(step)
            flash(_("Saved."), "success")
            return redirect(url_for("portal.wizard_step", rid=rid, step=STEPS[min(index + 1, len(STEPS) - 1)]))
    return render(f"wizard/{step}.html", errors=errors, form=form, **_context(registration, step, **_step_data(
        registration, step)))


def _step_data(registration, step):
    person = registration.person
    if step == "personal":
        basic = reg_service.entries(registration, SectionCode.BASIC)
        return dict(person=person, basic=basic[0].data if basic else {}, genders=Gender,
                    fields=reg_service.SECTION_FIELDS[SectionCode.BASIC])
    if step == "photo":
        return dict(person=person, rules={**reg_service.photos.DEFAULT_RULES,
                                          **(registration.exam_plan.photo_rules or {})})
    if step == "application":
        plan = registration.exam_plan
        offered = plan.categories_offered or [c.value for c in RegistrationCategory]
        return dict(categories=[c for c in RegistrationCategory if c.value in offered],
                    sites=reg_service.site_choices(plan), remaining=seats.remaining,
                    sittings=reg_service.sittings(plan),
                    certificates=reg_service.held_certificates(person), makeup=reg_service.MAKEUP,
                    renewals=reg_service.RENEWALS, chosen={s.subject_id for s in registration.subjects})
    if step == "confirm":
        return dict(missing=reg_service.missing(registration), preview=reg_service.check_eligibility(registration))
    return {}


def _date(name, message):
    """An optional YYYY-MM-DD field of the form."""
    value = request.form.get(name)
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise RegistrationError(message, name) from None


def _save_personal(registration):
    birth = _date("birth_date", _("Please enter the date of birth as YYYY-MM-DD."))
    reg_service.save_basic(registration, request.form, gender=request.form.get("gender") or None, birth_date=birth)


def _save_photo(registration):
    if request.form.get("use_profile"):
        reg_service.use_profile_photo(registration)
        return None
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        raise RegistrationError(_("Please choose a photo."), "photo")
    reg_service.save_photo(registration, upload.read())


def _save_application(registration):
    form = request.form
    last = _date("last_exam_date", _("Please enter the date as YYYY-MM-DD."))
    reg_service.save_application(registration, form.get("category"), form.get("exam_site_id"), form.get("city"),
                                 form.getlist("subjects"), last, form.get("held_certificate_id"),
                                 form.get("exam_session_id"))


def _save_materials(registration):
    """The hub has nothing to save: moving on to the confirmation."""
    reg_service.reached(registration, "confirm")
    db.session.commit()


def _submit(registration):
    rid, resubmit = registration.id, registration.status == RS.RETURNED.value
    reg_service.submit(registration, g.user)  # committed: nothing of it is read again
    flash(_("Your application has been resubmitted.") if resubmit else
          _("Your application has been submitted for review."), "success")
    return redirect(url_for("portal.registration_detail", rid=rid))


STEP_HANDLERS = {"personal": _save_personal, "photo": _save_photo, "application": _save_application,
                 "materials": _save_materials, "confirm": _submit}


@bp.route("/registrations/<int:rid>/section/<section>", methods=["GET", "POST"])
@profile_required
def wizard_section(rid, section):
    """One material section: its rows, an add form, "add from my base info"."""
    registration = own_registration(rid)
    if section not in {s.value for s, _req in reg_service.sections_of(registration.exam_plan)} or \
            section == SectionCode.BASIC.value:
        abort(404)
    if registration.status not in reg_service.EDITABLE or registration.locked:
        return redirect(url_for("portal.registration_detail", rid=rid))
    errors, form = {}, request.form
    if request.method == "POST":
        action = form.get("action", "add")
        try:
            if action == "delete":
                reg_service.delete_row(registration, section, int(form.get("row_id", 0)))
            elif action == "highest":
                reg_service.mark_highest(registration, int(form.get("row_id", 0)))
            elif action == "copy":
                reg_service.copy_from_base(registration, section, form.getlist("row_ids"))
            else:
                upload = request.files.get("attachment")
                data = (upload.read(ATTACHMENT_READ_LIMIT), upload.filename) if upload and upload.filename else None
                reg_service.add_row(registration, section, form, data)
        except (RegistrationError, ValueError) as exc:
            db.session.rollback()
            errors = {getattr(exc, "field", "form"): str(exc)}
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("portal.wizard_section", rid=rid, section=section))
    code = SectionCode(section)
    rows = {SectionCode.EDUCATION: registration.educations, SectionCode.WORK: registration.works}.get(
        code) or reg_service.entries(registration, code)
    base = reg_service.base_info(registration, code) if code in (SectionCode.EDUCATION, SectionCode.WORK) else []
    return render("wizard/section.html", errors=errors, form=form, code=code, rows=rows, base=base,
                  fields=reg_service.fields_of(code), display=reg_service.display_value,
                  **_context(registration, "materials"))


# one byte more than allowed, so an oversize file is recognised without reading it all
ATTACHMENT_READ_LIMIT = reg_service.ATTACHMENT_MAX_BYTES + 1


# --- 我的考试 (B10) and what a candidate may do with a registration --------------------------
@bp.route("/me/exams")
@profile_required
def my_exams():
    person = _own_person()
    registrations = db.session.query(Registration).filter_by(person_id=person.id).order_by(
        Registration.created_at.desc()).all()
    return render("my_exams.html", registrations=registrations, statuses=RS)


def _orders(registration):
    return db.session.query(Order).filter_by(registration_id=registration.id).order_by(Order.id.desc()).all()


@bp.route("/registrations/<int:rid>")
@profile_required
def registration_detail(rid):
    registration = own_registration(rid)
    return render("wizard/detail.html", orders=_orders(registration), open_change=reg_service.open_change(
        registration), editable=registration.status in reg_service.EDITABLE and not registration.locked,
        deletable=registration.status in reg_service.DELETABLE,
        may_give_up=registration.status in reg_service.GIVE_UP_FROM,
        may_change=registration.status in reg_service.CHANGEABLE and registration.exam_plan.status == "open",
        **_context(registration, "confirm"))


@bp.route("/registrations/<int:rid>/act", methods=["POST"])
@profile_required
def registration_act(rid):
    """Withdraw, delete or give up (each checked by the service)."""
    registration = own_registration(rid)
    action = request.form.get("action")
    handlers = {"withdraw": (reg_service.withdraw, _("Your application has been withdrawn; it is a draft again.")),
                "delete": (reg_service.delete, _("The application has been deleted.")),
                "give_up": (reg_service.give_up, _("You have given up this registration."))}
    if action not in handlers:
        abort(400)
    handler, message = handlers[action]
    try:
        handler(registration, g.user)
    except RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("portal.registration_detail", rid=rid))
    flash(message, "success")
    if action == "delete":
        return redirect(url_for("portal.my_exams"))
    return redirect(url_for("portal.registration_detail", rid=rid))


@bp.route("/registrations/<int:rid>/change", methods=["GET", "POST"])
@profile_required
def registration_change(rid):
    """B14: another site or other subjects, reviewed like a registration."""
    registration = own_registration(rid)
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            reg_service.request_change(registration, g.user, form.get("exam_site_id"), form.getlist("subjects"),
                                       form.get("reason"), form.get("exam_session_id"))
        except RegistrationError as exc:
            db.session.rollback()
            errors = {exc.field: str(exc)}
        else:
            flash(_("Your change request has been submitted for review."), "success")
            return redirect(url_for("portal.registration_detail", rid=rid))
    return render("wizard/change.html", errors=errors, form=form, sites=reg_service.site_choices(
        registration.exam_plan), remaining=seats.remaining, makeup=reg_service.MAKEUP,
        sittings=reg_service.sittings(registration.exam_plan),
        chosen={s.subject_id for s in registration.subjects}, **_context(registration, "confirm"))

