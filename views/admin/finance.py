"""财务: orders, payments, invoices, refunds, reconciliation (SPEC C3–C7),
and the institution's batch payment (C4).

Orders and payments are never typed in by hand: the lists are read-only and
every change is a Finance action that calls app/services/payments.py.
Actions fetch their rows through the row scope (PlatformModelView).
"""
import datetime

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app import listing
from app.exports import send_xlsx
from app.extensions import db
from app.roles import INSTITUTION
from app.scoping import role_names
from app.services import payments
from app.services.payments import PaymentError
from models import Invoice, Order, Payment, Refund
from models.enums import OrderStatus, PayerType, PaymentMethod, PaymentStatus, RequestStatus
from views.base import PlatformModelView, model_api, model_view

CATEGORY = ("Finance", _l("Finance"))
READ_ONLY = ["can_list", "can_show", "can_export"]


def _voucher_link(attachment_id):
    if not attachment_id:
        return ""
    return Markup('<a href="{}"><i class="fa fa-file-invoice"></i> {}</a>').format(
        url_for("files.download", attachment_id=attachment_id), _("Open"))


class FinanceBase(PlatformModelView):
    """Read-only lists; decisions are actions, some with a reason page."""
    reasons = {}  # action name -> (title, service function(id, user, reason))
    html_columns = ()

    def _export_value(self, item, column):
        if column in self.html_columns:
            return getattr(item, column, None)
        return super()._export_value(item, column)

    def _decide(self, items, name, decide, done_message):
        done = 0
        for item in items:
            try:
                decide(item.id, g.user)
                done += 1
            except PaymentError as exc:
                flash(str(exc), "danger")
        if done:
            flash(done_message % {"n": done}, "success")
        return redirect(url_for(".list"))

    def _ask_reason(self, name, items):
        return redirect(url_for(".reason", name=name, ids=",".join(str(i.id) for i in items)))

    @expose("/reason/<name>", methods=["GET", "POST"])
    def reason(self, name):
        """A decision that needs a reason: the same permission as its action, rows through the scope."""
        if name not in self.reasons or not self.appbuilder.sm.has_access(name, self.class_permission_name):
            abort(403)
        title, decide = self.reasons[name]
        ids = list(dict.fromkeys(i for i in request.values.get("ids", "").split(",") if i.isdigit()))
        items = [self.get_scoped(i) for i in ids]
        if not items:
            return redirect(url_for(".list"))
        error = None
        if request.method == "POST":
            done = 0
            for item in items:
                try:
                    decide(item.id, g.user, request.form.get("reason"))
                    done += 1
                except PaymentError as exc:
                    if exc.field == "reason":  # asked again, nothing done
                        error = str(exc)
                        break
                    flash(str(exc), "danger")
            if error is None:
                if done:
                    flash(_("%(op)s: %(n)d done.", op=title, n=done), "success")
                return redirect(url_for(".list"))
        return self.render_template("platform/finance_reason.html", title=title, items=items, ids=",".join(ids),
                                    error=error, describe=self.describe)

    def describe(self, item):
        return str(item)


def _order_cell(order):
    return order.order_no if order is not None else ""


class OrderBase(FinanceBase):
    base_permissions = READ_ONLY + ["can_reconciliation"]
    list_template = "platform/order_list.html"

    def render_template(self, template, **kwargs):
        kwargs.setdefault("can_reconcile", self.appbuilder.sm.has_access("can_reconciliation",
                                                                         self.class_permission_name))
        return super().render_template(template, **kwargs)

    @expose("/reconciliation/")
    @has_access
    def reconciliation(self):
        """C7: the money received in a date range, as an Excel workbook."""
        today = datetime.date.today()
        try:
            start = datetime.date.fromisoformat(request.args.get("start") or (today.replace(day=1)).isoformat())
            end = datetime.date.fromisoformat(request.args.get("end") or today.isoformat())
        except ValueError:
            abort(400)
        if request.args.get("download"):
            headers, rows = payments.reconciliation(g.user, start, end)
            return send_xlsx(f"reconciliation-{start:%Y%m%d}-{end:%Y%m%d}.xlsx", headers, rows)
        headers, rows = payments.reconciliation(g.user, start, end)
        return self.render_template("platform/reconciliation.html", start=start, end=end, headers=headers,
                                    rows=rows, title=_("Reconciliation"))


OrderView = model_view(
    Order, base=OrderBase,
    list_columns=["order_no", "payer_type", "person", "institution", "description", "amount", "status", "method",
                  "expires_at", "paid_at"],
    search_columns=["order_no", "payer_type", "institution", "status", "method", "paid_at", "expires_at"],
    show_columns=["order_no", "payer_type", "person", "institution", "registration", "description", "amount",
                  "status", "method", "expires_at", "paid_at", "parent", "created_at"],
    order_columns=["order_no", "amount", "status", "expires_at", "paid_at"],
    keyword_search=listing.keyword_search(person="person_id", numbers=("order_no",)),
    keyword_hint=_l("Payer's name, pinyin, phone, ID number or order number"),
)


