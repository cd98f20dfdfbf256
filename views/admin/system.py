"""系统: audit log, working-day calendar, background jobs (beside FAB's users and roles)."""
from flask_babel import lazy_gettext as _l

from models import Attachment, AuditLog, CalendarDay, Job
from views.base import model_view

CATEGORY = ("Security", _l("System"))

AuditLogView = model_view(AuditLog, list_columns=["at", "actor_name", "action", "object_type", "object_id", "ip"],
                          search_columns=["actor_name", "action", "object_type", "object_id", "at"],
                          show_columns=["at", "actor_name", "action", "object_type", "object_id", "changes", "ip"],
                          base_permissions=["can_list", "can_show", "can_export"], base_order=("at", "desc"),
                          formatters_columns={"object_type": lambda v: object_label(v)}, scope=None)


def object_label(model_name):
    from views import MODEL_LABELS

    return MODEL_LABELS.get(model_name, model_name)
CalendarDayView = model_view(CalendarDay, list_columns=["day", "is_workday", "note"],
                             search_columns=["day", "is_workday"], scope=None, base_order=("day", "desc"))
JobView = model_view(Job, list_columns=["kind", "status", "progress", "total", "created_at"],
                     search_columns=["kind", "status"], base_permissions=["can_list", "can_show"])

AttachmentView = model_view(Attachment, list_columns=["filename", "kind", "content_type", "size", "person",
                                                    "institution_id", "created_at"],
                            search_columns=["filename", "kind"], base_permissions=["can_list", "can_show"],
                            label_columns={"person": _l("Person")})

MENU = [
    (AuditLogView, _l("Audit log")),
    (CalendarDayView, _l("Working-day calendar")),
    (JobView, _l("Background jobs")),
    (AttachmentView, _l("Uploaded files")),
]
APIS = []
