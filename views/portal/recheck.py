"""考试成绩复核申请 (SPEC E3; seed 002 §4.2): read the instructions, choose the exam,
enter the admission ticket number and the reason; the rules are in app.services.recheck."""
from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from app.services import accounts, recheck
from app.workflow import WorkflowError
from views.portal import bp, profile_required, render


@bp.route("/recheck", methods=["GET", "POST"])
@profile_required
def recheck_new():
    person = accounts.person_of(g.user)
    sat = recheck.sat_registrations(person)
    plans = list({r.exam_plan_id: r.exam_plan for r in sat if r.exam_plan.recheck_allowed}.values())
    form, errors = request.form, {}
    step = "form" if request.method == "POST" or request.args.get("agreed") else "notice"
    if request.method == "POST":
        if not form.get("agreed"):
            errors["agreed"] = _("Please read and accept the re-check instructions.")
        else:
            try:
                matter = recheck.file(g.user, person, form.get("exam_id"), form.get("ticket_no"), form.get("reason"),
                                      form.getlist("subject_ids"))
            except recheck.RecheckError as exc:
                errors[exc.field] = str(exc)
            except WorkflowError as exc:
                errors["form"] = str(exc)
            else:
                flash(_("Your score re-check has been submitted (business number %(no)s). You can follow it in My "
                        "matters.", no=matter.business_no), "success")
                return redirect(url_for("portal.my_matters"))
    return render("recheck.html", step=step, plans=plans, form=form, errors=errors,
                  chosen=form.get("exam_id") or request.args.get("exam_id", ""),
                  refusal={p.id: recheck.window_refusal(p) for p in plans})
