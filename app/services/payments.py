"""Payments (SPEC C1–C7): orders, online gateways, offline vouchers,
institution batches, invoices, refunds and the reconciliation list.

The rules of money live here and nowhere else.  Functions take the acting
user as an argument and know no Flask request.  ``create_order`` runs inside
the caller's transaction (the registration approval); every other
state-changing function is one unit of work: it locks the order row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers), checks,
changes, commits, and only then hands the notifications to the workers.
A refusal raises ``PaymentError`` and leaves nothing half-stored.

Gateways are adapters (``Gateway``) in a registry; the enabled one is
``PAYMENT_GATEWAY``.  The built-in ``SandboxGateway`` behaves like a real
provider: a signed pay link to its own page, and a signed asynchronous
notification (HMAC-SHA256 over the sorted parameters) that reaches
``handle_notification`` through a Celery task, exactly as the HTTP
notify endpoint does.
"""
import contextlib
import datetime
import hashlib
import hmac
import io
import logging
import re
import secrets
import time
from collections import namedtuple
from decimal import Decimal, InvalidOperation

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from stdnum.cn import uscc

from app.extensions import db
from app.roles import INSTITUTION
from app.scoping import role_names, scope_clause
from app.services import files, notifications
from app.services import registration as registration_service
from models import Invoice, Order, Payment, Person, PlatformUser, Refund
from models.enums import OrderStatus as OS
from models.enums import PayerType, PaymentMethod
from models.enums import PaymentStatus as PS
from models.enums import RegistrationStatus as RS
from models.enums import RequestStatus as QS

log = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
TAX_NO = re.compile(r"^[0-9A-Z]{15,20}$")
REASON_MAX = 500
VOUCHER_TYPES = (  # magic bytes -> (content type, extension)
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
)


class PaymentError(Exception):
    """A refused payment step; ``field`` names the form field, ``str()`` the reason."""

    def __init__(self, message, field="form"):
        super().__init__(str(message))
        self.field = field


@contextlib.contextmanager
def _nothing_on_refusal():
    """A refusal leaves nothing behind: the transaction is rolled back before it is raised."""
    try:
        yield
    except PaymentError:
        db.session.rollback()
        raise


def _now():
    return datetime.datetime.now()


def money(value):
    return f"{Decimal(value):.2f}"


# --- who is who ------------------------------------------------------------------------------
def money_order(order):
    """The order the money moves through: a batch child is paid by its parent."""
    return order.parent if order.parent_id is not None else order


