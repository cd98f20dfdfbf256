"""F10 会员服务: individual and institutional membership.

An application (matter ``membership_application``) goes to the Association; its approval makes the
fee order (the person's, or the institution's); paying it takes the matter to 办结 and makes or
extends the Membership (member number, status approved, valid for MEMBERSHIP_YEARS).  A renewal is
a new matter of the same type on the membership that goes straight to 缴费 (transition ``renew``);
paying it extends the membership from max(today, valid until).  Functions raise
MembershipError(field, message) for bad input and write nothing then; they commit."""
import datetime
import os

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import workflow
from app.extensions import db
from app.roles import INSTITUTION
from app.scoping import role_names
from app.services import accounts, files, matter_content, payments, printables
from app.workflow import WorkflowError
from models import Institution, Matter, Membership
from models.enums import MatterStatus, MembershipKind, ReviewStatus
from models.enums import OrderStatus as OS

TYPE_CODE = "membership_application"
TEXT_MAX = 200
REASON_MAX = 1000
# the form's fields per kind: (key, label, max length); every one is required
FIELDS = {
    MembershipKind.PERSON.value: [("employer", _l("Employer"), TEXT_MAX), ("position", _l("Position"), 64),
                                  ("reason", _l("Reason for applying"), REASON_MAX)],
    MembershipKind.INSTITUTION.value: [("contact_name", _l("Contact person"), 40),
                                       ("contact_phone", _l("Contact phone"), 32),
                                       ("reason", _l("Reason for applying"), REASON_MAX)],
}
KIND_LABELS = {MembershipKind.PERSON.value: _l("Individual member"),
               MembershipKind.INSTITUTION.value: _l("Institutional member")}


class MembershipError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


# --- settings ---------------------------------------------------------------------------------------
def fee(kind):
    key = "MEMBERSHIP_FEE" if kind == MembershipKind.PERSON.value else "MEMBERSHIP_INSTITUTION_FEE"
    return current_app.config.get(key, 300 if kind == MembershipKind.PERSON.value else 3000)


def years():
    return int(current_app.config.get("MEMBERSHIP_YEARS", 1))


def renewal_days():
    """The renewal is offered this many days before the expiry, and any time after it."""
    return int(current_app.config.get("MEMBERSHIP_RENEWAL_DAYS", 60))


# --- whose membership -------------------------------------------------------------------------------
def _owner(user):
    """(kind, person, institution id) of the member ``user`` applies for."""
    if INSTITUTION in role_names(user):
        if user.institution_id is None:
            raise MembershipError("form", _("Your account belongs to no institution."))
        return MembershipKind.INSTITUTION.value, None, user.institution_id
    person = accounts.person_of(user)
    if person is None:
        raise MembershipError("form", _("Complete your profile before you apply."))
    return MembershipKind.PERSON.value, person, None


def membership_of(user):
    """The user's membership (the person's, or the institution's for an institution user), or None."""
    try:
        kind, person, institution_id = _owner(user)
    except MembershipError:
        return None
    query = select(Membership).where(Membership.kind == kind)
    query = query.where(Membership.person_id == person.id) if person is not None \
        else query.where(Membership.institution_id == institution_id)
    return db.session.scalar(query.order_by(Membership.id.desc()))


def matters_of(user):
    """The user's own membership matters (an institution user: its institution's), newest first."""
    query = select(Matter).where(Matter.type_code == TYPE_CODE).order_by(Matter.id.desc())
    if INSTITUTION in role_names(user):
        found = db.session.scalars(query.where(Matter.institution_id == user.institution_id)).all() \
            if user.institution_id is not None else []
        return [m for m in found if (m.payload or {}).get("kind") == MembershipKind.INSTITUTION.value]
    return db.session.scalars(query.where(Matter.applicant_id == user.id)).all()


def open_matter(user):
    """The unfinished membership matter (application or renewal), if any; a member's application
    draft means nothing and is passed over."""
    active = is_active(membership_of(user))
    return next((m for m in matters_of(user) if m.status != MatterStatus.COMPLETED.value
                 and not (active and m.state == "draft")), None)


def is_active(membership, today=None):
    today = today or datetime.date.today()
    return (membership is not None and membership.status == ReviewStatus.APPROVED.value
            and membership.valid_until is not None and membership.valid_until >= today)


def may_renew(membership, today=None):
    """Within ``renewal_days`` of the expiry, or after it."""
    today = today or datetime.date.today()
    return (membership is not None and membership.status == ReviewStatus.APPROVED.value
            and membership.valid_until is not None
            and membership.valid_until - today <= datetime.timedelta(days=renewal_days()))


