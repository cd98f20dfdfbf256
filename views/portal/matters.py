"""F4–F8 in the portal: the forms of 人员转换执业机构, 申诉, 投诉 and 专家申请 (rules:
app/services/personnel_matters.py), and the detail page of every matter in 我的事项."""
from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from app import workflow
from app.extensions import db
from app.services import accounts, matter_content
from app.services import personnel_matters as pm
from app.workflow import WorkflowError, stage_label
from models import Matter
from models.enums import MatterStatus
from views.portal import bp, login_required, profile_required, render


def _kind(slug):
    if slug not in pm.SLUGS:
        abort(404)
    return pm.SLUGS[slug]


def own_matter(matter_id):
    """The user's own matter, else 404 (someone else's answers as a missing one)."""
    matter = db.session.get(Matter, matter_id)
    if matter is None or matter.applicant_id != g.user.id:
        abort(404)
    return matter


def _uploads():
    return [(f.read(), f.filename) for f in request.files.getlist("documents") if f and f.filename]


def _form_page(type_code, form, errors, matter=None):
    person = accounts.person_of(g.user)
    existing = matter_content.attachment_names((matter.payload or {}).get("attachment_ids")) if matter else []
    return render("personnel_matter.html", kind=type_code, slug=pm.KIND_SLUG[type_code], name=pm.TITLES[type_code],
                  fields=pm.FIELDS[type_code], form=form, errors=errors, matter=matter, existing=existing,
                  refusal=None if matter else pm.refusal(type_code, g.user),
                  prefilled=pm.prefilled(person) if type_code == pm.TRANSFER and person else [],
                  institutions=pm.institution_choices(person.institution_id if person else None)
                  if type_code == pm.TRANSFER else [])


@bp.route("/matters/<slug>/new", methods=["GET", "POST"])
@profile_required
def personnel_matter_new(slug):
    type_code = _kind(slug)
    errors = {}
    if request.method == "POST":
        try:
            values = pm.clean(type_code, request.form, g.user)
            matter = pm.file(type_code, g.user, values, pm.checked_files(type_code, _uploads()))
        except (pm.PersonnelMatterError, WorkflowError) as exc:
            errors = {getattr(exc, "field", "form"): str(exc)}
        else:
            flash(_("%(name)s has been submitted (business number %(no)s). You can follow it in My matters.",
                    name=pm.TITLES[type_code], no=matter.business_no), "success")
            return redirect(url_for("portal.my_matter", matter_id=matter.id))
    return _form_page(type_code, request.form, errors)


@bp.route("/me/matters/<int:matter_id>/correct", methods=["GET", "POST"])
@profile_required
def personnel_matter_edit(matter_id):
    matter = own_matter(matter_id)
    if matter.type_code not in pm.KIND_SLUG:
        abort(404)
    if matter.state != "returned":
        flash(_("Matter %(no)s can no longer be edited: a reviewer has acted on it or it is completed.",
                no=matter.business_no), "warning")
        return redirect(url_for("portal.my_matter", matter_id=matter.id))
    errors = {}
    if request.method == "POST":
        try:
            values = pm.clean(matter.type_code, request.form, g.user)
            remove = [int(i) for i in request.form.getlist("remove") if i.isdigit()]
            kept = [i for i in (matter.payload or {}).get("attachment_ids", []) if i not in remove]
            uploads = pm.checked_files(matter.type_code, _uploads(), existing=len(kept))
            matter = pm.edit(matter, g.user, values, uploads, remove)
        except (pm.PersonnelMatterError, WorkflowError) as exc:
            errors = {getattr(exc, "field", "form"): str(exc)}
        else:
            flash(_("Resubmitted."), "success")
            return redirect(url_for("portal.my_matter", matter_id=matter.id))
    return _form_page(matter.type_code, request.form if request.method == "POST" else _Values(pm.form_values(matter)),
                      errors, matter)


class _Values(dict):
    """A stored payload read like a submitted form (``getlist`` for the multi-choice fields)."""
    def getlist(self, key):
        value = self.get(key)
        return value if isinstance(value, list) else ([value] if value else [])


@bp.route("/me/matters/<int:matter_id>")
@login_required
def my_matter(matter_id):
    """F8: any matter of the user's — its content, stage, history and the reviewers' opinions."""
    matter = own_matter(matter_id)
    links = []
    if matter.type_code == "score_recheck":
        links.append((_("Scores concerned"), url_for("portal.status")))
    from app.services import cert_matters

    if matter.type_code in cert_matters.KIND_SLUG:
        links.append((_("Open the application"), url_for("portal.cert_matter_show", matter_id=matter.id)))
    withdraw = next((t for t in workflow.available_transitions(matter, g.user) if t.name == "withdraw"), None)
    return render("my_matter.html", matter=matter, content=matter_content.of(matter),
                  edit_url=matter_content.edit_url(matter), links=links, withdraw=withdraw,
                  type_name=workflow.matter_type_of(matter).name, stage_label=stage_label, statuses=MatterStatus,
                  transition_label=workflow.operation_label)


@bp.route("/me/matters/<int:matter_id>/withdraw", methods=["POST"])
@login_required
def my_matter_withdraw(matter_id):
    matter = own_matter(matter_id)
    try:
        workflow.apply(matter.id, "withdraw", g.user)
    except WorkflowError as exc:
        flash(str(exc), "danger")
    else:
        flash(_("Withdrawn."), "success")
    return redirect(url_for("portal.my_matter", matter_id=matter.id))