class PaymentBase(FinanceBase):
    base_permissions = READ_ONLY + ["confirm_voucher", "reject_voucher"]
    html_columns = ("voucher_id",)
    reasons = {"reject_voucher": (_l("Reject the voucher"), payments.reject_voucher)}

    def describe(self, item):
        return f"{item.order.order_no} · {item.amount} · {PaymentStatus.label_of(item.status)}"

    @action("confirm_voucher", _l("Confirm the transfer"), confirmation=_l("Has the money arrived in full?"),
            icon="fa-check", multiple=True, single=True)
    def confirm_voucher(self, items):
        return self._decide(items, "confirm_voucher", payments.confirm_voucher,
                            _("Transfers confirmed: %(n)d."))

    @action("reject_voucher", _l("Reject the voucher"), icon="fa-times", multiple=True, single=True)
    def reject_voucher(self, items):
        return self._ask_reason("reject_voucher", items)


PaymentView = model_view(
    Payment, base=PaymentBase,
    list_columns=["order", "method", "gateway", "transaction_id", "amount", "status", "voucher_id", "note",
                  "created_at"],
    search_columns=["method", "gateway", "transaction_id", "status", "created_at"],
    show_columns=["order", "method", "gateway", "transaction_id", "amount", "status", "voucher_id", "note",
                  "raw_notification", "created_at"],
    formatters_columns={"voucher_id": _voucher_link, "order": _order_cell},
    order_columns=["amount", "status", "created_at"],
    base_order=("created_at", "desc"),
)


class InvoiceBase(FinanceBase):
    base_permissions = READ_ONLY + ["invoice_done", "refuse_invoice"]
    reasons = {"refuse_invoice": (_l("Refuse the invoice"), payments.refuse_invoice)}

    def describe(self, item):
        return f"{item.order.order_no} · {item.title} · {item.tax_no or ''}"

    @action("invoice_done", _l("Invoice issued"), confirmation=_l("Has the invoice been issued and sent?"),
            icon="fa-check", multiple=True, single=True)
    def invoice_done(self, items):
        return self._decide(items, "invoice_done", payments.invoice_done, _("Invoices issued: %(n)d."))

    @action("refuse_invoice", _l("Refuse the invoice"), icon="fa-times", multiple=True, single=True)
    def refuse_invoice(self, items):
        return self._ask_reason("refuse_invoice", items)


InvoiceView = model_view(
    Invoice, base=InvoiceBase,
    list_columns=["order", "title", "tax_no", "email", "status", "created_at"],
    search_columns=["title", "tax_no", "email", "status", "created_at"],
    formatters_columns={"order": _order_cell},
    order_columns=["status", "created_at"],
    base_order=("created_at", "desc"),
)


class RefundBase(FinanceBase):
    base_permissions = READ_ONLY + ["approve_refund", "refuse_refund"]
    reasons = {"refuse_refund": (_l("Refuse the refund"), payments.refuse_refund)}

    def describe(self, item):
        return f"{item.order.order_no} · {item.amount} · {item.reason}"

    @action("approve_refund", _l("Approve the refund"),
            confirmation=_l("Refund the fee and cancel the registration?"), icon="fa-undo", multiple=True,
            single=True)
    def approve_refund(self, items):
        return self._decide(items, "approve_refund", payments.approve_refund, _("Refunds approved: %(n)d."))

    @action("refuse_refund", _l("Refuse the refund"), icon="fa-times", multiple=True, single=True)
    def refuse_refund(self, items):
        return self._ask_reason("refuse_refund", items)


RefundView = model_view(
    Refund, base=RefundBase,
    list_columns=["order", "amount", "reason", "status", "created_at"],
    search_columns=["status", "created_at"],
    formatters_columns={"order": _order_cell},
    order_columns=["amount", "status", "created_at"],
    base_order=("created_at", "desc"),
)


