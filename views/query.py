"""I5 公开查询: one public hall, no login — certificate (E5), training certificate, qualification, exam,
teacher and training-plan look-ups, each a form with an image code, plus JSON twins for third parties.

The rules (which fields, what is public, what "not found" means) live in app/services/public_query.py;
the certificate look-up is E5's own (views.verify.find, certificates.public_facts, its result page).
Lookups (every form POST, every JSON GET) share the certificate check's per-IP limit ("verify",
VERIFY_RATE_LIMIT; wrapped in views/__init__.py); showing an empty form does not count.
"""
from flask import Blueprint, abort, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from app.services import public_query
from app.services.accounts import AccountError
from app.services.public_query import KINDS, QueryError
from models.enums import CertLevel
from views import verify
from views.portal import _check_captcha, _new_captcha

bp = Blueprint("query", __name__, url_prefix="/query")


def _wants_json():
    return request.path.startswith("/query/api")


def _render(template, status=200, **context):
    return render_template(f"query/{template}", get_locale=get_locale, kinds=list(KINDS.values()),
                           level_label=CertLevel.label_of, **context), status


def _kind(code):
    kind = KINDS.get(code)
    if kind is None:
        abort(404)
    return kind


@bp.errorhandler(404)
def not_found(_exc):
    if _wants_json():
        return jsonify(found=False), 404
    return _render("error.html", 404, message=_("This page does not exist."))


@bp.errorhandler(429)
def too_many(_exc):
    message = _("Too many verification requests from your network; please wait a minute and try again.")
    if _wants_json():
        return jsonify(found=False, message=message), 429
    return _render("error.html", 429, message=message)


@bp.route("/")
def index():
    """The hall: one card per query."""
    return _render("index.html")


@bp.route("/<code>", methods=["GET", "POST"])
def lookup(code):
    """A query's form (GET, prefilled from the query string, e.g. from the home page's box) and its
    answer (POST, image code first)."""
    kind = _kind(code)
    errors, form = {}, {f.key: request.values.get(f.key, "").strip()[:f.max_length] for f in kind.fields}
    if request.method == "POST":
        form = {f.key: request.form.get(f.key, "").strip() for f in kind.fields}
        try:
            _check_captcha()
            values = public_query.clean(kind, request.form)
            if kind.code == "certificate":
                cert = verify.find(values["serial"], values["name"])
                if cert is not None:
                    return verify._result(cert)
                facts = None
            else:
                facts = public_query.lookup(kind.code, values, verify.find)
            if facts is not None:
                return _render(f"{kind.code}.html", kind=kind, facts=facts)
            errors["form"] = str(kind.not_found)
        except (AccountError, QueryError) as exc:
            errors[exc.field] = str(exc)
        form = {key: value[:200] for key, value in form.items()}  # shown again, never a huge echo
    return _render("form.html", kind=kind, errors=errors, form=form, captcha=_new_captcha())


@bp.route("/api/<code>")
def api(code):
    """JSON for third parties: ?<fields>… (no image code; rate-limited per IP with the verification)."""
    kind = _kind(code)
    try:
        values = public_query.clean(kind, request.args)
    except QueryError as exc:
        return jsonify(found=False, field=exc.field, message=str(exc)), 400
    facts = public_query.lookup(kind.code, values, verify.find)
    if facts is None:
        response = jsonify(found=False)
        response.status_code = 404
    else:
        response = jsonify(found=True, **facts)
    response.headers["Cache-Control"] = "no-store"
    return response