def editable(matter):
    return matter is not None and matter.state in ("draft", "returned") and not (matter.payload or {}).get(
        "membership_id")


# --- the application --------------------------------------------------------------------------------
def values_of(form, kind):
    """The form's values for ``kind``, or MembershipError naming the field."""
    if form.get("kind", kind) != kind:
        raise MembershipError("kind", _("Please choose: %(field)s.", field=_("Membership type")))
    values = {"kind": kind}
    for key, label, limit in FIELDS[kind]:
        value = (form.get(key) or "").strip()
        if not value:
            raise MembershipError(key, _("Please fill in: %(field)s.", field=label))
        if len(value) > limit:
            raise MembershipError(key, _("%(field)s: at most %(n)d characters.", field=label, n=limit))
        values[key] = value
    return values


def checked_document(upload):
    """``upload``: (bytes, filename) or None → (bytes, filename, check) or None; JPG, PNG or PDF."""
    if not upload or not upload[0]:
        return None
    try:
        return upload + (printables.check_scan(upload[0]),)
    except printables.ScanError as exc:
        raise MembershipError("document", f"{_('Supporting document')}: {exc}") from None


def _store(checked, user, person, institution_id):
    data, filename, (content_type, ext, kept) = checked
    stem = os.path.splitext(os.path.basename(filename or ""))[0][:80] or "membership"
    item = files.store(kept, f"{stem}.{ext}", content_type, "membership", user=user, person=person,
                       institution_id=institution_id)
    item.institution_id = institution_id  # a person's document is not their employer's
    db.session.flush()
    return item.id


def _title(kind):
    return _("Membership application: %(kind)s", kind=KIND_LABELS[kind])


def apply(user, form, upload=None):
    """申请入会: check, then submit a new application (or the user's draft / returned one)."""
    kind, person, institution_id = _owner(user)
    values = values_of(form, kind)
    checked = checked_document(upload)
    if is_active(membership_of(user)):
        raise MembershipError("form", _("You are already a member; renew the membership when it is due."))
    matter = open_matter(user)
    if matter is not None and not editable(matter):
        raise MembershipError("form", _("Matter %(no)s is being handled; wait for its outcome.",
                                        no=matter.business_no))
    try:
        if matter is not None:
            matter = workflow._lock(matter.id)
            if not editable(matter):
                raise MembershipError("form", _("Matter %(no)s is being handled; wait for its outcome.",
                                                no=matter.business_no))
        payload = dict(values)
        if checked is not None:
            payload["attachment_ids"] = [_store(checked, user, person, institution_id)]
        elif matter is not None:
            payload["attachment_ids"] = (matter.payload or {}).get("attachment_ids", [])
        if matter is None:
            matter = workflow.create_matter(TYPE_CODE, user, _title(kind), institution_id=institution_id,
                                            payload=payload, commit=False)
        else:
            matter.payload, matter.title = payload, _title(kind)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return workflow.apply(matter.id, "resubmit" if matter.state == "returned" else "submit", user)


def renew(user):
    """续费: a renewal matter on the membership, straight to 缴费 with its fee order; an open
    renewal is reused (with a new order when its order expired).  Returns the order."""
    membership = membership_of(user)
    if not may_renew(membership):
        raise MembershipError("form", _("The membership can be renewed within %(days)d days of its expiry.",
                                        days=renewal_days()))
    matter = open_matter(user)
    if matter is not None and (matter.payload or {}).get("membership_id") == membership.id \
            and matter.state == "payment":
        return new_order(matter, user)
    if matter is not None and not editable(matter):  # an application draft does not stop a renewal
        raise MembershipError("form", _("Matter %(no)s is being handled; wait for its outcome.",
                                        no=matter.business_no))
    kind = membership.kind
    try:
        matter = workflow.create_matter(TYPE_CODE, user, _("Membership renewal: %(no)s", no=membership.member_no),
                                        institution_id=membership.institution_id,
                                        payload={"kind": kind, "membership_id": membership.id,
                                                 "member_no": membership.member_no}, commit=False)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    workflow.apply(matter.id, "renew", user)
    return payments.matter_order(db.session.get(Matter, matter.id))


def new_order(matter, user):
    """The matter's fee order again when the last one expired unpaid."""
    if matter.applicant_id != user.id and not (INSTITUTION in role_names(user)
                                               and matter.institution_id == user.institution_id):
        raise MembershipError("form", _("This matter is not yours."))
    order = payments.matter_order(matter)
    if order is not None and not payments.is_overdue(order):
        return order
    try:
        if order is not None:
            order.status = OS.EXPIRED.value
            db.session.flush()
        order, deliveries = _order(matter)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    from app.services import notifications

    notifications.dispatch(deliveries)
    return order


