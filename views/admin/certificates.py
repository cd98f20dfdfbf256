"""证书 (SPEC E4, E8): the certificate list and page (state, history, PDF, SHA-256),
颁发证书 per exam, the Association's cancellation, and 证书导入 for holders certified
before the platform.  Certificates are issued, imported or changed through
app.services.certificates, never typed into a generic form; an institution sees its
own institution's certificates (the row scope) and may neither issue, import nor cancel.
"""
import datetime

from flask import abort, current_app, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import listing, tasks
from app.extensions import db
from app.services import certificate_import, certificate_pdf, certificates, files, jobs
from models import Attachment, Certificate, ExamPlan, ExamResult, Job, PlatformUser, Registration
from models.enums import JobStatus
from views.admin.imports import ImportPage
from views.base import EagerInterface, PlatformModelView, model_api

CATEGORY = ("Certificates", _l("Certificates"))
EVENT_LABELS = {"issued": _l("Issued"), "imported": _l("Imported"), "replaced": _l("Replaced"),
                "cancelled": _l("Cancelled"), "extended": _l("Extended")}


class CertificateInterface(EagerInterface):
    """``state``: 有效 / 已过期 / 已注销 / 已被替换 as certificates.state_of sees it today
    (an expired certificate keeps the stored status 有效; its date decides)."""

    @staticmethod
    def _get_attr_value(item, col):
        if col == "state":
            return str(certificates.state_of(item).label)
        return EagerInterface._get_attr_value(item, col)


def send_pdf(cert):
    """The certificate's PDF as stored (made now if it never was), for a caller that checked the scope."""
    if cert.pdf_id is None:
        certificate_pdf.render(cert)
        db.session.commit()
    item = db.session.get(Attachment, cert.pdf_id)
    response = send_file(files.path_of(item), mimetype="application/pdf", as_attachment=True, max_age=0,
                         download_name=f"{cert.serial}.pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


class CertificateView(PlatformModelView):
    datamodel = CertificateInterface(Certificate)
    base_permissions = ["can_list", "can_show", "can_export", "can_cancel"]
    show_template = "certificates/show.html"
    list_columns = ["serial", "holder_name", "certificate_type", "institution", "issue_date", "valid_until", "state",
                    "version"]
    search_columns = ["serial", "holder_name", "certificate_type", "institution", "issue_date", "valid_until",
                      "status", "source"]
    show_columns = ["serial", "holder_name", "holder_id_masked", "certificate_type", "institution", "issue_date",
                    "valid_until", "state", "status_reason", "status_changed_at", "version", "source", "pdf_sha256"]
    label_columns = {"state": _l("State")}
    order_columns = ["serial", "holder_name", "issue_date", "valid_until", "version"]
    base_order = ("id", "desc")
    keyword_search = listing.keyword_search(person="person_id", numbers=("serial",))
    keyword_hint = _l("Holder's name, pinyin, phone, ID number or certificate number")

    def render_template(self, template, **kwargs):
        if template == self.show_template and "pk" in kwargs:
            cert = self.get_scoped(kwargs["pk"])
            users = dict(db.session.execute(select(PlatformUser.id, PlatformUser.username).where(
                PlatformUser.id.in_({e.actor_id for e in cert.events if e.actor_id}))).all())
            kwargs.update(certificate=cert, events=cert.events, event_labels=EVENT_LABELS, actors=users,
                          verification_url=certificates.verification_url(cert),
                          may_cancel=self.appbuilder.sm.has_access("can_cancel", self.class_permission_name)
                          and cert.status not in ("revoked", "replaced"))
        return super().render_template(template, **kwargs)

    def _export_value(self, item, column):
        if column == "state":
            return CertificateInterface._get_attr_value(item, column)
        return super()._export_value(item, column)

    @expose("/pdf/<int:pk>")
    @has_access
    @permission_name("show")
    def pdf(self, pk):
        return send_pdf(self.get_scoped(pk))

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("cancel")
    def cancel(self, pk):
        """E8: 注销 by the Association's decision, with the reason (shown by the verification)."""
        cert = self.get_scoped(pk)
        try:
            certificates.cancel(cert, request.form.get("reason"), g.user)
        except certificates.CertificateError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("Certificate %(no)s is cancelled.", no=cert.serial), "success")
        return redirect(url_for(".show", pk=pk))


