"""F1 事项目录 for institutions, and the institution's own 申诉 / 投诉 (F5, F6) filed in the back
office (a person files them in the portal; the rules are app/services/personnel_matters.py)."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.roles import INSTITUTION
from app.services import catalogue
from app.services import personnel_matters as pm
from app.workflow import WorkflowError

CATEGORY = ("Matters", _l("Matters"))
# what an institution files here
INSTITUTION_KINDS = {"appeal": pm.APPEAL, "complaint": pm.COMPLAINT}


class PersonnelMattersView(BaseView):
    """在线办理 of an institution: the catalogue, and the appeal and complaint forms."""
    route_base = "/personnelmattersview"
    default_view = "catalogue"
    base_permissions = ["can_catalogue", "can_file"]

    @expose("/catalogue")
    @has_access
    def catalogue(self):
        tab = request.args.get("tab", "all")
        groups, items = catalogue.grouped(catalogue.rows(g.user, audience=INSTITUTION), tab)
        return self.render_template("platform/catalogue.html", groups=groups, items=items, tab=tab,
                                    tab_url=lambda code: url_for(".catalogue", tab=code))

    @expose("/file/<slug>", methods=["GET", "POST"])
    @has_access
    def file(self, slug):
        if slug not in INSTITUTION_KINDS:
            abort(404)
        type_code = INSTITUTION_KINDS[slug]
        errors = {}
        if request.method == "POST":
            try:
                values = pm.clean(type_code, request.form, g.user)
                uploads = pm.checked_files(type_code, [(f.read(), f.filename) for f in request.files.getlist(
                    "documents") if f and f.filename])
                matter = pm.file(type_code, g.user, values, uploads)
            except (pm.PersonnelMatterError, WorkflowError) as exc:
                errors = {getattr(exc, "field", "form"): str(exc)}
            else:
                flash(_("%(name)s has been submitted (business number %(no)s).", name=pm.TITLES[type_code],
                        no=matter.business_no), "success")
                return redirect(url_for("MatterView.show", pk=matter.id))
        return self.render_template("platform/personnel_matter.html", name=pm.TITLES[type_code],
                                    fields=pm.FIELDS[type_code], form=request.form, errors=errors,
                                    refusal=pm.refusal(type_code, g.user))


MENU = [(PersonnelMattersView, _l("Online services"))]
APIS = []