def is_payer(order, user):
    """The candidate for a personal order, the institution's users for a batch
    (and for the orders inside a batch)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    payer = money_order(order)
    if payer.payer_type == PayerType.INSTITUTION.value:
        return INSTITUTION in role_names(user) and user.institution_id is not None \
            and user.institution_id == payer.institution_id
    return payer.person is not None and payer.person.user_id == user.id


def is_owner(order, user):
    """The candidate whose registration the order is for (sees it in 缴费记录)."""
    return user is not None and order.person is not None and order.person.user_id == user.id


def _institution_users(institution_id):
    if institution_id is None:
        return []
    users = db.session.query(PlatformUser).filter_by(institution_id=institution_id, active=True).all()
    return [u for u in users if any(r.name == INSTITUTION for r in u.roles)]


def order_link(order):
    if order.payer_type == PayerType.INSTITUTION.value:
        return f"/batchpayment/{order.id}"
    return f"/portal/me/orders/{order.id}"


def _notify_payer(order, title, body=""):
    payer = money_order(order)
    if payer.payer_type == PayerType.INSTITUTION.value:
        return notifications.notify(_institution_users(payer.institution_id), title, body, link=order_link(payer))
    user = payer.person.user if payer.person else None
    return notifications.notify([user], title, body, link=order_link(order))


def _commit(deliveries=()):
    db.session.commit()
    notifications.dispatch(list(deliveries))


def _lock(model, **keys):
    """The row, locked until commit (FOR UPDATE on PostgreSQL), freshly read."""
    return db.session.query(model).filter_by(**keys).with_for_update().populate_existing().one_or_none()


def _lock_children(parent):
    return db.session.query(Order).filter_by(parent_id=parent.id).order_by(Order.id).with_for_update() \
        .populate_existing().all()


# --- orders (C1) -----------------------------------------------------------------------------
def new_order_no(prefix="P", now=None):
    now = now or _now()
    for _attempt in range(10):
        number = f"{prefix}{now:%Y%m%d%H%M%S}{secrets.randbelow(10 ** 6):06d}"
        if db.session.query(Order.id).filter_by(order_no=number).first() is None:
            return number
    raise PaymentError(_("No order number is free; please try again."))


def _expiry(now):
    return now + datetime.timedelta(hours=current_app.config["ORDER_EXPIRY_HOURS"])


def create_order(registration, now=None):
    """C1: the fee order of an approved registration, paid by the candidate.

    Runs in the caller's transaction (the caller commits, then dispatches the
    returned deliveries).  A zero fee needs no payment: the registration is
    successful at once.  Returns ``(order, deliveries)``.
    """
    now = now or _now()
    existing = registration_order(registration)
    if existing is not None:
        return existing, []  # approval effects may run again: one live order per registration
    plan = registration.exam_plan
    fee = Decimal(plan.fee or 0)
    order = Order(order_no=new_order_no("P", now), registration=registration, payer_type=PayerType.PERSON.value,
                  person_id=registration.person_id, institution_id=registration.institution_id,
                  description=plan.name[:255], amount=fee, status=OS.UNPAID.value, expires_at=_expiry(now))
    db.session.add(order)
    deliveries = []
    if fee <= 0:
        order.status, order.paid_at = OS.PAID.value, now
        deliveries = registration_service.mark_registered(registration)
    db.session.flush()
    return order, deliveries


# F2/F10: what paying a matter's fee does, per matter type: callable(order, matter) -> deliveries.
# The matter's rules register it (app/services/personnel.py …); it runs inside the payment's transaction.
MATTER_PAID = {}


def on_matter_paid(type_code):
    def register(fn):
        MATTER_PAID[type_code] = fn
        return fn
    return register


def create_matter_order(matter, amount, description, person=None, institution_id=None, now=None):
    """F2/F10: the fee order of a matter, paid by ``person`` or, when ``institution_id`` is given and no
    person, by that institution.  Runs in the caller's transaction (an effect of the workflow); a live
    order of the matter is reused.  A zero fee is paid at once.  Returns ``(order, deliveries)``."""
    now = now or _now()
    existing = matter_order(matter)
    if existing is not None:
        return existing, []
    payer = PayerType.PERSON if person is not None else PayerType.INSTITUTION
    order = Order(order_no=new_order_no("M", now), matter_id=matter.id, payer_type=payer.value,
                  person_id=person.id if person is not None else None,
                  institution_id=institution_id if institution_id is not None else matter.institution_id,
                  description=str(description)[:255], amount=Decimal(amount or 0), status=OS.UNPAID.value,
                  expires_at=_expiry(now))
    db.session.add(order)
    db.session.flush()
    deliveries = []
    if order.amount <= 0:
        order.status, order.paid_at = OS.PAID.value, now
        deliveries = _matter_paid(order)
    return order, deliveries


def moves_on_when_paid(type_code, state="payment", transition="fee_paid"):
    """F2/F10: a matter waiting at ``state`` for its fee takes ``transition`` (as its applicant) when its
    fee order is paid, inside the payment's transaction."""
    @on_matter_paid(type_code)
    def paid(_order, matter):
        from app import workflow

        return workflow.take(matter.id, transition, matter.applicant)[1] if matter.state == state else []
    return paid


def require_paid(matter, _t, _user):
    """The effect guarding the fee transition: it is never taken without the paid order."""
    order = matter_order(matter)
    if order is None or order.status != OS.PAID.value:
        from app.workflow import WorkflowError

        raise WorkflowError(_("The fee of matter %(no)s is not paid yet.", no=matter.business_no))


def matter_order(matter):
    """The live order of a matter (unpaid, paid or being refunded), if any."""
    return (db.session.query(Order).filter(Order.matter_id == matter.id,
                                           Order.status.in_([OS.UNPAID.value, OS.PAID.value, OS.REFUNDING.value]))
            .order_by(Order.id.desc()).first())


def _matter_paid(order):
    hook = MATTER_PAID.get(order.matter.type_code) if order.matter is not None else None
    return (hook(order, order.matter) or []) if hook else []


def is_overdue(order, now=None):
    return order.status == OS.UNPAID.value and order.expires_at is not None and order.expires_at <= (now or _now())


def _pending_order_ids():
    return select(Payment.order_id).where(Payment.status == PS.PENDING.value)


def pending_voucher(order):
    return db.session.query(Payment).filter_by(order_id=order.id, status=PS.PENDING.value).first()


def _check_payable(order, now):
    """An order the payer may pay now (online or by voucher)."""
    if order.status == OS.EXPIRED.value or is_overdue(order, now):
        raise PaymentError(_("This order has expired."))
    if order.status != OS.UNPAID.value:
        raise PaymentError(_("This order is not awaiting payment."))
    if order.parent_id is not None:
        raise PaymentError(_("This order is paid by your institution in batch order %(no)s.",
                             no=order.parent.order_no))
    if order.amount <= 0:
        raise PaymentError(_("This order has nothing to pay."))