# --- the institution pays for its candidates (C4) ---------------------------------------------
class BatchPaymentView(BaseView):
    """An institution's users choose unpaid orders of their own candidates,
    make one batch order of them and pay it online or by voucher."""
    route_base = "/batchpayment"
    default_view = "index"

    def _institution_user(self):
        if INSTITUTION not in role_names(g.user) or g.user.institution_id is None:
            abort(403)
        return g.user

    def _own_batch(self, order_id):
        user = self._institution_user()
        order = db.session.get(Order, order_id)
        if order is None or order.payer_type != PayerType.INSTITUTION.value \
                or order.institution_id != user.institution_id:
            abort(404)
        return order

    @expose("/")
    @has_access
    @permission_name("pay")
    def index(self):
        user = self._institution_user()
        batches = (db.session.query(Order).filter_by(payer_type=PayerType.INSTITUTION.value,
                                                     institution_id=user.institution_id)
                   .order_by(Order.id.desc()).limit(100).all())
        return self.render_template("platform/batch_payment.html", orders=payments.batchable_orders(user),
                                    batches=batches, statuses=OrderStatus)

    @expose("/create", methods=["POST"])
    @has_access
    @permission_name("pay")
    def create(self):
        user = self._institution_user()
        try:
            batch = payments.create_batch(user, request.form.getlist("order_id"))
        except PaymentError as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".index"))
        flash(_("Batch order %(no)s created; please pay it.", no=batch.order_no), "success")
        return redirect(url_for(".show", order_id=batch.id))

    @expose("/<int:order_id>")
    @has_access
    @permission_name("pay")
    def show(self, order_id, errors=None, form=None):
        order = self._own_batch(order_id)
        return self.render_template(
            "platform/batch_order.html", order=order, statuses=OrderStatus, methods=PaymentMethod,
            payment_statuses=PaymentStatus, request_statuses=RequestStatus,
            payable=order.status == OrderStatus.UNPAID.value and not payments.is_overdue(order),
            pending=payments.pending_voucher(order), may_invoice=payments.may_request_invoice(order),
            refund_refusal=payments.refund_refusal,
            vouchers=db.session.query(Payment).filter_by(order_id=order.id).order_by(Payment.id.desc()).all(),
            invoices=db.session.query(Invoice).filter_by(order_id=order.id).order_by(Invoice.id.desc()).all(),
            refunds={c.id: db.session.query(Refund).filter_by(order_id=c.id).order_by(Refund.id.desc()).first()
                     for c in order.children},
            errors=errors or {}, form=form or {})

    def _act(self, order_id, step, message):
        order = self._own_batch(order_id)
        try:
            step(order)
        except PaymentError as exc:
            if exc.field in ("title", "tax_no", "email", "reason"):
                return self.show(order_id, errors={exc.field: str(exc)}, form=request.form)
            flash(str(exc), "danger")
        else:
            flash(message, "success")
        return redirect(url_for(".show", order_id=order_id))

    @expose("/<int:order_id>/pay", methods=["POST"])
    @has_access
    @permission_name("pay")
    def pay(self, order_id):
        order = self._own_batch(order_id)
        try:
            target = payments.start_online(order, g.user, url_for(".payment_return", order_id=order.id))
        except PaymentError as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".show", order_id=order_id))
        return redirect(target)

    @expose("/<int:order_id>/return")
    @has_access
    @permission_name("pay")
    def payment_return(self, order_id):
        order = self._own_batch(order_id)
        return self.render_template("platform/batch_return.html", order=order, statuses=OrderStatus,
                                    cancelled=bool(request.args.get("cancelled")))

    @expose("/<int:order_id>/voucher", methods=["POST"])
    @has_access
    @permission_name("pay")
    def voucher(self, order_id):
        upload = request.files.get("voucher")
        data = upload.read() if upload is not None else b""
        return self._act(order_id, lambda o: payments.upload_voucher(o, g.user, data, upload.filename if upload
                                                                     else ""),
                         _("The voucher has been uploaded; Finance will confirm the payment."))

    @expose("/<int:order_id>/invoice", methods=["POST"])
    @has_access
    @permission_name("pay")
    def invoice(self, order_id):
        form = request.form
        return self._act(order_id, lambda o: payments.request_invoice(o, g.user, form.get("title"),
                                                                      form.get("tax_no"), form.get("email")),
                         _("Your invoice request has been sent to Finance."))

    @expose("/<int:order_id>/cancel", methods=["POST"])
    @has_access
    @permission_name("pay")
    def cancel(self, order_id):
        return self._act(order_id, lambda o: payments.cancel_batch(o, g.user),
                         _("The batch order is cancelled; its orders are unpaid again."))

    @expose("/<int:order_id>/refund/<int:child_id>", methods=["POST"])
    @has_access
    @permission_name("pay")
    def refund(self, order_id, child_id):
        order = self._own_batch(order_id)
        child = next((c for c in order.children if c.id == child_id), None)
        if child is None:
            abort(404)
        try:
            payments.request_refund(child, g.user, request.form.get("reason"))
        except PaymentError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Your refund request has been sent to Finance."), "success")
        return redirect(url_for(".show", order_id=order_id))


MENU = [
    (OrderView, _l("Orders")),
    (PaymentView, _l("Payments")),
    (InvoiceView, _l("Invoices")),
    (RefundView, _l("Refunds")),
    (BatchPaymentView, _l("Batch payment")),
]
APIS = [
    model_api(Order, list_columns=["id", "order_no", "payer_type", "institution_id", "amount", "status", "paid_at"],
              base_permissions=["can_get", "can_info"]),
]
