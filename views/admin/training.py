"""培训: course categories, teachers, course filings, plans, CPD records."""
from flask_babel import lazy_gettext as _l

from models import Course, CourseCategory, CourseTeacher, TeacherCategory, TrainingPlan, TrainingRecord
from views.base import model_view

CATEGORY = ("Training", _l("Training"))

CourseCategoryView = model_view(CourseCategory, list_columns=["name", "level", "parent"],
                                search_columns=["name", "level"], scope=None)
TeacherCategoryView = model_view(TeacherCategory, list_columns=["person", "category", "experience"],
                                 search_columns=["category"], edit_columns=["category", "experience"])
# G2: read-only lists; courses are filed on CourseFilingView, teachers confirm on TeacherFilingView
CourseView = model_view(Course, list_columns=["filing_no", "name", "institution", "category", "delivery", "hours",
                                              "status", "valid_until"],
                        search_columns=["filing_no", "name", "institution", "category", "delivery", "status",
                                        "valid_until"],
                        base_permissions=["can_list", "can_show", "can_export"])
CourseTeacherView = model_view(CourseTeacher, list_columns=["course", "person", "confirm", "opinion", "confirmed_at"],
                               search_columns=["confirm"], base_permissions=["can_list", "can_show", "can_export"])
TrainingPlanView = model_view(TrainingPlan, list_columns=["plan_no", "title", "institution", "course", "start_date",
                                                          "end_date", "location", "capacity", "status"],
                              search_columns=["plan_no", "title", "institution", "status"])
TrainingRecordView = model_view(TrainingRecord, list_columns=["person", "course_name", "start_date", "end_date",
                                                              "hours", "category", "certificate_no", "plan"],
                                search_columns=["course_name", "category"])

MENU = [
    (CourseCategoryView, _l("Course categories")),
    (TeacherCategoryView, _l("Teacher course categories")),
    (CourseView, _l("Course filings")),
    (CourseTeacherView, _l("Teacher confirmations")),
    (TrainingPlanView, _l("Training plans")),
    (TrainingRecordView, _l("Continuing education records")),
]
APIS = []