def is_expired(order, now=None):
    """Expired, or overdue and not yet swept by ``expire_orders`` (no voucher awaiting Finance)."""
    if order.status == OS.EXPIRED.value:
        return True
    return is_overdue(order, now) and order.parent_id is None and pending_voucher(order) is None


def can_renew(order, now=None):
    now = now or _now()
    registration = order.registration
    return (is_expired(order, now) and order.parent_id is None and registration is not None
            and registration.status == RS.APPROVED.value and now <= registration.exam_plan.reg_end
            and not db.session.query(Order.id).filter(
                Order.registration_id == registration.id, Order.id != order.id,
                Order.status.in_([OS.UNPAID.value, OS.PAID.value, OS.REFUNDING.value])).first())


def renew_order(order, user, now=None):
    """A new order for an expired one, while the exam's registration window is open."""
    now = now or _now()
    order = _lock(Order, id=order.id)
    if order is None or not is_owner(order, user):
        raise PaymentError(_("This order is not yours."))
    if not is_expired(order, now):
        raise PaymentError(_("Only an expired order can be renewed."))
    if order.registration is None or now > order.registration.exam_plan.reg_end:
        raise PaymentError(_("Registration for this exam has closed; the order cannot be renewed."))
    if not can_renew(order, now):
        raise PaymentError(_("This order cannot be renewed."))
    order.status = OS.EXPIRED.value  # swept now if the job has not come by yet
    db.session.flush()
    new, deliveries = create_order(order.registration, now)
    _commit(deliveries)
    return new


def expire_orders(now=None):
    """C2: unpaid orders past their expiry are closed as expired; the orders
    of an expired batch go back to their candidates.  A voucher awaiting
    Finance keeps its order open.  Returns the number expired."""
    now = now or _now()
    due = (db.session.query(Order.id).filter(Order.status == OS.UNPAID.value, Order.parent_id.is_(None),
                                             Order.expires_at.isnot(None), Order.expires_at <= now,
                                             Order.id.notin_(_pending_order_ids()))
           .order_by(Order.payer_type, Order.id).all())  # "institution" < "person": batches first
    count, deliveries = 0, []
    for (order_id,) in due:
        order = _lock(Order, id=order_id)
        if order is None or not is_overdue(order, now) or order.parent_id is not None \
                or pending_voucher(order) is not None:
            continue
        order.status = OS.EXPIRED.value
        for child in _lock_children(order):
            child.parent_id = None  # back to the candidate (expired in turn when overdue)
            if is_overdue(child, now):
                child.status = OS.EXPIRED.value
                count += 1
        deliveries += _notify_payer(order, _l("Order %(no)s has expired", no=order.order_no),
                                    _l("The order was not paid in time. While registration is open you may "
                                       "renew it and pay."))
        count += 1
        db.session.commit()
    notifications.dispatch(deliveries)
    return count


# --- gateways (C2) ---------------------------------------------------------------------------
Notification = namedtuple("Notification", "trade_no order_no amount paid")


class Gateway:
    """A payment provider.  ``start`` gives the URL the payer is sent to;
    ``verify`` reads a notification's parameters into a ``Notification``
    (raising PaymentError when the signature or the fields are wrong)."""
    name = ""
    label = ""

    def start(self, order, return_url):
        raise NotImplementedError

    def verify(self, params):
        raise NotImplementedError

    def refund(self, order, amount):
        """Give money back through the provider (a real adapter calls its API)."""
        return None


GATEWAYS = {}


def register_gateway(cls):
    GATEWAYS[cls.name] = cls()
    return cls


def enabled_gateways():
    configured = current_app.config.get("PAYMENT_GATEWAY") or ""
    return [name.strip() for name in configured.split(",") if name.strip() in GATEWAYS]


def get_gateway(name=None):
    """The enabled gateway called ``name`` (the configured one when omitted)."""
    names = enabled_gateways()
    name = name or (names[0] if names else None)
    if name not in names:
        raise PaymentError(_("This payment gateway is not available."))
    return GATEWAYS[name]


def sign(secret, params):
    """HMAC-SHA256 (hex) over ``k=v`` pairs sorted by key, without ``sign`` and empty values."""
    text = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] not in (None, ""))
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


