"""我的证书 (SPEC E4, E5): the holder's own certificates with their state, version, PDF
download and the public verification link.  Another person's certificate is a 404."""
from flask import abort, g

from app.extensions import db
from app.services import accounts, certificates
from models import Certificate
from models.enums import CertificateStatus, CertLevel
from views.admin.certificates import send_pdf
from views.portal import bp, login_required, render

STATE_STYLES = {CertificateStatus.VALID: "success", CertificateStatus.EXPIRED: "warning",
                CertificateStatus.REVOKED: "danger", CertificateStatus.REPLACED: "default"}


def own_certificate(cid):
    """The holder's own certificate, else 404 (the same answer whether it exists or not)."""
    person = accounts.person_of(g.user)
    cert = db.session.get(Certificate, cid)
    if person is None or cert is None or cert.person_id != person.id:
        abort(404)
    return cert


@bp.route("/certificates")
@login_required
def my_certificates():
    person = accounts.person_of(g.user)
    items = (db.session.query(Certificate).filter_by(person_id=person.id)
             .order_by(Certificate.issue_date.desc(), Certificate.id.desc()).all() if person else [])
    rows = [(c, certificates.state_of(c)) for c in items]
    from app.services import cert_matters

    # E6–E9: the matters each certificate may be filed for now (the one rule: cert_matters.fileable)
    operations = {c.id: [(slug, cert_matters.TITLES[code]) for slug, code in cert_matters.SLUGS.items()
                         if cert_matters.fileable(c, code) is None] for c in items}
    return render("my_certificates.html", rows=rows, styles=STATE_STYLES, levels=CertLevel,
                  url_of=certificates.verification_url, operations=operations)


@bp.route("/certificates/<int:cid>.pdf")
@login_required
def certificate_pdf(cid):
    return send_pdf(own_certificate(cid))
