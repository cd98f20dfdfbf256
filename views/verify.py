"""证书查询 (SPEC E5): anyone verifies a certificate — by number + name (+ image code) on the
page, by the QR link's token, or as JSON for third parties — and may check a PDF against the
SHA-256 stored when it was issued.  Only ``certificates.public_facts`` is ever shown.

The JSON answers and the PDF check are rate-limited per IP (views/__init__.py, VERIFY_RATE_LIMIT).
"""
import hashlib
import hmac

from flask import Blueprint, abort, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.services import certificates
from app.services.accounts import AccountError
from models import Certificate
from models.enums import CertLevel
from views.portal import _check_captcha, _new_captcha

bp = Blueprint("verify", __name__, url_prefix="/verify")
PDF_MAX_BYTES = 10 * 1024 * 1024


def _render(template, status=200, **context):
    return render_template(f"verify/{template}", get_locale=get_locale, level_label=CertLevel.label_of,
                           **context), status


def _wants_json():
    return request.path.startswith("/verify/api")


def find(serial, name):
    """The certificate of this number whose holder (as printed on that version) has exactly this
    name; None otherwise — a wrong name answers like an unknown number."""
    serial, name = (serial or "").strip(), (name or "").strip()
    if not serial or not name:
        return None
    cert = db.session.scalar(select(Certificate).where(Certificate.serial == serial))
    if cert is None or not hmac.compare_digest((cert.holder_name or "").encode(), name.encode()):
        return None
    return cert


def _by_token(token):
    cert = db.session.scalar(select(Certificate).where(Certificate.token == token))
    if cert is None:
        abort(404)
    return cert


def _result(cert, check=None, error=None, status=200):
    return _render("result.html", status, cert=cert, facts=certificates.public_facts(cert), check=check,
                   error=error, max_mb=PDF_MAX_BYTES // (1024 * 1024))


@bp.errorhandler(404)
def not_found(_exc):
    if _wants_json():
        return jsonify(found=False), 404
    return _render("error.html", 404, message=_("No certificate belongs to this verification link."))


@bp.errorhandler(413)
def too_large(_exc):
    return _render("error.html", 413, message=_("The file is larger than %(mb)d MB.",
                                                mb=PDF_MAX_BYTES // (1024 * 1024)))


@bp.errorhandler(429)
def too_many(_exc):
    message = _("Too many verification requests from your network; please wait a minute and try again.")
    if _wants_json():
        return jsonify(found=False, message=message), 429
    return _render("error.html", 429, message=message)


@bp.route("/", methods=["GET", "POST"])
def index():
    errors, form = {}, {}
    if request.method == "POST":
        form = {key: request.form.get(key, "").strip() for key in ("serial", "name")}
        try:
            _check_captcha()
            if not form["serial"]:
                raise AccountError("serial", _("Enter the certificate number."))
            if not form["name"]:
                raise AccountError("name", _("Enter the holder's name."))
            cert = find(form["serial"], form["name"])
            if cert is not None:
                return _result(cert)
            errors["form"] = _("No certificate was found; check the certificate number and the holder's name.")
        except AccountError as exc:
            errors[exc.field] = str(exc)
    return _render("index.html", errors=errors, form=form, captcha=_new_captcha())


@bp.route("/c/<token>")
def by_token(token):
    """The QR code's address: the same result without typing, alive after cancellation or replacement."""
    return _result(_by_token(token))


@bp.route("/c/<token>/pdf", methods=["POST"])
def check_pdf(token):
    """Is the uploaded file the PDF that was issued?  Its SHA-256 against the stored one."""
    cert = _by_token(token)
    upload = request.files.get("pdf")  # beyond MAX_CONTENT_LENGTH: 413, answered by too_large
    data = upload.stream.read(PDF_MAX_BYTES + 1) if upload else b""
    if not data:
        return _result(cert, error=_("Choose the PDF file to check."), status=400)
    if len(data) > PDF_MAX_BYTES:
        return _result(cert, error=_("The file is larger than %(mb)d MB.", mb=PDF_MAX_BYTES // (1024 * 1024)),
                       status=400)
    if not data.startswith(b"%PDF-"):
        return _result(cert, error=_("Only PDF files can be checked."), status=400)
    if not cert.pdf_sha256:
        return _result(cert, error=_("No issued file is recorded for this certificate."), status=400)
    digest = hashlib.sha256(data).hexdigest()
    return _result(cert, check={"sha256": digest, "same": hmac.compare_digest(digest, cert.pdf_sha256)})


def _json(cert):
    if cert is None:
        return jsonify(found=False), 404
    response = jsonify(found=True, **certificates.public_facts(cert))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/api")
def api():
    """JSON for third parties: ?serial=…&name=… (no image code; rate-limited per IP)."""
    if not request.args.get("serial", "").strip() or not request.args.get("name", "").strip():
        return jsonify(found=False, message=_("Give the certificate number (serial) and the holder's name "
                                               "(name).")), 400
    return _json(find(request.args["serial"], request.args["name"]))


@bp.route("/api/c/<token>")
def api_by_token(token):
    return _json(db.session.scalar(select(Certificate).where(Certificate.token == token)))
