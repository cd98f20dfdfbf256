"""Payment gateways on the web (SPEC C2): the notify endpoint every gateway
calls, and the built-in sandbox gateway's pay page.

The notify endpoint is CSRF-exempt (a gateway's server posts to it) and
answers plain "success" or "fail", as real gateways expect.  The sandbox
page plays the provider: it shows the amount, lets the payer confirm or
cancel, sends the signed asynchronous notification through a Celery task
and sends the browser back to the merchant's return page.
"""
from flask import Blueprint, abort, current_app, redirect, render_template, request
from flask_babel import get_locale

from app.extensions import csrf
from app.services import payments
from app.services.payments import PaymentError

bp = Blueprint("payments", __name__, url_prefix="/payments")
sandbox_bp = Blueprint("sandbox_gateway", __name__, url_prefix="/sandbox-gateway")


@bp.route("/notify/<gateway>", methods=["POST"])
@csrf.exempt
def notify(gateway):
    answer = payments.receive_notification(gateway, request.form.to_dict())
    return current_app.response_class(answer, mimetype="text/plain")


def _sandbox():
    try:
        return payments.get_gateway("sandbox")
    except PaymentError:
        abort(404)  # the sandbox is switched off


@sandbox_bp.route("/pay/<token>", methods=["GET", "POST"])
def pay(token):
    gateway = _sandbox()
    try:
        pay_request = gateway.read_link(token)
    except PaymentError as exc:
        return render_template("sandbox/pay.html", error=str(exc), get_locale=get_locale), 410
    if request.method == "POST":
        if request.form.get("decision") == "confirm":
            from app.tasks import payment_notification

            # the asynchronous notification: a worker (or, without a broker, this process) delivers it
            payment_notification.delay(gateway.name, gateway.notification_for(pay_request))
            return redirect(pay_request["return_url"])
        return redirect(pay_request["return_url"] + ("&" if "?" in pay_request["return_url"] else "?")
                        + "cancelled=1")
    return render_template("sandbox/pay.html", pay=pay_request, get_locale=get_locale)