@register_gateway
class SandboxGateway(Gateway):
    """A provider that lives inside the platform, for development and tests:
    it moves no money, and says so on every page."""
    name = "sandbox"
    label = _l("Sandbox (no real money)")
    FIELDS = ("trade_no", "order_no", "amount", "status", "timestamp", "nonce", "sign")
    PAY_LINK_SECONDS = 3600

    @staticmethod
    def secret():
        configured = current_app.config.get("PAYMENT_SANDBOX_SECRET")
        if configured:
            return configured.encode()
        return hashlib.sha256(b"payment-sandbox|" + current_app.config["SECRET_KEY"].encode()).digest()

    def _links(self):
        return URLSafeTimedSerializer(self.secret(), salt="sandbox-pay-link")

    def start(self, order, return_url):
        token = self._links().dumps({"order_no": order.order_no, "amount": money(order.amount),
                                     "subject": order.description or order.order_no, "return_url": return_url})
        return url_for("sandbox_gateway.pay", token=token)

    def read_link(self, token):
        """The pay request inside a pay link (the gateway's own side)."""
        try:
            return self._links().loads(token, max_age=self.PAY_LINK_SECONDS)
        except SignatureExpired:
            raise PaymentError(_("This payment link has expired; please start the payment again.")) from None
        except BadSignature:
            raise PaymentError(_("This payment link is not valid.")) from None

    def notification_for(self, pay_request, status="SUCCESS"):
        """The signed notification the gateway sends once the payer confirmed."""
        params = {"trade_no": f"SBX{time.strftime('%Y%m%d%H%M%S')}{secrets.token_hex(5).upper()}",
                  "order_no": pay_request["order_no"], "amount": pay_request["amount"], "status": status,
                  "timestamp": str(int(time.time())), "nonce": secrets.token_hex(8)}
        params["sign"] = sign(self.secret(), params)
        return params

    def verify(self, params):
        params = {k: str(v) for k, v in dict(params).items()}
        missing = [k for k in self.FIELDS if not params.get(k)]
        if missing:
            raise PaymentError(_("The notification lacks %(fields)s.", fields=", ".join(missing)))
        if not hmac.compare_digest(sign(self.secret(), params), params["sign"].lower()):
            raise PaymentError(_("The notification's signature is not valid."))
        if not params["timestamp"].isdigit() or int(params["timestamp"]) > time.time() + 300:
            raise PaymentError(_("The notification's time is not valid."))
        return Notification(params["trade_no"][:64], params["order_no"], _amount(params["amount"]),
                            params["status"] == "SUCCESS")


def _amount(text):
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError, TypeError):
        value = None
    if value is None or not value.is_finite():
        raise PaymentError(_("The amount is not a number."))
    return value


def start_online(order, user, return_url, now=None):
    """C2: the URL that sends the payer to the gateway's pay page."""
    if not is_payer(order, user):
        raise PaymentError(_("This order is not yours."))
    _check_payable(order, now or _now())
    if pending_voucher(order) is not None:
        raise PaymentError(_("A transfer voucher for this order is awaiting confirmation."))
    return get_gateway().start(order, return_url)


def handle_notification(gateway_name, params, now=None):
    """C2: a gateway says an order was paid.  Checked: the signature, the
    order, the amount (exactly the order's), the state.  Idempotent by the
    gateway's transaction number: a duplicate answers "success" and stores
    nothing.  Returns "success"; a refusal raises PaymentError with nothing
    stored."""
    now = now or _now()
    gateway = get_gateway(gateway_name)
    with _nothing_on_refusal():
        note = gateway.verify(params)
        order = _lock(Order, order_no=note.order_no)
        if order is None:
            raise PaymentError(_("There is no order %(no)s.", no=note.order_no))
        seen = db.session.query(Payment).filter_by(transaction_id=note.trade_no).first()
        if seen is not None:
            if seen.order_id != order.id:
                raise PaymentError(_("Transaction %(no)s belongs to another order.", no=note.trade_no))
            db.session.rollback()
            return "success"  # a duplicate: already handled
        if not note.paid:
            db.session.rollback()
            return "success"  # a closed or failed trade: acknowledged, nothing to do
        if note.amount != order.amount:
            raise PaymentError(_("The amount %(paid)s does not match the order's %(due)s.",
                                 paid=money(note.amount), due=money(order.amount)))
        if order.status == OS.PAID.value:
            raise PaymentError(_("Order %(no)s was already paid by another transaction.", no=order.order_no))
        _check_payable(order, now)
        deliveries = _mark_paid(order, PaymentMethod.ONLINE, now)
        db.session.add(Payment(order_id=order.id, method=PaymentMethod.ONLINE.value, gateway=gateway.name,
                               transaction_id=note.trade_no, amount=note.amount, status=PS.CONFIRMED.value,
                               raw_notification={k: str(v) for k, v in dict(params).items()}))
        try:
            db.session.commit()
        except IntegrityError:  # the same transaction stored meanwhile (SQLite has no row lock)
            db.session.rollback()
            if db.session.query(Payment).filter_by(transaction_id=note.trade_no, order_id=order.id).first():
                return "success"
            raise
    notifications.dispatch(deliveries)
    return "success"


