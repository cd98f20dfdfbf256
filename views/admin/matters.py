"""事项: matters with their workflow actions, history and the catalogue."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import app.matters  # noqa: F401  (declares the matter types)
from app import listing, workflow
from app.extensions import db
from app.services import matter_content
from app.workflow import WorkflowError
from models import Matter, MatterHistory, MatterType
from views.admin import course_reviews, expert_review
from views.base import PlatformModelView, model_api, model_view

CATEGORY = ("Matters", _l("Matters"))


def _transition_action(name, t):
    """A FAB action per transition: it opens the confirm page (opinion field)."""
    def run(self, items):
        return redirect(url_for(".transition", name=name, ids=",".join(str(i.id) for i in items)))

    run.__name__ = f"action_{name}"
    return action(name, t.label, confirmation=None, icon="fa-check", multiple=True, single=True)(run)


class _Actions(dict):
    """FAB shows every action when it is handed an empty dict (``actions or self.actions``):
    an empty selection must stay empty."""
    def __bool__(self):
        return True


class MatterBase(PlatformModelView):
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_export", "can_transition"]
    show_template = "platform/matter_show.html"

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        # only the transitions this user may take at the matter's current stage
        allowed = {t.name for t in workflow.available_transitions(item, g.user)}
        actions = _Actions((name, a) for name, a in self.actions.items() if name in allowed)
        return super()._get_show_widget(pk, item, widgets=widgets, actions=actions, show_fieldsets=show_fieldsets)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        matter = self.get_scoped(pk)
        widgets = self._show(matter.id)
        return self.render_template(
            self.show_template, pk=matter.id, title=self.show_title, widgets=widgets,
            related_views=self._related_views, history=matter.history, stage_label=workflow.stage_label,
            content=matter_content.of(matter),
            registration_id=(matter.payload or {}).get("registration_id") or (
                matter.object_id if matter.object_type == "Registration" else None),
            transition_label=workflow.operation_label,
            # F3: 指派专家, 专家评价, the proposal; G5: a course matter's 评价 opens its own screen
            **{**expert_review.links(matter, g.user, self.appbuilder.sm),
               **course_reviews.links(matter, g.user, self.appbuilder.sm)},
            # E3: the Association answers a re-check on its own page (scores, decision, opinion)
            recheck_url=url_for("ScoreEntryView.recheck", matter_id=matter.id)
            if matter.type_code == "score_recheck" and matter.state == "association_review"
            and self.appbuilder.sm.has_access("can_enter", "ScoreEntryView") else None)

    @expose("/transition/<name>", methods=["GET", "POST"])
    @has_access
    def transition(self, name):
        t = workflow.transition_names().get(name)
        if t is None or not self.appbuilder.sm.has_access(name, self.class_permission_name):
            flash(_("You may not take this operation."), "danger")
            return redirect(url_for(".list"))
        ids = list(dict.fromkeys(i for i in request.values.get("ids", "").split(",") if i.isdigit()))
        matters = [self.get_scoped(i) for i in ids]
        if request.method == "POST":
            done, errors = 0, []
            for matter in matters:
                try:
                    workflow.apply(matter.id, name, g.user, opinion=request.form.get("opinion"))
                    done += 1
                except WorkflowError as exc:
                    errors.append(str(exc))
            if done:
                flash(_("%(op)s: %(n)d matter(s) done.", op=t.label, n=done), "success")
            for message in errors:
                flash(message, "danger")
            return redirect(url_for(".list"))
        # a transition name is shared by types; whether it needs an opinion is each type's own
        needs_opinion = any(getattr(workflow.matter_type_of(m).transition(name), "opinion", False) for m in matters)
        return self.render_template("platform/transition.html", t=t, matters=matters, needs_opinion=needs_opinion,
                                    ids=",".join(ids), stage_label=workflow.stage_label)


for _name, _t in workflow.transition_names().items():
    setattr(MatterBase, f"action_{_name}", _transition_action(_name, _t))


MatterView = model_view(
    Matter, base=MatterBase,
    list_columns=["business_no", "matter_type", "title", "state", "status", "applicant", "institution", "filed_at",
                  "due_date", "overdue"],
    search_columns=["business_no", "matter_type", "title", "state", "status", "institution", "filed_at",
                    "due_date"],
    show_columns=["business_no", "matter_type", "title", "state", "status", "applicant", "institution",
                  "assignee", "filed_at", "due_date", "overdue", "completed_at"],
    # F3: an expert is assigned through the engine (ExpertAssignView: history and notification), not here
    add_columns=["matter_type", "title", "institution"],
    edit_columns=["title", "due_date"],
    label_columns={"overdue": _l("Overdue")},
    formatters_columns={
        "state": lambda v: workflow.stage_label(v),
        "overdue": lambda v: _("Yes") if v else "",
    },
    order_columns=["business_no", "filed_at", "due_date", "status"],
    keyword_search=listing.keyword_search(person=("applicant_id", "user_id"), numbers=("business_no",)),
    keyword_hint=_l("Applicant's name, pinyin, phone, ID number or business number"),
    # the type picker offers only what this user may file
    add_form_query_rel_fields={"matter_type": [["code", FilterInFunction, lambda: fileable_types(g.user)]]},
)


def fileable_types(user):
    return [code for code, mtype in workflow.REGISTRY.items() if workflow.may_file(mtype, user)]


def _pre_add_matter(self, item):
    """A matter created in the back office gets a business number and starts as a draft."""
    self._guarded(item)
    mtype = workflow.REGISTRY.get(item.type_code or getattr(item.matter_type, "code", None))
    if mtype is None or not workflow.may_file(mtype, g.user):
        db.session.rollback()
        raise ValueError(_("You may not file this kind of matter."))
    item.type_code = mtype.code
    item.business_no = workflow.allocate_business_no()
    item.state = mtype.initial
    item.status = mtype.state(mtype.initial).status.value
    item.applicant_id = g.user.id
    item.payload = item.payload or {}


MatterView.pre_add = _pre_add_matter

MatterHistoryView = model_view(
    MatterHistory, list_columns=["matter", "transition", "from_state", "to_state", "actor", "at", "opinion"],
    search_columns=["transition", "at"], base_permissions=["can_list", "can_show", "can_export"],
    formatters_columns={"from_state": lambda v: workflow.stage_label(v),
                        "to_state": lambda v: workflow.stage_label(v),
                        "transition": lambda v: workflow.operation_label(v)},
    base_order=("at", "desc"))
MatterTypeView = model_view(
    MatterType, list_columns=["code", "name", "category", "deadline_workdays", "online_entry", "enabled"],
    search_columns=["code", "name", "category", "enabled"],
    edit_columns=["name", "category", "deadline_workdays", "online_entry", "enabled"],
    base_permissions=["can_list", "can_show", "can_edit", "can_export"], scope=None)

MENU = [
    (MatterView, _l("All matters")),
    (MatterHistoryView, _l("Matter history")),
    (MatterTypeView, _l("Matter catalogue")),
]
APIS = [model_api(Matter, list_columns=["id", "business_no", "type_code", "title", "state", "status",
                                        "applicant_id", "institution_id", "filed_at", "due_date"],
                  base_permissions=["can_get", "can_info"])]
