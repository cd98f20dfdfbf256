"""在线办理 (seed 002 "个人业务"): the catalogue of matters a person may file online, each with
its completion deadline in working days from the matter catalogue."""
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

import app.matters  # noqa: F401  (declares the matter types)
from app.services import cert_matters as cm
from app.workflow import deadline_of
from views.portal import bp, render

# (matter type, portal endpoint, its arguments, the seed's name); a page not installed is listed unlinked
SERVICES = [
    ("score_recheck", "portal.recheck_new", {}, _l("Score re-check application")),
    (cm.REISSUE, "portal.cert_matter_new", {"slug": "reissue"}, cm.TITLES[cm.REISSUE]),
    (cm.CHANGE, "portal.cert_matter_new", {"slug": "change"}, cm.TITLES[cm.CHANGE]),
    (cm.CANCELLATION, "portal.cert_matter_new", {"slug": "cancellation"}, cm.TITLES[cm.CANCELLATION]),
    (cm.ANNUAL, "portal.cert_matter_new", {"slug": "annual"}, cm.TITLES[cm.ANNUAL]),
]


@bp.route("/services")
def services():
    rows = [{"name": name, "deadline": deadline_of(code),
             "url": url_for(endpoint, **args) if endpoint in current_app.view_functions else None}
            for code, endpoint, args, name in SERVICES]
    return render("services.html", services=rows)