# --- 颁发证书 ---------------------------------------------------------------------------------------------
def _sync_max():
    """More certificates than this: a background job with a progress bar (each is a rendered PDF)."""
    return current_app.config.get("CERTIFICATE_SYNC_MAX", 20)


def _waiting_counts():
    """exam plan id -> registrations that passed and hold no certificate yet."""
    issued = select(Certificate.registration_id).where(Certificate.registration_id.is_not(None))
    return dict(db.session.execute(
        select(Registration.exam_plan_id, func.count(Registration.id))
        .join(ExamResult, ExamResult.registration_id == Registration.id)
        .where(ExamResult.passed.is_(True), Registration.id.not_in(issued))
        .group_by(Registration.exam_plan_id)).all())


class CertificateIssueView(BaseView):
    """E4: per exam, issue every passed registration's certificate; running it twice issues nothing twice."""
    route_base = "/certificate-issue"
    default_view = "index"

    @expose("/")
    @has_access
    @permission_name("issue")
    def index(self):
        plans = (db.session.query(ExamPlan).filter(ExamPlan.certificate_type_id.is_not(None),
                                                   ExamPlan.results_published_at.is_not(None))
                 .order_by(ExamPlan.exam_start.desc()).limit(200).all())
        issued = dict(db.session.execute(
            select(Registration.exam_plan_id, func.count(Certificate.id))
            .join(Certificate, Certificate.registration_id == Registration.id)
            .group_by(Registration.exam_plan_id)).all())
        recent = db.session.query(Job).filter_by(kind="issue_certificates").order_by(Job.id.desc()).limit(10).all()
        return self.render_template("certificates/issue.html", plans=plans, waiting=_waiting_counts(),
                                    issued=issued, today=datetime.date.today().isoformat(), sync_max=_sync_max(),
                                    jobs=recent, statuses=JobStatus)

    @expose("/<int:plan_id>", methods=["POST"])
    @has_access
    @permission_name("issue")
    def issue(self, plan_id):
        plan = db.session.get(ExamPlan, plan_id)
        if plan is None:
            abort(404)
        try:
            issue_date = datetime.date.fromisoformat(request.form.get("issue_date") or "")
        except ValueError:
            flash(_("Issue date: enter a date such as %(example)s.", example=datetime.date.today().isoformat()),
                  "danger")
            return redirect(url_for(".index"))
        if plan.certificate_type is None:
            flash(_("The exam %(exam)s has no certificate to issue.", exam=plan.name), "danger")
            return redirect(url_for(".index"))
        if plan.results_published_at is None:
            flash(_("The results of %(exam)s are not published yet.", exam=plan.name), "danger")
            return redirect(url_for(".index"))
        waiting = _waiting_counts().get(plan.id, 0)
        if waiting > _sync_max():
            job = jobs.start("issue_certificates", g.user, tasks.issue_certificates, plan.id, g.user.id,
                             issue_date.isoformat(), total=waiting)
            return redirect(url_for(".job", job_id=job.id))
        try:
            issued = certificate_pdf.issue_batch(plan.id, g.user, issue_date)
        except certificates.CertificateError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("%(n)s certificates issued.", n=issued), "success" if issued else "info")
        return redirect(url_for(".index"))

    @expose("/job/<int:job_id>")
    @has_access
    @permission_name("issue")
    def job(self, job_id):
        job = jobs.visible_or_404(job_id, g.user, "issue_certificates")
        return self.render_template("certificates/issue_job.html", job=job)


# --- 证书导入 (the import type registers itself: certificate_import) ---------------------------------
class CertificateImportView(ImportPage):
    """Certificates of holders certified before the platform; the institution is a column of the file."""
    route_base = "/imports/certificates"
    kinds = (certificate_import.CertificateImport.key,)
    page_title = _l("Certificate import")
    intro = _l("Certificates of holders certified before the platform: download the template, fill it in and upload "
               "it. Every row is checked and either all rows are stored or none; the error report names the row, the "
               "column and the reason. Holders are found by their ID number, or added. Imported certificates verify "
               "and download like issued ones.")
    needs_institution = False


MENU = [(CertificateView, _l("Certificates")), (CertificateIssueView, _l("Issue certificates")),
        (CertificateImportView, _l("Certificate import"))]
APIS = [model_api(Certificate, list_columns=["id", "serial", "person_id", "certificate_type_id", "institution_id",
                                             "issue_date", "valid_until", "status"],
                  base_permissions=["can_get", "can_info"])]
