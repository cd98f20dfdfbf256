"""缴费 in the portal (SPEC C1–C7): the candidate's payment records, an order's
page with what may be done with it (pay online, upload a transfer voucher,
request an invoice or a refund, renew an expired order), and the page the
gateway sends the browser back to.  Only the candidate's own orders: any
other answers 404.  The rules are in app/services/payments.py.
"""
from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.services import payments as service
from app.services.payments import PaymentError
from models import Invoice, Order, Payment, Refund
from models.enums import OrderStatus, PayerType, PaymentMethod, PaymentStatus, RequestStatus
from views.portal import bp, login_required, render


def _own_order(order_id):
    order = db.session.get(Order, order_id)
    if order is None or not service.is_owner(order, g.user):
        abort(404)  # the same answer whether it does not exist or is someone else's
    return order


@bp.route("/me/orders")
@login_required
def my_orders():
    return render("orders.html", orders=service.orders_of(g.user), statuses=OrderStatus, methods=PaymentMethod)


def _order_page(order, errors=None, form=None, status=200):
    paid_by_institution = order.parent_id is not None \
        and order.parent.payer_type == PayerType.INSTITUTION.value
    payable = (order.status == OrderStatus.UNPAID.value and not service.is_overdue(order)
               and order.parent_id is None and order.amount > 0)
    return render(
        "order.html", order=order, statuses=OrderStatus, methods=PaymentMethod, payment_statuses=PaymentStatus,
        request_statuses=RequestStatus, payable=payable, pending=service.pending_voucher(order),
        paid_by_institution=paid_by_institution, is_payer=service.is_payer(order, g.user),
        may_invoice=service.is_payer(order, g.user) and service.may_request_invoice(order),
        refund_refusal=service.refund_refusal(order) if order.status == OrderStatus.PAID.value else None,
        may_renew=service.can_renew(order), overdue=service.is_overdue(order),
        payments=db.session.query(Payment).filter_by(order_id=order.id).order_by(Payment.id.desc()).all(),
        invoices=db.session.query(Invoice).filter_by(order_id=order.id).order_by(Invoice.id.desc()).all(),
        refunds=db.session.query(Refund).filter_by(order_id=order.id).order_by(Refund.id.desc()).all(),
        errors=errors or {}, form=form or {}), status


@bp.route("/me/orders/<int:order_id>")
@login_required
def order_detail(order_id):
    return _order_page(_own_order(order_id))


def _step(order_id, step, message):
    """Run a service step on the candidate's own order; a refusal is shown on the page."""
    order = _own_order(order_id)
    try:
        step(order)
    except PaymentError as exc:
        if exc.field != "form":
            return _order_page(order, errors={exc.field: str(exc)}, form=request.form, status=400)
        flash(str(exc), "danger")
    else:
        flash(message, "success")
    return redirect(url_for("portal.order_detail", order_id=order_id))


@bp.route("/me/orders/<int:order_id>/pay", methods=["POST"])
@login_required
def pay_order(order_id):
    order = _own_order(order_id)
    try:
        target = service.start_online(order, g.user, url_for("portal.order_return", order_id=order.id))
    except PaymentError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("portal.order_detail", order_id=order_id))
    return redirect(target)


@bp.route("/me/orders/<int:order_id>/return")
@login_required
def order_return(order_id):
    """Where the gateway sends the browser back: paid, or still processing."""
    order = _own_order(order_id)
    return render("order_return.html", order=order, cancelled=bool(request.args.get("cancelled")))


@bp.route("/me/orders/<int:order_id>/voucher", methods=["POST"])
@login_required
def upload_voucher(order_id):
    upload = request.files.get("voucher")
    data = upload.read() if upload is not None else b""
    filename = upload.filename if upload is not None else ""
    return _step(order_id, lambda o: service.upload_voucher(o, g.user, data, filename),
                 _("The voucher has been uploaded; Finance will confirm the payment."))


@bp.route("/me/orders/<int:order_id>/invoice", methods=["POST"])
@login_required
def request_invoice(order_id):
    form = request.form
    return _step(order_id, lambda o: service.request_invoice(o, g.user, form.get("title"), form.get("tax_no"),
                                                             form.get("email")),
                 _("Your invoice request has been sent to Finance."))


@bp.route("/me/orders/<int:order_id>/refund", methods=["POST"])
@login_required
def request_refund(order_id):
    return _step(order_id, lambda o: service.request_refund(o, g.user, request.form.get("reason")),
                 _("Your refund request has been sent to Finance."))


@bp.route("/me/orders/<int:order_id>/renew", methods=["POST"])
@login_required
def renew_order(order_id):
    order = _own_order(order_id)
    try:
        new = service.renew_order(order, g.user)
    except PaymentError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("portal.order_detail", order_id=order_id))
    flash(_("A new order has been created; please pay it before %(time)s.",
            time=new.expires_at.strftime("%Y-%m-%d %H:%M")), "success")
    return redirect(url_for("portal.order_detail", order_id=new.id))
