"""Registers every view, API and blueprint on the AppBuilder, grouped by
business area (人员, 考试, 考务, 证书, 事项, 培训, 消息, 统计, 系统)."""
from flask_babel import lazy_gettext as _l

from views.admin import (
    announcements,
    certificates,
    course_filings,
    course_reviews,
    credit,
    exam_printables,
    examadmin,
    exams,
    expert_review,
    finance,
    imports,
    institution_ops,
    matters,
    messages,
    people,
    personnel_matters,
    photo_imports,
    registrations,
    scheduling,
    scores,
    statistics,
    support_queue,
    system,
    teacher_bindings,
    training,
    training_plans,
)

AREAS = [people, exams, examadmin, registrations, scores, finance, certificates, matters, training, messages,
         statistics, system, institution_ops, imports, photo_imports, scheduling, exam_printables,
         personnel_matters, expert_review, credit, teacher_bindings, course_filings, course_reviews, training_plans,
         announcements, support_queue]


def _titles(view, label):
    """Page titles from the menu label (FAB's default is 'List <ModelName>' in English)."""
    view.list_title = label
    view.show_title = _l("Details: %(name)s", name=label)
    view.add_title = _l("Add: %(name)s", name=label)
    view.edit_title = _l("Edit: %(name)s", name=label)


# model class name -> its label (the audit log shows object types in words)
MODEL_LABELS = {"PlatformUser": _l("Users")}


def register_views(appbuilder):
    for area in AREAS:
        category, category_label = area.CATEGORY
        for view, label in area.MENU:
            _titles(view, label)
            if hasattr(view, "datamodel"):
                MODEL_LABELS.setdefault(view.datamodel.obj.__name__, label)
            # menu item name: the model name (the view's own permission name is <Model>View)
            appbuilder.add_view(view, view.__name__.removesuffix("View"), label=label, category=category,
                                category_label=category_label)
        for api in area.APIS:
            appbuilder.add_api(api)
    from flask import current_app

    from views import files, gateway, health, jobs, navigation, notifications, portal, printables, query, verify

    navigation.init_app(current_app)
    current_app.register_blueprint(health.bp)
    current_app.register_blueprint(notifications.bp)
    current_app.register_blueprint(files.bp)
    current_app.register_blueprint(jobs.bp)
    current_app.register_blueprint(printables.bp)
    current_app.register_blueprint(portal.bp)
    current_app.register_blueprint(verify.bp)
    current_app.register_blueprint(query.bp)
    current_app.register_blueprint(gateway.bp)
    current_app.register_blueprint(gateway.sandbox_bp)
    # the portal's login and code senders share the back office's per-IP login limit
    limit = appbuilder.sm.limiter.limit(current_app.config["AUTH_RATE_LIMIT"], methods=["POST"])
    for endpoint in ("login", "send_sms", "register", "reset_password", "register_institution"):
        name = f"portal.{endpoint}"
        current_app.view_functions[name] = limit(current_app.view_functions[name])
    # E5: the verification's JSON and PDF check share one per-IP limit (read per request, so tests may lower it)
    limit = appbuilder.sm.limiter.shared_limit(lambda: current_app.config["VERIFY_RATE_LIMIT"], scope="verify")
    for endpoint in ("api", "api_by_token", "check_pdf"):
        name = f"verify.{endpoint}"
        current_app.view_functions[name] = limit(current_app.view_functions[name])
    # the form's lookups count too (the image code alone can be solved by hand at scale); showing it does not
    form_limit = appbuilder.sm.limiter.shared_limit(lambda: current_app.config["VERIFY_RATE_LIMIT"], scope="verify",
                                                    methods=["POST"])
    current_app.view_functions["verify.index"] = form_limit(current_app.view_functions["verify.index"])
    # I5: the public query hall's lookups (form POSTs, every JSON GET) spend the same per-IP budget
    current_app.view_functions["query.api"] = limit(current_app.view_functions["query.api"])
    current_app.view_functions["query.lookup"] = form_limit(current_app.view_functions["query.lookup"])
