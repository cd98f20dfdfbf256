"""考务: registrations, rooms, invigilators, scheduling, scores, reports (payments: views/admin/finance.py)."""
from flask import g
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l

from app import listing
from app.services import institution_ops, results, scheduling
from models import (
    ExamResult,
    ExamSession,
    Invigilator,
    InvigilatorAssignment,
    MaterialEntry,
    Registration,
    Room,
    Score,
    SeatAssignment,
    WeeklyReport,
)
from views.admin.institution_ops import ReviewedRowView
from views.base import WRITE_RULES, model_api, model_view

CATEGORY = ("ExamAdmin", _l("Exam administration"))

# registrations change only through the wizard and the review (seats, workflow, locks): read-only here
READ_ONLY = ["can_list", "can_show", "can_export"]
RegistrationView = model_view(
    Registration,
    list_columns=["net_no", "person", "exam_plan", "category", "exam_site", "institution", "status", "submitted_at"],
    search_columns=["net_no", "exam_plan", "category", "institution", "status", "submitted_at"],
    base_permissions=READ_ONLY, keyword_search=listing.keyword_search(person="person_id", numbers=("net_no",)),
    keyword_hint=_l("Name, pinyin, phone, ID number or registration number"))
MaterialEntryView = model_view(MaterialEntry, list_columns=["registration", "section", "created_at"],
                               search_columns=["section"], base_permissions=READ_ONLY)
WRITE_RULES[Room] = lambda room: scheduling.capacity_error(room.id, room.capacity)  # D10: seats already given
RoomView = model_view(Room, list_columns=["name", "institution", "site", "room_type", "capacity", "status"],
                      search_columns=["name", "institution", "room_type", "status"])
InvigilatorView = model_view(Invigilator, list_columns=["staff_no", "name", "phone", "institution", "region", "duty"],
                             search_columns=["staff_no", "name", "phone", "institution", "duty"])
ExamSessionView = model_view(ExamSession, list_columns=["exam_plan", "subject", "name", "starts_at", "ends_at"],
                             search_columns=["exam_plan", "name", "starts_at"], scope=None)
SeatAssignmentView = model_view(SeatAssignment,
                                list_columns=["ticket_no", "registration", "session", "room", "seat_no", "published"],
                                search_columns=["ticket_no", "published"])
InvigilatorAssignmentView = model_view(InvigilatorAssignment, list_columns=["session", "room", "invigilator", "duty"],
                                       search_columns=["duty"])
class PublishedScoresFilter(BaseFilter):
    """E1: before an exam's publication time only the Association sees its scores and results
    (the one gate: app.services.results)."""
    name = "published scores"

    def apply(self, query, value):
        if results.visible_to(_Unpublished, g.user):
            return query
        return query.filter(results.published_clause(self.model.registration_id))


class _Unpublished:  # an exam whose scores are not yet published: who may see them anyway
    results_published_at = None


GATED = {"base_filters": [["id", PublishedScoresFilter, None]]}
ScoreView = model_view(Score, list_columns=["registration", "subject", "score", "absent"], search_columns=["absent"],
                       **GATED)
ExamResultView = model_view(ExamResult, list_columns=["registration", "total", "passed", "published_at"],
                            search_columns=["passed", "published_at"], **GATED)
def _weekly_numbers(self, item):
    """D14: the numbers come from the institution's data, the text from the institution."""
    self._guarded(item)
    if item.institution_id and item.week_start:
        item.registrations = institution_ops.week_numbers(item.institution_id, item.week_start)


WEEKLY_FORM = ["institution", "week_start", "training_delivered", "issues"]
WeeklyReportView = model_view(WeeklyReport, base=ReviewedRowView,
                              list_columns=["institution", "week_start", "registrations", "status"],
                              search_columns=["institution", "week_start", "status"],
                              add_columns=WEEKLY_FORM, edit_columns=WEEKLY_FORM)
WeeklyReportView.pre_add = WeeklyReportView.pre_update = _weekly_numbers

MENU = [
    (RegistrationView, _l("Registrations")),
    (MaterialEntryView, _l("Application materials")),
    (RoomView, _l("Exam rooms")),
    (InvigilatorView, _l("Invigilators")),
    (ExamSessionView, _l("Exam sessions")),
    (SeatAssignmentView, _l("Seat plan")),
    (InvigilatorAssignmentView, _l("Invigilation duties")),
    (ScoreView, _l("Subject scores")),
    (ExamResultView, _l("Certification results")),
    (WeeklyReportView, _l("Weekly reports")),
]
APIS = [
    model_api(Registration, list_columns=["id", "net_no", "person_id", "exam_plan_id", "category", "institution_id",
                                          "status", "submitted_at"],
              base_permissions=["can_get", "can_info"]),
    model_api(Room, list_columns=["id", "name", "institution_id", "room_type", "capacity", "status"]),
    model_api(Invigilator, list_columns=["id", "staff_no", "name", "phone", "institution_id"]),
]
