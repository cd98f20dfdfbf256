"""F9 信用评价 (credit records, sanctions) and F10 会员服务 (memberships) in the back office.

The Association sees every credit record and membership and records sanctions (记录处罚); an
institution sees its own people's credit records and its own membership, and applies for and renews
its institutional membership here.  Rules: app/services/credit.py, app/services/membership.py."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.roles import INSTITUTION
from app.scoping import role_names
from app.services import credit
from app.services import membership as service
from app.workflow import WorkflowError, stage_label
from models import CreditRecord, Matter, Membership, PlatformUser
from models.enums import MembershipKind, ReviewStatus
from views.base import PlatformModelView, model_api, model_view

CATEGORY = ("People", _l("People"))
READ_ONLY = ["can_list", "can_show", "can_export"]


def _matter_no(matter_id):
    matter = db.session.get(Matter, matter_id) if matter_id else None
    return matter.business_no if matter else ""


def _user_name(user_id):
    user = db.session.get(PlatformUser, user_id) if user_id else None
    return str(user) if user else ""


class SanctionMixin(PlatformModelView):
    """信用评价: the rows (institution: its own people's) and 记录处罚 (the Association's)."""
    list_template = "platform/credit_list.html"

    def render_template(self, template, **kwargs):
        kwargs.setdefault("can_sanction", self.appbuilder.sm.has_access("can_sanction", self.class_permission_name))
        return super().render_template(template, **kwargs)

    @expose("/sanction/", methods=["GET", "POST"])
    @has_access
    @permission_name("sanction")
    def sanction(self):
        errors, form = {}, request.form
        if request.method == "POST":
            try:
                record = credit.record_sanction(g.user, form.get("serial"), form.get("reason"), form.get("start"),
                                                form.get("end"))
            except credit.CreditError as exc:
                errors = {exc.field: str(exc)}
            else:
                flash(_("The sanction on %(name)s has been recorded.", name=record.person.name), "success")
                return redirect(url_for(".show", pk=record.id))
        return self.render_template("platform/credit_sanction.html", errors=errors, form=form,
                                    holder=credit.certified_person_of(form.get("serial") or request.args.get(
                                        "serial")))


CreditRecordView = model_view(CreditRecord,
                              list_columns=["person", "kind", "occurred_on", "valid_until", "description"],
                              search_columns=["person", "kind", "occurred_on"],
                              show_columns=["person", "kind", "occurred_on", "valid_until", "description", "matter_id",
                                            "recorded_by_id", "created_at"],
                              formatters_columns={"matter_id": _matter_no, "recorded_by_id": _user_name},
                              base_permissions=READ_ONLY + ["can_sanction"], base=SanctionMixin)
MembershipView = model_view(Membership, list_columns=["member_no", "kind", "person", "institution", "valid_until",
                                                      "status"],
                            search_columns=["member_no", "kind", "status", "valid_until"],
                            base_permissions=READ_ONLY)


class InstitutionMembershipView(BaseView):
    """单位会员: an institution's users apply for, follow and renew their institution's membership."""
    route_base = "/institutionmembership"
    default_view = "apply"
    base_permissions = ["can_apply"]

    def _institution_user(self):
        if INSTITUTION not in role_names(g.user) or g.user.institution_id is None:
            abort(403)
        return g.user

    def _page(self, errors=None, form=None):
        user = self._institution_user()
        membership = service.membership_of(user)
        matter = service.open_matter(user)
        last = matter.history[-1] if matter is not None and matter.history else None
        return self.render_template(
            "platform/membership_apply.html", membership=membership, matter=matter,
            matters=service.matters_of(user), active=service.is_active(membership),
            may_renew=service.may_renew(membership), editable=matter is None or service.editable(matter),
            order=service.payable_order(matter), fields=service.FIELDS[MembershipKind.INSTITUTION.value],
            kind_label=service.KIND_LABELS, fee=service.fee(MembershipKind.INSTITUTION.value),
            years=service.years(), renewal_days=service.renewal_days(), stage_label=stage_label,
            approved=ReviewStatus.APPROVED.value,
            opinion=last.opinion if matter is not None and matter.state == "returned" and last else None,
            errors=errors or {}, form=form if form is not None else ((matter.payload or {}) if matter else {}))

    @expose("/apply", methods=["GET", "POST"])
    @has_access
    @permission_name("apply")
    def apply(self):
        user = self._institution_user()
        if request.method == "POST":
            upload = request.files.get("document")
            try:
                matter = service.apply(user, request.form,
                                       (upload.read(), upload.filename) if upload and upload.filename else None)
            except (service.MembershipError, WorkflowError) as exc:
                return self._page({getattr(exc, "field", "form"): str(exc)}, request.form), 400
            flash(_("Your membership application has been submitted (business number %(no)s); the Association "
                    "reviews it, then you pay the fee.", no=matter.business_no), "success")
            return redirect(url_for(".apply"))
        return self._page()

    @expose("/renew", methods=["POST"])
    @has_access
    @permission_name("apply")
    def renew(self):
        user = self._institution_user()
        try:
            order = service.renew(user)
        except (service.MembershipError, WorkflowError) as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".apply"))
        return redirect(url_for("BatchPaymentView.show", order_id=order.id))

    @expose("/order", methods=["POST"])
    @has_access
    @permission_name("apply")
    def order(self):
        user = self._institution_user()
        matter = service.open_matter(user)
        if matter is None or matter.state != "payment":
            flash(_("There is nothing to pay."), "warning")
            return redirect(url_for(".apply"))
        try:
            order = service.new_order(matter, user)
        except (service.MembershipError, WorkflowError) as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".apply"))
        return redirect(url_for("BatchPaymentView.show", order_id=order.id))


MENU = [
    (CreditRecordView, _l("Credit records")),
    (MembershipView, _l("Memberships")),
    (InstitutionMembershipView, _l("Institutional membership")),
]
APIS = [
    model_api(CreditRecord, list_columns=["id", "person_id", "kind", "occurred_on", "valid_until", "description",
                                          "matter_id"], base_permissions=["can_get", "can_info"]),
    model_api(Membership, list_columns=["id", "kind", "person_id", "institution_id", "member_no", "valid_until",
                                        "status"], base_permissions=["can_get", "can_info"]),
]