def receive_notification(gateway_name, params):
    """The answer a gateway expects: "success", or "fail" (it will send again)."""
    try:
        return handle_notification(gateway_name, params)
    except PaymentError as exc:
        log.warning("payment notification refused (%s): %s %s", gateway_name, exc,
                    {k: v for k, v in dict(params).items() if k != "sign"})
        return "fail"


def _mark_paid(order, method, now):
    """The order (and each order of a batch) is paid; registrations become
    successful.  Returns the deliveries."""
    deliveries = []
    for item in [order, *_lock_children(order)]:
        if item is not order and item.status != OS.UNPAID.value:
            continue  # a child closed meanwhile (its registration given up) is not paid for
        item.status, item.method, item.paid_at = OS.PAID.value, method.value, now
        for voucher in db.session.query(Payment).filter_by(order_id=item.id, status=PS.PENDING.value):
            voucher.status, voucher.note = PS.REJECTED.value, str(_l("The order was paid otherwise."))
        registration = item.registration
        if registration is not None and registration.status == RS.APPROVED.value:
            deliveries += registration_service.mark_registered(registration)
        deliveries += _matter_paid(item)
    if order.payer_type == PayerType.INSTITUTION.value and order.children:
        deliveries += _notify_payer(order, _l("Batch order %(no)s is paid", no=order.order_no),
                                    _l("%(n)d registrations are successful.", n=len(order.children)))
    elif order.payer_type == PayerType.INSTITUTION.value:  # a matter's fee (F2, F10) paid by the institution
        deliveries += _notify_payer(order, _l("Order %(no)s is paid", no=order.order_no), order.description or "")
    return deliveries


