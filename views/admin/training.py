"""培训: course categories, teachers, course filings, plans, CPD records."""
from flask_babel import lazy_gettext as _l

from models import Course, CourseCategory, CourseTeacher, TeacherCategory, TrainingPlan, TrainingRecord
from views.base import model_view

CATEGORY = ("Training", _l("Training"))

CourseCategoryView = model_view(CourseCategory, list_columns=["name", "level", "parent"],
                                search_columns=["name", "level"], scope=None)
TeacherCategoryView = model_view(TeacherCategory, list_columns=["person", "category", "experience"],
                                 search_columns=["category"], edit_columns=["category", "experience"])
CourseView = model_view(Course, list_columns=["name", "institution", "category", "hours", "status", "valid_until"],
                        search_columns=["name", "institution", "category", "status"])
CourseTeacherView = model_view(CourseTeacher, list_columns=["course", "person", "confirm", "opinion"],
                               search_columns=["confirm"], edit_columns=["confirm", "opinion"])
TrainingPlanView = model_view(TrainingPlan, list_columns=["plan_no", "title", "institution", "start_date",
                                                          "end_date", "status"],
                              search_columns=["plan_no", "title", "institution", "status"])
TrainingRecordView = model_view(TrainingRecord, list_columns=["person", "course_name", "start_date", "end_date",
                                                              "hours", "category"],
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
