"""Training: course categories, course filings, teachers, plans and CPD records (SPEC G1–G5)."""
from sqlalchemy import Date, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import mapped_column, relationship

from models.base import Model, TimestampMixin, _l, code_col, col, fk
from models.enums import PlanStatus, ReviewStatus, TeacherConfirm


class CourseCategory(Model):
    """G1: three-level category tree."""
    __tablename__ = "course_category"
    id = mapped_column(Integer, primary_key=True)
    name = col(String(64), _l("Category name"), nullable=False)
    level = col(Integer, _l("Level"), nullable=False)
    parent_id = fk("course_category.id", _l("Parent category"))
    parent = relationship("CourseCategory", remote_side=[id], info={"label": _l("Parent category")})
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_course_category"),)

    def __repr__(self):
        return self.name


class TeacherCategory(Model):
    """G1: a teacher bound to a course category, with experience."""
    __tablename__ = "teacher_category"
    __scope__ = {"Teacher": "person.user_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    person_id = fk("person.id", _l("Teacher"), nullable=False)
    person = relationship("Person", info={"label": _l("Teacher")})
    category_id = fk("course_category.id", _l("Course category"), nullable=False)
    category = relationship("CourseCategory", info={"label": _l("Course category")})
    experience = col(Text, _l("Work or teaching experience"))
    __table_args__ = (UniqueConstraint("person_id", "category_id", name="uq_teacher_category"),)


class Course(TimestampMixin, Model):
    """G2: course filing by an institution."""
    __tablename__ = "course"
    __staff_fields__ = ("status", "valid_until")  # decided by the association only
    id = mapped_column(Integer, primary_key=True)
    institution_id = fk("institution.id", _l("Institution"), nullable=False)
    institution = relationship("Institution", info={"label": _l("Institution")})
    category_id = fk("course_category.id", _l("Course category"), nullable=False)
    category = relationship("CourseCategory", info={"label": _l("Course category")})
    name = col(String(128), _l("Course name"), nullable=False)
    hours = col(Numeric(6, 1), _l("Hours"), nullable=False)
    status = code_col(ReviewStatus, _l("Status"), default=ReviewStatus.NOT_SUBMITTED)
    valid_until = col(Date, _l("Valid until"))

    def __repr__(self):
        return self.name


class CourseTeacher(Model):
    """G2: each named teacher confirms (agree/disagree + opinion)."""
    __tablename__ = "course_teacher"
    # who reaches which rows (app.scoping)
    __scope__ = {"Institution": "course.institution_id", "Teacher": "person.user_id"}
    id = mapped_column(Integer, primary_key=True)
    course_id = fk("course.id", _l("Course"), nullable=False, ondelete="CASCADE")
    course = relationship("Course", info={"label": _l("Course")})
    person_id = fk("person.id", _l("Teacher"), nullable=False)
    person = relationship("Person", info={"label": _l("Teacher")})
    confirm = code_col(TeacherConfirm, _l("Confirmation"), default=TeacherConfirm.PENDING)
    opinion = col(Text, _l("Opinion"))
    __table_args__ = (UniqueConstraint("course_id", "person_id", name="uq_course_teacher"),)


class TrainingPlan(TimestampMixin, Model):
    """G4: numbers like BA2022012-2022007."""
    __tablename__ = "training_plan"
    __staff_fields__ = ("status",)  # decided by the association only
    id = mapped_column(Integer, primary_key=True)
    plan_no = col(String(32), _l("Plan number"), nullable=False, unique=True)
    institution_id = fk("institution.id", _l("Institution"), nullable=False)
    institution = relationship("Institution", info={"label": _l("Institution")})
    course_id = fk("course.id", _l("Course"))
    course = relationship("Course", info={"label": _l("Course")})
    title = col(String(128), _l("Title"), nullable=False)
    start_date = col(Date, _l("Start date"), nullable=False)
    end_date = col(Date, _l("End date"), nullable=False)
    location = col(String(128), _l("Location"))
    status = code_col(PlanStatus, _l("Status"), default=PlanStatus.REPORTED)

    def __repr__(self):
        return self.plan_no


class TrainingRecord(TimestampMixin, Model):
    """Continuing education (CPD) of a person: course, dates, hours, category."""
    __tablename__ = "training_record"
    id = mapped_column(Integer, primary_key=True)
    person_id = fk("person.id", _l("Person"), nullable=False)
    person = relationship("Person", info={"label": _l("Person")})
    institution_id = fk("institution.id", _l("Institution"))
    institution = relationship("Institution", info={"label": _l("Institution")})
    course_name = col(String(128), _l("Course name"), nullable=False)
    start_date = col(Date, _l("Start date"), nullable=False)
    end_date = col(Date, _l("End date"), nullable=False)
    hours = col(Numeric(6, 1), _l("Hours"), nullable=False)
    category = col(String(64), _l("Category"))
    valid_until = col(Date, _l("Valid until"))