# --- offline vouchers (C3) -------------------------------------------------------------------
def check_voucher_file(data):
    """(content type, extension) of a voucher: JPG, PNG or PDF of at most 2 MB,
    recognised by its first bytes, not by its name."""
    limit = current_app.config["VOUCHER_MAX_BYTES"]
    if not data:
        raise PaymentError(_("Please choose the voucher file."), "voucher")
    if len(data) > limit:
        raise PaymentError(_("The voucher is larger than %(mb)d MB.", mb=limit // (1024 * 1024)), "voucher")
    found = next(((ct, ext) for magic, ct, ext in VOUCHER_TYPES if data.startswith(magic)), None)
    if found is None:
        raise PaymentError(_("Only JPG, PNG or PDF vouchers are accepted."), "voucher")
    content_type, ext = found
    if ext != "pdf":
        try:
            with Image.open(io.BytesIO(data), formats=["JPEG" if ext == "jpg" else "PNG"]) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            raise PaymentError(_("The voucher picture cannot be read."), "voucher") from None
    return content_type, ext


def upload_voucher(order, user, data, filename, now=None):
    """C3: the payer uploads a transfer voucher; Finance will confirm it."""
    now = now or _now()
    content_type, ext = check_voucher_file(data)
    order = _lock(Order, id=order.id)
    with _nothing_on_refusal():
        if order is None or not is_payer(order, user):
            raise PaymentError(_("This order is not yours."))
        _check_payable(order, now)
        if pending_voucher(order) is not None:
            raise PaymentError(_("A transfer voucher for this order is awaiting confirmation."), "voucher")
    base = (filename or "voucher").rsplit(".", 1)[0][:100] or "voucher"
    attachment = files.store(data, f"{base}.{ext}", content_type, "voucher", user=user, person=order.person,
                             institution_id=order.institution_id)
    db.session.flush()
    payment = Payment(order_id=order.id, method=PaymentMethod.OFFLINE.value, amount=order.amount,
                      status=PS.PENDING.value, voucher_id=attachment.id)
    db.session.add(payment)
    _commit()
    return payment


def _locked_with_order(model, row_id):
    """(row, its order), both locked: the order first, as every payment step locks it
    (one order of locks, so concurrent steps queue instead of deadlocking)."""
    found = db.session.get(model, row_id)
    if found is None:
        return None, None
    order = _lock(Order, id=found.order_id)
    return _lock(model, id=row_id), order


def _locked_pending(payment_id):
    payment, order = _locked_with_order(Payment, payment_id)
    if payment is None:
        raise PaymentError(_("There is no such payment."))
    if payment.status != PS.PENDING.value or payment.method != PaymentMethod.OFFLINE.value:
        raise PaymentError(_("Payment of order %(no)s is not awaiting confirmation.", no=order.order_no))
    return payment, order


def confirm_voucher(payment_id, user, now=None):
    """C3: Finance saw the money arrive: the order is paid."""
    now = now or _now()
    with _nothing_on_refusal():
        payment, order = _locked_pending(payment_id)
        if order.status != OS.UNPAID.value:
            raise PaymentError(_("Order %(no)s is not awaiting payment.", no=order.order_no))
        if payment.amount != order.amount:
            raise PaymentError(_("The amount %(paid)s does not match the order's %(due)s.",
                                 paid=money(payment.amount), due=money(order.amount)))
        payment.status, payment.confirmed_by_id = PS.CONFIRMED.value, user.id
        deliveries = _mark_paid(order, PaymentMethod.OFFLINE, now)
    _commit(deliveries)
    return order


def reject_voucher(payment_id, user, reason, now=None):
    """C3: the voucher does not prove the payment; the payer may upload again."""
    now = now or _now()
    reason = _reason(reason)
    with _nothing_on_refusal():
        payment, order = _locked_pending(payment_id)
    payment.status, payment.confirmed_by_id, payment.note = PS.REJECTED.value, user.id, reason
    if order.status == OS.UNPAID.value and is_overdue(order, now):
        order.expires_at = _expiry(now)  # time to upload a better voucher
    deliveries = _notify_payer(order, _l("Transfer voucher of order %(no)s rejected", no=order.order_no),
                               _l("Reason: %(reason)s. You may upload the voucher again.", reason=reason))
    _commit(deliveries)
    return payment


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError(_("Please give the reason."), "reason")
    if len(reason) > REASON_MAX:
        raise PaymentError(_("The reason may have at most %(n)d characters.", n=REASON_MAX), "reason")
    return reason


# --- institution batches (C4) ----------------------------------------------------------------
def batchable_orders(user, now=None):
    """Unpaid orders of the institution's own candidates that a batch may take."""
    now = now or _now()
    if user is None or user.institution_id is None:
        return []
    return (db.session.query(Order)
            .filter(Order.institution_id == user.institution_id, Order.status == OS.UNPAID.value,
                    Order.payer_type == PayerType.PERSON.value, Order.parent_id.is_(None),
                    Order.amount > 0, Order.expires_at > now, Order.id.notin_(_pending_order_ids()))
            .order_by(Order.id).all())


def create_batch(user, order_ids, now=None):
    """C4: the institution pays for some of its candidates in one order."""
    now = now or _now()
    if user is None or user.institution_id is None or INSTITUTION not in role_names(user):
        raise PaymentError(_("Only an institution's users may pay for a batch."))
    ids = sorted({int(i) for i in order_ids if str(i).isdigit()})
    if not ids:
        raise PaymentError(_("Please choose at least one order."), "orders")
    with _nothing_on_refusal():
        children = db.session.query(Order).filter(Order.id.in_(ids)).order_by(Order.id).with_for_update() \
            .populate_existing().all()
        if len(children) != len(ids):
            raise PaymentError(_("Some of the chosen orders do not exist."), "orders")
        for child in children:
            if child.institution_id != user.institution_id:
                raise PaymentError(_("Order %(no)s is not one of your institution's.", no=child.order_no), "orders")
            if child.payer_type != PayerType.PERSON.value or child.children:
                raise PaymentError(_("Order %(no)s cannot go into a batch.", no=child.order_no), "orders")
            _check_payable(child, now)
            if pending_voucher(child) is not None:
                raise PaymentError(_("A transfer voucher for order %(no)s is awaiting confirmation.",
                                     no=child.order_no), "orders")
    parent = Order(order_no=new_order_no("B", now), payer_type=PayerType.INSTITUTION.value,
                   institution_id=user.institution_id, amount=sum((c.amount for c in children), Decimal("0")),
                   description=str(_l("Batch payment for %(n)d registrations", n=len(children)))[:255],
                   status=OS.UNPAID.value, expires_at=min([_expiry(now)] + [c.expires_at for c in children]))
    db.session.add(parent)
    db.session.flush()
    for child in children:
        child.parent_id = parent.id
    _commit()
    return parent


def cancel_batch(order, user):
    """The institution gives up an unpaid batch: its orders go back to the candidates."""
    order = _lock(Order, id=order.id)
    with _nothing_on_refusal():
        if order is None or order.payer_type != PayerType.INSTITUTION.value or not is_payer(order, user):
            raise PaymentError(_("This order is not yours."))
        if order.status != OS.UNPAID.value:
            raise PaymentError(_("Only an unpaid batch can be cancelled."))
        if pending_voucher(order) is not None:
            raise PaymentError(_("A transfer voucher for this order is awaiting confirmation."))
    order.status = OS.CLOSED.value
    for child in _lock_children(order):
        child.parent_id = None
    _commit()
    return order


# --- invoices (C5) ---------------------------------------------------------------------------
def normalise_tax_no(value):
    """A taxpayer number: 15–20 digits or capital letters; 18 must be a valid USCC."""
    value = re.sub(r"\s+", "", value or "").upper()
    if not value:
        return ""
    if not TAX_NO.fullmatch(value) or (len(value) == 18 and not uscc.is_valid(value)):
        raise PaymentError(_("The tax number is not valid (15–20 digits or capital letters; an 18-character "
                             "number must be a unified social credit code)."), "tax_no")
    return value


def may_request_invoice(order):
    return order.parent_id is None and order.status == OS.PAID.value and order.amount > 0 and not (
        db.session.query(Invoice.id).filter(Invoice.order_id == order.id,
                                            Invoice.status.in_([QS.REQUESTED.value, QS.DONE.value])).first())


def request_invoice(order, user, title, tax_no, email):
    """C5: an invoice for a paid order: title, tax number, e-mail."""
    title = (title or "").strip()
    email = (email or "").strip().lower()
    if not title:
        raise PaymentError(_("Please enter the invoice title."), "title")
    if len(title) > 128:
        raise PaymentError(_("The invoice title may have at most 128 characters."), "title")
    tax_no = normalise_tax_no(tax_no)
    if order.payer_type == PayerType.INSTITUTION.value and not tax_no:
        raise PaymentError(_("Please enter the institution's tax number."), "tax_no")
    if not EMAIL.fullmatch(email) or len(email) > 120:
        raise PaymentError(_("Please enter a valid e-mail address."), "email")
    order = _lock(Order, id=order.id)
    with _nothing_on_refusal():
        if order is None or not is_payer(order, user) or order.parent_id is not None:
            raise PaymentError(_("This order is not yours."))
        if order.status != OS.PAID.value or order.amount <= 0:
            raise PaymentError(_("An invoice can be requested only for a paid order."))
        if not may_request_invoice(order):
            raise PaymentError(_("An invoice for this order has already been requested."))
    invoice = Invoice(order_id=order.id, title=title, tax_no=tax_no or None, email=email,
                      status=QS.REQUESTED.value)
    db.session.add(invoice)
    _commit()
    return invoice


def _locked_request(model, request_id):
    item, order = _locked_with_order(model, request_id)
    if item is None:
        raise PaymentError(_("There is no such request."))
    if item.status != QS.REQUESTED.value:
        raise PaymentError(_("This request has already been handled."))
    return item, order


def invoice_done(invoice_id, user):
    with _nothing_on_refusal():
        invoice, _order = _locked_request(Invoice, invoice_id)
    invoice.status = QS.DONE.value
    deliveries = _notify_payer(invoice.order, _l("Invoice for order %(no)s issued", no=invoice.order.order_no),
                               _l("The invoice has been sent to %(email)s.", email=invoice.email))
    _commit(deliveries)
    return invoice


def refuse_invoice(invoice_id, user, reason):
    reason = _reason(reason)
    with _nothing_on_refusal():
        invoice, _order = _locked_request(Invoice, invoice_id)
    invoice.status = QS.REFUSED.value
    deliveries = _notify_payer(invoice.order, _l("Invoice request for order %(no)s refused",
                                                 no=invoice.order.order_no),
                               _l("Reason: %(reason)s. You may request the invoice again.", reason=reason))
    _commit(deliveries)
    return invoice


# --- refunds (C6) ----------------------------------------------------------------------------
def refund_refusal(order, now=None):
    """Why ``order`` may not be refunded now, or None (the exam's policy decides)."""
    now = now or _now()
    registration = order.registration
    if order.matter_id is not None:  # F2/F10: what the fee bought (a review, a membership) stays given
        return _("The fee of a matter is not refunded online; please contact the Association.")
    if registration is None or order.children:
        return _("A batch is refunded per registration.")
    if order.status != OS.PAID.value or order.amount <= 0:
        return _("Only a paid order can be refunded.")
    if not registration.exam_plan.refundable:
        return _("The fee of this exam is not refundable.")
    if now >= registration.exam_plan.exam_start:
        return _("The exam has started; the fee can no longer be refunded.")
    return None


def request_refund(order, user, reason, now=None):
    """C6: the payer asks for the fee back where the exam's policy allows it."""
    now = now or _now()
    reason = _reason(reason)
    order = _lock(Order, id=order.id)
    with _nothing_on_refusal():
        if order is None or not is_payer(order, user):
            raise PaymentError(_("This order is not yours."))
        refusal = refund_refusal(order, now)
        if refusal:
            raise PaymentError(refusal)
    order.status = OS.REFUNDING.value
    refund = Refund(order_id=order.id, amount=order.amount, reason=reason, status=QS.REQUESTED.value)
    db.session.add(refund)
    _commit()
    return refund


def approve_refund(refund_id, user):
    """C6: Finance gives the fee back; the registration is cancelled."""
    with _nothing_on_refusal():
        refund, order = _locked_request(Refund, refund_id)
        if order.status != OS.REFUNDING.value:
            raise PaymentError(_("Order %(no)s is not awaiting a refund.", no=order.order_no))
    online = db.session.query(Payment).filter_by(order_id=money_order(order).id, status=PS.CONFIRMED.value,
                                                 method=PaymentMethod.ONLINE.value).first()
    if online is not None and online.gateway in GATEWAYS:
        GATEWAYS[online.gateway].refund(order, refund.amount)
    refund.status, refund.handled_by_id = QS.DONE.value, user.id
    order.status = OS.REFUNDED.value
    deliveries = []
    if order.registration is not None:
        deliveries += registration_service.cancel_after_refund(order.registration)
    if money_order(order).payer_type == PayerType.INSTITUTION.value:
        deliveries += _notify_payer(order, _l("Refund of order %(no)s approved", no=order.order_no),
                                    _l("%(amount)s yuan will be returned to the payer.", amount=money(refund.amount)))
    _commit(deliveries)
    return refund


def refuse_refund(refund_id, user, reason):
    """C6: the refund is refused; the order is paid again."""
    reason = _reason(reason)
    with _nothing_on_refusal():
        refund, order = _locked_request(Refund, refund_id)
    refund.status, refund.handled_by_id = QS.REFUSED.value, user.id
    if order.status == OS.REFUNDING.value:
        order.status = OS.PAID.value
    deliveries = _notify_payer(order, _l("Refund of order %(no)s refused", no=order.order_no),
                               _l("Reason: %(reason)s", reason=reason))
    _commit(deliveries)
    return refund


# --- records and reconciliation (C7) ---------------------------------------------------------
def orders_of(user):
    """缴费记录: the orders of the candidate's own registrations, newest first."""
    person = db.session.query(Person).filter_by(user_id=user.id).first()
    if person is None:
        return []
    return db.session.query(Order).filter_by(person_id=person.id).order_by(Order.id.desc()).all()


def confirmed_payment(order):
    return db.session.query(Payment).filter_by(order_id=order.id, status=PS.CONFIRMED.value) \
        .order_by(Payment.id.desc()).first()


RECONCILIATION_HEADERS = (_l("Order number"), _l("Payer"), _l("Exam"), _l("Amount (yuan)"), _l("Payment method"),
                          _l("Gateway transaction number"), _l("Paid at"), _l("Status"), _l("Orders in the batch"))


def reconciliation(user, start=None, end=None):
    """(headers, rows) of the money received between two dates (inclusive):
    one row per payment (a batch is one row), then the total."""
    query = db.session.query(Order).filter(Order.parent_id.is_(None), Order.paid_at.isnot(None))
    clause = scope_clause(Order, {INSTITUTION: "institution_id"}, user)
    if clause is not None:
        query = query.filter(clause)
    if start:
        query = query.filter(Order.paid_at >= datetime.datetime.combine(start, datetime.time.min))
    if end:
        query = query.filter(Order.paid_at < datetime.datetime.combine(end, datetime.time.min)
                             + datetime.timedelta(days=1))
    rows, total = [], Decimal("0")
    for order in query.order_by(Order.paid_at, Order.id).all():
        payment = confirmed_payment(order)
        payer = (order.institution.name if order.payer_type == PayerType.INSTITUTION.value and order.institution
                 else (order.person.name if order.person else ""))
        exam = order.registration.exam_plan.name if order.registration else (order.description or "")
        rows.append([order.order_no, payer, exam, order.amount, PaymentMethod.label_of(order.method),
                     payment.transaction_id if payment and payment.transaction_id else "",
                     order.paid_at, OS.label_of(order.status),
                     ", ".join(c.order_no for c in order.children)])
        total += order.amount
    rows.append([str(_l("Total amount")), "", "", total, "", "", "", "", ""])
    return [str(h) for h in RECONCILIATION_HEADERS], rows


def registration_order(registration):
    """The live order of a registration (unpaid, paid or being refunded), if any."""
    return (db.session.query(Order).filter(Order.registration_id == registration.id,
                                           Order.status.in_([OS.UNPAID.value, OS.PAID.value, OS.REFUNDING.value]))
            .order_by(Order.id.desc()).first())

