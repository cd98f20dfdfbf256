"""在线办理 (seed 002 "个人业务"): the matter catalogue (F1, app/services/catalogue.py) as a person sees it."""
from flask import request, url_for

from app.services import catalogue
from views.portal import bp, current_candidate, render


@bp.route("/services")
def services():
    tab = request.args.get("tab", "all")
    groups, items = catalogue.grouped(catalogue.rows(current_candidate()), tab)
    return render("services.html", groups=groups, items=items, tab=tab,
                  tab_url=lambda code: url_for("portal.services", tab=code))