def payable_order(matter):
    """The matter's unpaid, unexpired order, if any."""
    order = payments.matter_order(matter) if matter is not None and matter.state == "payment" else None
    return order if order is not None and order.status == OS.UNPAID.value and not payments.is_overdue(order) \
        else None


# --- the chain's effects (declared in app/matters) ---------------------------------------------------
def _order(matter):
    p = matter.payload or {}
    kind = p.get("kind", MembershipKind.PERSON.value)
    what = _("Membership renewal fee") if p.get("membership_id") else _("Membership fee")
    description = f"{what} {matter.business_no} ({KIND_LABELS[kind]})"
    if kind == MembershipKind.INSTITUTION.value:
        return payments.create_matter_order(matter, fee(kind), description, institution_id=matter.institution_id)
    return payments.create_matter_order(matter, fee(kind), description, person=accounts.person_of(matter.applicant))


def approved(matter, _t, _user):
    """协会审批 passed: the fee order (the matter waits for its payment)."""
    return _order(matter)[1]


def renewal_filed(matter, _t, _user):
    """A renewal names a membership of the applicant; it goes straight to the fee."""
    membership = db.session.get(Membership, (matter.payload or {}).get("membership_id") or 0)
    if membership is None or not _owns(matter.applicant, membership):
        raise WorkflowError(_("Only a membership can be renewed."))
    return _order(matter)[1]


def _owns(user, membership):
    if membership.kind == MembershipKind.INSTITUTION.value:
        return INSTITUTION in role_names(user) and membership.institution_id == user.institution_id
    person = accounts.person_of(user)
    return person is not None and membership.person_id == person.id


check_paid = payments.require_paid


def add_years(day, n):
    try:
        return day.replace(year=day.year + n)
    except ValueError:  # 29 February
        return day.replace(year=day.year + n, day=28)


def granted(matter, _t, _user):
    """The fee is paid: the membership is made, or extended from max(today, valid until)."""
    p = matter.payload or {}
    kind = p.get("kind", MembershipKind.PERSON.value)
    person = accounts.person_of(matter.applicant) if kind == MembershipKind.PERSON.value else None
    if p.get("membership_id"):
        membership = db.session.get(Membership, p["membership_id"])
    else:
        owner = Membership.person_id == person.id if person is not None \
            else Membership.institution_id == matter.institution_id
        query = select(Membership).where(Membership.kind == kind, owner)
        membership = db.session.scalar(query.order_by(Membership.id.desc()))
    if membership is not None and db.session.get_bind().dialect.name == "postgresql":
        db.session.refresh(membership, with_for_update=True)  # two renewals paid at once both count
    if membership is None:
        membership = Membership(kind=kind, person_id=person.id if person is not None else None,
                                institution_id=matter.institution_id if person is None else None)
        db.session.add(membership)
        db.session.flush()
        # unique by construction: the row's own id
        membership.member_no = f"{'P' if person is not None else 'I'}{datetime.date.today():%Y}{membership.id:06d}"
    today = datetime.date.today()
    start = max(today, membership.valid_until) if membership.valid_until else today
    membership.valid_until = add_years(start, years())
    membership.status = ReviewStatus.APPROVED.value
    matter.object_type, matter.object_id = "Membership", membership.id
    matter.payload = {**p, "membership_id": membership.id, "member_no": membership.member_no,
                      "valid_until": membership.valid_until.isoformat()}


payments.moves_on_when_paid(TYPE_CODE)


# --- what the detail pages show ----------------------------------------------------------------------
@matter_content.content(TYPE_CODE)
def _content(matter):
    p = matter.payload or {}
    kind = p.get("kind", MembershipKind.PERSON.value)
    rows = [(_("Membership type"), str(KIND_LABELS.get(kind, "")))]
    rows += [(str(label), p.get(key, "")) for key, label, _limit in FIELDS.get(kind, []) if p.get(key)]
    if kind == MembershipKind.INSTITUTION.value and matter.institution_id:
        inst = db.session.get(Institution, matter.institution_id)
        rows.insert(1, (_("Institution"), inst.name if inst else ""))
    order = payments.matter_order(matter)
    if order is not None:
        rows.append((_("Fee order"), f"{order.order_no} · {payments.money(order.amount)} · "
                                     f"{OS.label_of(order.status)}"))
    if p.get("member_no"):
        rows.append((_("Member number"), p["member_no"]))
    if p.get("valid_until"):
        rows.append((_("Valid until"), p["valid_until"]))
    return {"rows": rows, "attachments": matter_content.attachment_names(p.get("attachment_ids", []))}


matter_content.EDIT[TYPE_CODE] = ("portal.membership_new", {})
