"""考生门户: the candidates' self-service portal (SPEC A1–A6, B1, personal centre).

Candidates never see the back office.  Pages are plain Flask views with a
mobile-friendly layout; rules live in app/services (accounts, verification).
"""
import datetime
import functools
import io

import segno
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_user
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.page_cache import cached_page
from app.roles import CANDIDATE
from app.scoping import role_names
from app.services import accounts, institutions, matter_content, messages, photos, registration, seats, verification
from app.services import announcements as announcement_service
from app.services import realname as realname_service
from app.services.accounts import AccountError
from app.services.verification import VerificationError
from models import ExamPlan, Matter, MessageThread, Notification, PlatformUser, Registration
from models.enums import (
    CertLevel,
    ExamCategory,
    ExamStatus,
    Gender,
    IdType,
    MatterStatus,
    MessageCategory,
    ThreadStatus,
)

bp = Blueprint("portal", __name__, url_prefix="/portal")


def render(template, **context):
    return render_template(f"portal/{template}", get_locale=get_locale, **context)


def current_candidate():
    user = getattr(g, "user", None)
    return user if user is not None and user.is_authenticated else None


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_candidate() is None:
            return redirect(url_for("portal.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def profile_required(view):
    """Applying for anything needs the completed profile first (A2)."""
    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not accounts.profile_complete(g.user):
            flash(_("Complete your profile before you apply."), "warning")
            return redirect(url_for("portal.complete_profile", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def is_portal_user(user):
    """Users whose home is the portal: candidates (anyone without a back-office role)."""
    return user is not None and user.is_authenticated and role_names(user) <= {CANDIDATE}


def _errors_from(exc):
    return {getattr(exc, "field", "form"): str(exc)}


def _safe_next(default):
    """Only a path on this site: no scheme, host, backslash or control character."""
    target = request.args.get("next") or request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//") or any(c in target for c in "\\") \
            or any(ord(c) < 32 for c in target):
        return default
    return target


def _sign_in(user):
    """Log in through the security manager (session version, audit, counters)."""
    sm = current_app.appbuilder.sm
    sm.update_user_auth_stat(user, True)
    login_user(user, remember=False)
    return redirect(_safe_next(url_for("portal.me") if is_portal_user(user) else "/"))


# --- public pages ------------------------------------------------------------------------
def home_page():
    exams = db.session.query(ExamPlan).filter_by(published=True).order_by(ExamPlan.reg_start.desc()).limit(8).all()
    news = announcement_service.latest(current_candidate(), limit=5)  # H5: what this visitor sees, pinned first
    return render("home.html", exams=exams, news=news, contact=current_app.config["CONTACT"],
                  news_excerpt=lambda item: announcement_service.plain_text(item.body)[:120])


@bp.route("/")
@cached_page
def home():
    return home_page()


EXAMS_PER_PAGE = 20


@bp.route("/exams")
@cached_page
def exams():
    """B1: the catalogue by status, category and level."""
    chosen = {key: request.args.get(key, "") for key in ("status", "category", "level")}
    query = db.session.query(ExamPlan).filter_by(published=True)
    if chosen["category"] in {c.value for c in ExamCategory}:
        query = query.filter(ExamPlan.category == chosen["category"])
    if chosen["level"] in {c.value for c in CertLevel}:
        query = query.filter(ExamPlan.level == chosen["level"])
    if chosen["status"] in {s.value for s in ExamStatus}:
        query = query.filter(ExamPlan.status_is(chosen["status"]))
    pages = max(1, -(-query.count() // EXAMS_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    plans = query.order_by(ExamPlan.reg_start.desc(), ExamPlan.id.desc()) \
        .offset((page - 1) * EXAMS_PER_PAGE).limit(EXAMS_PER_PAGE).all()
    rows = []
    for key, label, enum in (("status", _("Status"), ExamStatus), ("category", _("Exam category"), ExamCategory),
                             ("level", _("Level"), CertLevel)):
        others = {k: v for k, v in chosen.items() if v and k != key}
        links = [(_("All"), url_for("portal.exams", **others), not chosen[key])]
        links += [(m.label, url_for("portal.exams", **others, **{key: m.value}), chosen[key] == m.value) for m in enum]
        rows.append((label, links))
    in_use = {k: v for k, v in chosen.items() if v}  # the pages keep every filter chosen
    return render("exams.html", exams=plans, filter_rows=rows, page=page, pages=pages,
                  page_url=lambda n: url_for("portal.exams", **in_use, page=n))


@bp.route("/exams/<int:exam_id>")
def exam_detail(exam_id):
    plan = db.session.get(ExamPlan, exam_id)
    if plan is None or not plan.published:
        abort(404)
    return render("exam_detail.html", exam=plan, sites=registration.site_choices(plan), remaining=seats.remaining,
                  sittings=registration.sittings(plan),
                  category_label=ExamCategory.label_of, level_label=CertLevel.label_of)


@bp.route("/contact")
def contact():
    return render("contact.html", contact=current_app.config["CONTACT"])


@bp.route("/agreement")
def agreement():
    return render("agreement.html")


@bp.route("/captcha/<token>.png")
def captcha_image(token):
    png = verification.captcha_png(token)
    if png is None:
        abort(404)
    return current_app.response_class(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


def _new_captcha():
    session["captcha"] = verification.new_captcha()
    return session["captcha"]


def _check_captcha():
    """The form's image code (single use), refused as a message on its field."""
    token = session.pop("captcha", None)
    try:
        verification.check_captcha(token, request.form.get("captcha"))
    except VerificationError as exc:
        raise AccountError("captcha", str(exc)) from None


def _check_sms_code(phone, purpose):
    """The form's SMS code for ``purpose``, refused as a message on its field."""
    try:
        verification.check_sms_code(phone, purpose, request.form.get("sms_code"))
    except VerificationError as exc:
        raise AccountError("sms_code", str(exc)) from None


@bp.route("/sms", methods=["POST"])
def send_sms():
    """Send an SMS code; the image code guards the sender (JSON answer for the page)."""
    purpose = request.form.get("purpose", "")
    if purpose not in verification.PURPOSES:
        abort(400)
    if purpose == "rebind" and current_candidate() is None:
        abort(401)
    try:
        _check_captcha()
        phone = accounts.normalise_phone(request.form.get("phone"))
        if purpose == "register" and accounts.phone_taken(phone):
            raise AccountError("phone", _("This phone number is already registered."))
        if purpose == "rebind" and accounts.phone_taken(phone):
            raise AccountError("phone", _("This phone number is already in use."))
        # login and reset codes: same answer, limits and code checks whether or not the phone has an account
        has_account = db.session.query(PlatformUser).filter_by(phone=phone).first() is not None
        verification.send_sms_code(phone, purpose, request.remote_addr,
                                   deliver=has_account or purpose in ("register", "rebind"))
    except (AccountError, VerificationError) as exc:
        return {"ok": False, "message": str(exc), "field": getattr(exc, "field", "captcha"),
                "captcha": url_for("portal.captcha_image", token=_new_captcha())}, 400
    message = _("The code has been sent; it is valid for 2 minutes.")
    if purpose in ("login", "reset"):
        message = _("If the number is registered, a code is on its way.")
    return {"ok": True, "message": message, "captcha": url_for("portal.captcha_image", token=_new_captcha())}


# --- registration, profile, login --------------------------------------------------------
@bp.route("/register", methods=["GET", "POST"])
def register():
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            if form.get("agree") != "y":
                raise AccountError("agree", _("Please read and accept the user agreement."))
            phone = accounts.normalise_phone(form.get("phone"))
            accounts.check_password(form.get("password", ""), form.get("password2", ""))
            if accounts.phone_taken(phone):
                raise AccountError("phone", _("This phone number is already registered."))
            _check_sms_code(phone, "register")
            user = accounts.register_candidate(phone, form["password"])
        except AccountError as exc:
            errors = _errors_from(exc)
        else:
            _sign_in(user)
            flash(_("Your account is ready. Please complete your profile."), "success")
            return redirect(url_for("portal.complete_profile"))
    return render("register.html", errors=errors, form=form, captcha=_new_captcha())


@bp.route("/profile/complete", methods=["GET", "POST"])
@login_required
def complete_profile():
    if accounts.profile_complete(g.user):
        return redirect(_safe_next(url_for("portal.me")))
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            person = accounts.complete_profile(g.user, form.get("name"), form.get("gender"), form.get("id_type"),
                                               form.get("id_number"), form.get("email"))
        except AccountError as exc:
            errors = _errors_from(exc)
        else:
            accounts.send_activation(person, request.host_url)
            flash(_("Your profile is complete."), "success")
            return redirect(_safe_next(url_for("portal.me")))
    return render("complete_profile.html", errors=errors, form=form, id_types=IdType, genders=Gender)


@bp.route("/login", methods=["GET", "POST"])
def login():
    mode = request.values.get("mode", "password")
    errors, form = {}, request.form
    if request.method == "POST":
        failed = _("The account, password or code is not right.")
        sm = current_app.appbuilder.sm
        try:
            if mode == "sms":
                phone = accounts.normalise_phone(form.get("phone"))
                user = db.session.query(PlatformUser).filter_by(phone=phone).first()
                _check_sms_code(phone, "login")
                if user is None or not user.is_active:
                    raise AccountError("form", failed)
                if current_app.config["PORTAL_SMS_LOGIN_NEEDS_ID"]:
                    person = accounts.person_of(user)
                    if person is None or person.full_id_number() != (form.get("id_number") or "").strip().upper():
                        raise AccountError("form", failed)
            else:
                _check_captcha()
                account = accounts.find_account(form.get("account"))
                # the security manager checks the password, counts failures and audits
                user = sm.auth_user_db(account.username if account else form.get("account", ""),
                                       form.get("password", ""))
                if user is None:
                    raise AccountError("form", failed)
        except AccountError as exc:
            errors = _errors_from(exc)
        else:
            return _sign_in(user)
    return render("login.html", errors=errors, form=form, mode=mode, captcha=_new_captcha(),
                  needs_id=current_app.config["PORTAL_SMS_LOGIN_NEEDS_ID"])


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            phone = accounts.normalise_phone(form.get("phone"))
            accounts.check_password(form.get("password", ""), form.get("password2", ""))  # before the code is used
            _check_sms_code(phone, "reset")
            user = db.session.query(PlatformUser).filter_by(phone=phone).first()
            if user is None:
                raise AccountError("sms_code", _("The SMS code has expired or was not requested; "
                                                 "please get a new one."))
            accounts.set_password(user, form["password"])
        except AccountError as exc:
            errors = _errors_from(exc)
        else:
            flash(_("Your password has been reset; please log in."), "success")
            return redirect(url_for("portal.login"))
    return render("reset_password.html", errors=errors, form=form, captcha=_new_captcha())


# --- personal centre ---------------------------------------------------------------------
@bp.route("/me")
@cached_page
@login_required
def me():
    person = accounts.person_of(g.user)
    unread = db.session.query(Notification).filter_by(user_id=g.user.id, read_at=None).count()
    return render("me.html", person=person, unread=unread, genders=Gender, id_types=IdType)


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def change_password():
    errors, form = {}, request.form
    if request.method == "POST":
        sm = current_app.appbuilder.sm
        try:
            if sm.auth_user_db(g.user.username, form.get("old_password", "")) is None:
                raise AccountError("old_password", _("The current password is not right."))
            accounts.check_password(form.get("password", ""), form.get("password2", ""))
            accounts.set_password(g.user, form["password"])
        except AccountError as exc:
            errors = _errors_from(exc)
        else:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("portal.me"))
    return render("change_password.html", errors=errors)


@bp.route("/me/matters")
@login_required
def my_matters():
    """F8 我的事项: tabs 全部 / 草稿箱 / 办理中 / 已完结 with counts; fuzzy search by matter name and by stage."""
    from app.workflow import REGISTRY, stage_label

    tab = request.args.get("tab", "all")
    query = db.session.query(Matter).filter_by(applicant_id=g.user.id)
    counts = {"all": query.count(), **{s.value: query.filter_by(status=s.value).count() for s in MatterStatus}}
    if tab in {s.value for s in MatterStatus}:
        query = query.filter_by(status=tab)
    keyword = (request.args.get("q") or "").strip()
    if keyword:  # the title, or the name of the matter type
        types = [code for code, mtype in REGISTRY.items() if keyword in str(mtype.name)]
        query = query.filter(Matter.title.contains(keyword) | Matter.type_code.in_(types))
    stage = (request.args.get("stage") or "").strip()
    if stage:  # stage labels are translated: match them here, filter by their codes
        codes = {s.code for mtype in REGISTRY.values() for s in mtype.states if stage in str(s.label)}
        query = query.filter(Matter.state.in_(codes))
    return render("my_matters.html", matters=query.order_by(Matter.id.desc()).all(), tab=tab, counts=counts,
                  statuses=MatterStatus, stage_label=stage_label, keyword=keyword, stage=stage,
                  edit_url=matter_content.edit_url, type_name=lambda m: REGISTRY[m.type_code].name)


# --- contact us and messages (H1, H2) ---------------------------------------------------
def _own_thread(thread_id):
    thread = db.session.get(MessageThread, thread_id)
    if thread is None or thread.user_id != g.user.id:
        abort(404)
    return thread


@bp.route("/messages", methods=["GET", "POST"])
@login_required
def my_messages():
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            thread = messages.open_thread(g.user, form.get("category"), form.get("content"), form.get("contact"))
        except messages.MessageError as exc:
            errors = _errors_from(exc)
        else:
            flash(_("Your message has been sent. Support will reply here."), "success")
            return redirect(url_for("portal.message_thread", thread_id=thread.id))
    threads = db.session.query(MessageThread).filter_by(user_id=g.user.id).order_by(MessageThread.id.desc()).all()
    return render("messages.html", threads=threads, errors=errors, form=form, categories=MessageCategory,
                  statuses=ThreadStatus, contact=current_app.config["CONTACT"],
                  default_contact=g.user.phone or "")


@bp.route("/messages/<int:thread_id>", methods=["GET", "POST"])
@login_required
def message_thread(thread_id):
    thread = _own_thread(thread_id)
    errors = {}
    if request.method == "POST":
        try:
            messages.follow_up(thread, g.user, request.form.get("content"))
        except messages.MessageError as exc:
            errors = _errors_from(exc)
        else:
            return redirect(url_for("portal.message_thread", thread_id=thread.id))
    return render("message_thread.html", thread=thread, errors=errors, categories=MessageCategory,
                  statuses=ThreadStatus)


# --- my profile: edit, phone, e-mail activation (A6) ----------------------------------
def _own_person():
    person = accounts.person_of(g.user)
    if person is None:
        flash(_("Please complete your profile first."), "warning")
    return person


def own_registration(rid):
    """The candidate's own registration, else 404 (the same answer whether it exists or not)."""
    person = accounts.person_of(g.user)
    # with its exam and site, which every step reads (one statement, not three)
    registration = db.session.get(Registration, rid, options=[joinedload(Registration.exam_plan),
                                                               joinedload(Registration.exam_site)])
    if person is None or registration is None or registration.person_id != person.id:
        abort(404)
    return registration


@bp.route("/me/edit", methods=["GET", "POST"])
@login_required
def edit_profile():
    person = _own_person()
    if person is None:
        return redirect(url_for("portal.complete_profile"))
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            changed = accounts.update_profile(person, form.get("name"), form.get("email"), form.get("gender"),
                                              form.get("major"))
        except AccountError as exc:
            errors = _errors_from(exc)
        else:
            if changed:
                accounts.send_activation(person, request.host_url)
                flash(_("Saved. We sent an activation link to your new e-mail address."), "success")
            else:
                flash(_("Saved."), "success")
            return redirect(url_for("portal.me"))
    return render("edit_profile.html", person=person, errors=errors, form=form or {
        "name": person.name, "email": person.email, "gender": person.gender,
        "major": person.major.name if person.major else (person.major_text or "")},
        genders=Gender, id_types=IdType, majors=accounts.major_choices())


@bp.route("/me/phone", methods=["GET", "POST"])
@login_required
def rebind_phone():
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            phone = accounts.normalise_phone(form.get("phone"))
            _check_sms_code(phone, "rebind")
            accounts.rebind_phone(g.user, phone)
        except AccountError as exc:
            errors = _errors_from(exc)
        else:
            flash(_("Your mobile phone number has been changed."), "success")
            return redirect(url_for("portal.me"))
    return render("rebind_phone.html", errors=errors, form=form, captcha=_new_captcha())


@bp.route("/email/activate/<token>")
def activate_email(token):
    try:
        accounts.activate_email(token)
    except AccountError as exc:
        flash(str(exc), "danger")
    else:
        flash(_("Your e-mail address is activated."), "success")
    return redirect(url_for("portal.me") if current_candidate() else url_for("portal.login"))


# --- photo: from the computer, or scanned to the phone (A7) -----------------------------
def _save_uploaded_photo(person):
    """Store the posted photo; returns the reason it was refused, or None."""
    upload = request.files.get("photo")
    try:
        if upload is None or not upload.filename:
            raise photos.PhotoError(_("Please choose a photo."))
        accounts.store_photo(person, upload.read())
    except photos.PhotoError as exc:
        return str(exc)
    return None


@bp.route("/me/photo", methods=["GET", "POST"])
@login_required
def photo():
    person = _own_person()
    if person is None:
        return redirect(url_for("portal.complete_profile"))
    error = _save_uploaded_photo(person) if request.method == "POST" else None
    if request.method == "POST" and error is None:
        flash(_("Your photo has been saved."), "success")
        return redirect(url_for("portal.me"))
    token = accounts.new_upload_token(person)
    return render("photo.html", person=person, error=error, rules=photos.DEFAULT_RULES,
                  qr_url=url_for("portal.upload_qr", token=token),
                  mobile_url=url_for("portal.mobile_upload", token=token, _external=True))


@bp.route("/me/photo/qr/<token>.svg")
@login_required
def upload_qr(token):
    _token_person(token)  # 404 unless the link is alive and the user's own
    url = url_for("portal.mobile_upload", token=token, _external=True)
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, border=2)
    return current_app.response_class(out.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


def _token_person(token):
    try:
        return accounts.upload_token_person(token, current_candidate())
    except AccountError:
        abort(404)


@bp.route("/m/<token>", methods=["GET", "POST"])
def mobile_upload(token):
    """The page the QR code opens on the phone: short-lived, one person, one upload."""
    try:
        person, row = accounts.upload_token_person(token, current_candidate())
    except AccountError as exc:
        return render("mobile_upload.html", error=str(exc), expired=True), 410
    error = _save_uploaded_photo(person) if request.method == "POST" else None
    if request.method == "POST" and error is None:
        row.used_at = datetime.datetime.now()
        db.session.commit()
        return render("mobile_upload.html", done=True)
    return render("mobile_upload.html", error=error, rules=photos.DEFAULT_RULES)


# --- institution accounts (A10) ---------------------------------------------------------
@bp.route("/institutions/register", methods=["GET", "POST"])
def register_institution():
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            _check_captcha()
            institutions.register_institution(form.get("name"), form.get("uscc"), form.get("contact_name"),
                                              form.get("phone"), form.get("email"), form.get("password", ""),
                                              form.get("password2", ""))
        except AccountError as exc:
            errors = _errors_from(exc)
        else:
            return render("institution_registered.html")
    return render("register_institution.html", errors=errors, form=form, captcha=_new_captcha())


# --- real-name verification (A9) -------------------------------------------------------------
@bp.route("/me/realname", methods=["POST"])
@login_required
def realname():
    person = _own_person()
    if person is None:
        return redirect(url_for("portal.complete_profile"))
    ok, reason = realname_service.verify(person)
    flash(_("Real-name verification passed.") if ok else reason, "success" if ok else "danger")
    return redirect(url_for("portal.me"))


# the registration wizard, payments and printables add their routes to this blueprint
from views.portal import (  # noqa: E402,F401
    announcements,
    cert_matters,
    certificates,
    matters,
    membership,
    payments,
    personnel,
    printables,
    recheck,
    scores,
    services,
    status,
    tickets,
    wizard,
)
