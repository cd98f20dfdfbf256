"""人员: institutions, people and their records, reference catalogues."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import listing
from app.audit import record
from app.extensions import db
from app.services import candidates
from models import Education, Institution, Major, Person, Region, WorkExperience
from models.enums import AuditAction, CandidateSource
from views.base import PlatformModelView, model_api, model_view

CATEGORY = ("People", _l("People"))

InstitutionView = model_view(
    Institution,
    list_columns=["name", "uscc", "kind", "region", "contact_name", "contact_phone", "status"],
    search_columns=["name", "uscc", "kind", "contact_name", "status"],
    add_columns=["name", "uscc", "kind", "region", "address", "contact_name", "contact_phone", "status"],
)


class PersonBase(PlatformModelView):
    # D4 批量修改 / 批量删除: actions, so rows arrive through the scope (PlatformModelView._run_action)
    base_permissions = PlatformModelView.base_permissions + ["can_view_id_number", "batch_edit", "batch_delete"]
    show_template = "platform/person_show.html"

    @action("batch_edit", _l("Batch edit"), icon="fa-edit", multiple=True, single=False)
    def batch_edit(self, items):
        """First the form for the chosen rows; the form posts back here (``apply``) with the same rows."""
        if request.form.get("apply"):
            try:
                n = candidates.batch_edit(items, request.form.to_dict(), g.user)
            except candidates.BatchRefused as exc:
                db.session.rollback()
                flash(str(exc), "danger")
            else:
                flash(_("Changed %(n)s candidates.", n=n), "success")
                return redirect(url_for(".list"))
        return self.render_template("people/batch_edit.html", items=items, form=request.form,
                                    fields=candidates.BATCH_FIELDS, sources=[CandidateSource.SCHOOL,
                                                                             CandidateSource.SOCIAL])

    @action("batch_delete", _l("Batch delete"), icon="fa-trash", multiple=True, single=False,
            confirmation=_l("Delete the chosen candidates? Candidates who have registered for an exam or have an "
                            "account cannot be deleted; then nothing is deleted."))
    def batch_delete(self, items):
        try:
            n = candidates.batch_delete(items)
        except candidates.BatchRefused as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Deleted %(n)s candidates.", n=n), "success")
        return redirect(url_for(".list"))

    # the single delete follows the same rules as the batch one
    def pre_delete(self, item):
        refusal = candidates.deletion_refusal([item])
        if refusal:
            raise ValueError(refusal)
        g.deleting = (item.id, candidates.delete_dependents([item]))

    def post_delete(self, item):
        pid, paths = g.pop("deleting", (None, []))
        if db.session.get(Person, pid) is None:  # FAB calls this even when the delete was rolled back
            candidates.remove_files(paths)

    @expose("/id_number/<int:pk>")
    @has_access
    @permission_name("view_id_number")
    def id_number(self, pk):
        """The full ID number, for roles allowed to see it; each view is audited."""
        person = self.get_scoped(pk)
        record(AuditAction.VIEW_ID_NUMBER, "Person", person.id)
        return self.render_template("platform/id_number.html", person=person, number=person.full_id_number())


PersonView = model_view(
    Person, base=PersonBase,
    list_columns=["name", "gender", "id_number_masked", "phone", "institution", "source", "verify_state",
                  "realname_verified"],
    search_columns=["name", "phone", "email", "institution", "source", "verify_state", "realname_verified"],
    show_columns=["name", "pinyin", "gender", "id_type", "id_number_masked", "birth_date", "phone", "email",
                  "institution", "source", "employer", "region", "enrollment_year", "major", "major_text",
                  "verify_state", "verify_note", "realname_verified", "is_expert", "is_teacher", "created_at"],
    edit_columns=["name", "pinyin", "gender", "phone", "email", "institution", "source", "employer", "region",
                  "enrollment_year", "major", "major_text", "verify_state", "is_expert", "is_teacher"],
    # no generic add: an ID number is set through the identity service (check digit, blind index)
    base_permissions=[p for p in PersonBase.base_permissions if p != "can_add"],
    keyword_search=listing.person_clause,  # P1: ID number, phone, pinyin or name
    keyword_hint=_l("Name, pinyin, phone or ID number"),
)

MajorView = model_view(Major, list_columns=["code", "name", "old_name", "level", "family", "version"],
                       search_columns=["code", "name", "old_name", "level", "family"], scope=None)
RegionView = model_view(Region, list_columns=["code", "name", "level", "parent"],
                        search_columns=["code", "name", "level"], scope=None)
EducationView = model_view(Education, list_columns=["person", "school", "major", "degree", "graduation_month",
                                                    "is_highest"],
                           search_columns=["school", "major", "degree", "is_highest"])
WorkExperienceView = model_view(WorkExperience, list_columns=["person", "employer", "title", "start_month",
                                                              "end_month", "years_in_occupation"],
                                search_columns=["employer", "title"])
# credit records and memberships: views/admin/credit.py (F9, F10)

MENU = [
    (InstitutionView, _l("Institutions")),
    (PersonView, _l("Candidates and personnel")),
    (EducationView, _l("Education records")),
    (WorkExperienceView, _l("Work résumés")),
    (MajorView, _l("Major catalogue")),
    (RegionView, _l("Administrative divisions")),
]
APIS = [
    model_api(Institution, list_columns=["id", "name", "uscc", "kind", "contact_name", "contact_phone", "status"]),
    model_api(Person, list_columns=["id", "name", "gender", "id_number_masked", "phone", "institution_id",
                                    "source", "verify_state"],
              show_columns=["id", "name", "pinyin", "gender", "id_type", "id_number_masked", "birth_date", "phone",
                            "email", "institution_id", "source", "verify_state", "realname_verified"],
              add_columns=["name"], edit_columns=["name", "pinyin", "gender", "phone", "email", "verify_state"],
              base_permissions=["can_get", "can_put", "can_info"]),
    model_api(Major, list_columns=["id", "code", "name", "old_name", "level", "family"], scope=None),
]
