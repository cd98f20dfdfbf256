"""证书: issued certificates."""
from flask_babel import lazy_gettext as _l

from models import Certificate
from views.base import model_api, model_view

CATEGORY = ("Certificates", _l("Certificates"))

CertificateView = model_view(
    Certificate,
    list_columns=["serial", "person", "certificate_type", "institution", "issue_date", "valid_until", "status"],
    search_columns=["serial", "certificate_type", "institution", "issue_date", "valid_until", "status"],
    show_columns=["serial", "person", "certificate_type", "institution", "issue_date", "valid_until", "status",
                  "status_reason", "status_changed_at", "version", "pdf_sha256"],
    add_columns=["serial", "person", "certificate_type", "institution", "issue_date", "valid_until"],
    edit_columns=["valid_until", "status", "status_reason"])

MENU = [(CertificateView, _l("Certificates"))]
APIS = [model_api(Certificate, list_columns=["id", "serial", "person_id", "certificate_type_id", "institution_id",
                                             "issue_date", "valid_until", "status"],
                  base_permissions=["can_get", "can_info"])]
