"""F9 信用评价 and F10 会员服务 in the portal: the person's own credit record, and the individual
membership — apply, follow the application, pay its fee, renew.  Rules: app/services/credit.py,
app/services/membership.py."""
from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from app.services import accounts, credit
from app.services import membership as service
from app.services.payments import PaymentError
from app.workflow import WorkflowError, stage_label
from models.enums import CreditKind, MatterStatus, MembershipKind, OrderStatus, ReviewStatus
from views.portal import bp, login_required, profile_required, render


@bp.route("/me/credit")
@login_required
def my_credit():
    """信用评价: the person's own record (never another's: no id in the address)."""
    person = accounts.person_of(g.user)
    return render("credit.html", person=person, record=credit.record_of(person, g.user),
                  certified=credit.is_certified(person), is_active=credit.is_active, kinds=CreditKind)


def _page(errors=None, form=None, status=200):
    membership = service.membership_of(g.user)
    matter = service.open_matter(g.user)
    last = matter.history[-1] if matter is not None and matter.history else None
    return render("membership.html", membership=membership, matter=matter, matters=service.matters_of(g.user),
                  active=service.is_active(membership), may_renew=service.may_renew(membership),
                  editable=matter is None or service.editable(matter), order=service.payable_order(matter),
                  live_order=service.payments.matter_order(matter) if matter is not None else None,
                  opinion=last.opinion if matter is not None and matter.state == "returned" and last else None,
                  fields=service.FIELDS[MembershipKind.PERSON.value], kind_label=service.KIND_LABELS,
                  fee=service.fee(MembershipKind.PERSON.value), years=service.years(),
                  renewal_days=service.renewal_days(), stage_label=stage_label, statuses=MatterStatus,
                  order_statuses=OrderStatus, review_statuses=ReviewStatus,
                  errors=errors or {}, form=form if form is not None else ((matter.payload or {}) if matter else {})), \
        status


@bp.route("/membership", methods=["GET", "POST"])
@profile_required
def membership_new():
    if request.method == "POST":
        upload = request.files.get("document")
        try:
            matter = service.apply(g.user, request.form,
                                   (upload.read(), upload.filename) if upload and upload.filename else None)
        except (service.MembershipError, WorkflowError) as exc:
            return _page({getattr(exc, "field", "form"): str(exc)}, request.form, 400)
        flash(_("Your membership application has been submitted (business number %(no)s); the Association "
                "reviews it, then you pay the fee.", no=matter.business_no), "success")
        return redirect(url_for("portal.membership_new"))
    return _page()


@bp.route("/membership/renew", methods=["POST"])
@profile_required
def membership_renew():
    try:
        order = service.renew(g.user)
    except (service.MembershipError, WorkflowError, PaymentError) as exc:
        flash(str(exc), "danger")
        return redirect(url_for("portal.membership_new"))
    return redirect(url_for("portal.order_detail", order_id=order.id))


@bp.route("/membership/order", methods=["POST"])
@profile_required
def membership_order():
    """A new fee order when the last one expired unpaid."""
    matter = service.open_matter(g.user)
    if matter is None or matter.state != "payment":
        flash(_("There is nothing to pay."), "warning")
        return redirect(url_for("portal.membership_new"))
    try:
        order = service.new_order(matter, g.user)
    except (service.MembershipError, WorkflowError, PaymentError) as exc:
        flash(str(exc), "danger")
        return redirect(url_for("portal.membership_new"))
    return redirect(url_for("portal.order_detail", order_id=order.id))
