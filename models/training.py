"""Training: course categories, course filings, teachers, plans and CPD records (SPEC G1–G5).

Every review of these rows is a matter (app/matters/training.py); the rows carry the outcome."""
from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import mapped_column, relationship

from models.base import Model, TimestampMixin, _l, code_col, col, fk
from models.enums import CourseDelivery, CourseStatus, PlanStatus, ReviewStatus, TeacherConfirm


class CourseCategory(Model):
    """G1: three-level category tree (app/data/course_categories.csv)."""
    __tablename__ = "course_category"
    id = mapped_column(Integer, primary_key=True)
    name = col(String(64), _l("Category name"), nullable=False)
    level = col(Integer, _l("Level"), nullable=False)
    parent_id = fk("course_category.id", _l("Parent category"))
    parent = relationship("CourseCategory", remote_side=[id], info={"label": _l("Parent category")})
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_course_category"),)

    @property
    def path(self):
        """基础课程 > 基础认证 > 认证人员守则"""
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " > ".join(reversed(names))

    def __repr__(self):
        return self.path


class TeacherCategory(Model):
    """G1: a teacher bound to a course category, with the experience that qualifies them; the
    Association reviews the binding (matter teacher_category_binding)."""
    __tablename__ = "teacher_category"
    __scope__ = {"Teacher": "person.user_id"}  # who reaches which rows (app.scoping)
    __staff_fields__ = ("status",)
    id = mapped_column(Integer, primary_key=True)
    person_id = fk("person.id", _l("Teacher"), nullable=False)
    person = relationship("Person", info={"label": _l("Teacher")})
    category_id = fk("course_category.id", _l("Course category"), nullable=False)
    category = relationship("CourseCategory", info={"label": _l("Course category")})
    experience = col(Text, _l("Work or teaching experience"))
    # [{kind: work|teaching, start_date, end_date, organisation, content}] (app/services/teacher_categories.py)
    experiences = col(JSON, _l("Experience rows"), default=list, nullable=False)
    status = code_col(ReviewStatus, _l("Status"), default=ReviewStatus.NOT_SUBMITTED)
    __table_args__ = (UniqueConstraint("person_id", "category_id", name="uq_teacher_category"),)


class Course(TimestampMixin, Model):
    """G2: course filing by an institution; a filed course has a filing number and a validity."""
    __tablename__ = "course"
    __staff_fields__ = ("status", "valid_until", "filing_no", "filed_at", "valid_from")
    id = mapped_column(Integer, primary_key=True)
    institution_id = fk("institution.id", _l("Institution"), nullable=False)
    institution = relationship("Institution", info={"label": _l("Institution")})
    category_id = fk("course_category.id", _l("Course category"), nullable=False)
    category = relationship("CourseCategory", info={"label": _l("Course category")})
    name = col(String(128), _l("Course name"), nullable=False)
    hours = col(Numeric(6, 1), _l("Hours"), nullable=False)
    delivery = code_col(CourseDelivery, _l("Delivery"), default=CourseDelivery.CLASSROOM)
    outline = col(Text, _l("Course outline"))
    material_id = fk("attachment.id", _l("Course materials"))
    video_id = fk("attachment.id", _l("Course video"))
    status = code_col(CourseStatus, _l("Status"), default=CourseStatus.NOT_SUBMITTED)
    filing_no = col(String(32), _l("Filing number"), unique=True)
    filed_at = col(DateTime, _l("Filed at"))
    valid_from = col(Date, _l("Valid from"))
    valid_until = col(Date, _l("Valid until"))
    teachers = relationship("CourseTeacher", back_populates="course", cascade="all, delete-orphan",
                            order_by="CourseTeacher.id", info={"label": _l("Teachers")})

    def __repr__(self):
        return self.name


class CourseTeacher(Model):
    """G2: each named teacher confirms (agree/disagree + opinion); G3: unbinds from a filed course."""
    __tablename__ = "course_teacher"
    # who reaches which rows (app.scoping)
    __scope__ = {"Institution": "course.institution_id", "Teacher": "person.user_id"}
    id = mapped_column(Integer, primary_key=True)
    course_id = fk("course.id", _l("Course"), nullable=False, ondelete="CASCADE")
    course = relationship("Course", back_populates="teachers", info={"label": _l("Course")})
    person_id = fk("person.id", _l("Teacher"), nullable=False)
    person = relationship("Person", info={"label": _l("Teacher")})
    confirm = code_col(TeacherConfirm, _l("Confirmation"), default=TeacherConfirm.PENDING)
    opinion = col(Text, _l("Opinion"))
    confirmed_at = col(DateTime, _l("Confirmed at"))
    __table_args__ = (UniqueConstraint("course_id", "person_id", name="uq_course_teacher"),)


class TrainingPlan(TimestampMixin, Model):
    """G4: numbers like BA2022012-2022007 (app/services/training_plans.py allocates them)."""
    __tablename__ = "training_plan"
    __staff_fields__ = ("status", "plan_no")  # decided by the engine only
    id = mapped_column(Integer, primary_key=True)
    plan_no = col(String(32), _l("Plan number"), nullable=False, unique=True)
    institution_id = fk("institution.id", _l("Institution"), nullable=False)
    institution = relationship("Institution", info={"label": _l("Institution")})
    course_id = fk("course.id", _l("Course"))  # the first of the plan's courses (lists show it)
    course = relationship("Course", info={"label": _l("Course")})
    title = col(String(128), _l("Title"), nullable=False)
    start_date = col(Date, _l("Start date"), nullable=False)
    end_date = col(Date, _l("End date"), nullable=False)
    location = col(String(128), _l("Location"))
    capacity = col(Integer, _l("Capacity"))
    status = code_col(PlanStatus, _l("Status"), default=PlanStatus.DRAFT)
    terminated_reason = col(Text, _l("Reason for termination"))
    finished_at = col(DateTime, _l("Finished at"))
    courses = relationship("TrainingPlanCourse", back_populates="plan", cascade="all, delete-orphan",
                           order_by="TrainingPlanCourse.id", info={"label": _l("Courses")})
    teachers = relationship("TrainingPlanTeacher", back_populates="plan", cascade="all, delete-orphan",
                            order_by="TrainingPlanTeacher.id", info={"label": _l("Teachers")})
    attendees = relationship("TrainingPlanAttendee", back_populates="plan", cascade="all, delete-orphan",
                             order_by="TrainingPlanAttendee.id", info={"label": _l("Attendees")})

    def __repr__(self):
        return self.plan_no


class TrainingPlanCourse(Model):
    """G4: a filed course taught in the plan."""
    __tablename__ = "training_plan_course"
    __scope__ = {"Institution": "plan.institution_id"}
    id = mapped_column(Integer, primary_key=True)
    plan_id = fk("training_plan.id", _l("Training plan"), nullable=False, ondelete="CASCADE")
    plan = relationship("TrainingPlan", back_populates="courses", info={"label": _l("Training plan")})
    course_id = fk("course.id", _l("Course"), nullable=False)
    course = relationship("Course", info={"label": _l("Course")})
    __table_args__ = (UniqueConstraint("plan_id", "course_id", name="uq_training_plan_course"),)


class TrainingPlanTeacher(Model):
    """G4: a teacher named in the plan confirms it."""
    __tablename__ = "training_plan_teacher"
    __scope__ = {"Institution": "plan.institution_id", "Teacher": "person.user_id"}
    id = mapped_column(Integer, primary_key=True)
    plan_id = fk("training_plan.id", _l("Training plan"), nullable=False, ondelete="CASCADE")
    plan = relationship("TrainingPlan", back_populates="teachers", info={"label": _l("Training plan")})
    person_id = fk("person.id", _l("Teacher"), nullable=False)
    person = relationship("Person", info={"label": _l("Teacher")})
    confirm = code_col(TeacherConfirm, _l("Confirmation"), default=TeacherConfirm.PENDING)
    opinion = col(Text, _l("Opinion"))
    confirmed_at = col(DateTime, _l("Confirmed at"))
    __table_args__ = (UniqueConstraint("plan_id", "person_id", name="uq_training_plan_teacher"),)


class TrainingPlanAttendee(Model):
    """G4: who attended a plan and the hours recorded for them when it finishes."""
    __tablename__ = "training_plan_attendee"
    __scope__ = {"Institution": "plan.institution_id"}
    id = mapped_column(Integer, primary_key=True)
    plan_id = fk("training_plan.id", _l("Training plan"), nullable=False, ondelete="CASCADE")
    plan = relationship("TrainingPlan", back_populates="attendees", info={"label": _l("Training plan")})
    person_id = fk("person.id", _l("Attendee"), nullable=False)
    person = relationship("Person", info={"label": _l("Attendee")})
    hours = col(Numeric(6, 1), _l("Hours"))
    attended = col(Boolean, _l("Attended"), default=True, nullable=False)
    __table_args__ = (UniqueConstraint("plan_id", "person_id", name="uq_training_plan_attendee"),)


class TrainingRecord(TimestampMixin, Model):
    """Continuing education (CPD) of a person: course, dates, hours, category; a finished plan writes one
    per attendee with a training certificate number (I5 培训证书查询)."""
    __tablename__ = "training_record"
    id = mapped_column(Integer, primary_key=True)
    person_id = fk("person.id", _l("Person"), nullable=False)
    person = relationship("Person", info={"label": _l("Person")})
    institution_id = fk("institution.id", _l("Institution"))
    institution = relationship("Institution", info={"label": _l("Institution")})
    plan_id = fk("training_plan.id", _l("Training plan"))
    plan = relationship("TrainingPlan", info={"label": _l("Training plan")})
    certificate_no = col(String(40), _l("Training certificate number"), unique=True)
    course_name = col(String(128), _l("Course name"), nullable=False)
    start_date = col(Date, _l("Start date"), nullable=False)
    end_date = col(Date, _l("End date"), nullable=False)
    hours = col(Numeric(6, 1), _l("Hours"), nullable=False)
    category = col(String(64), _l("Category"))
    valid_until = col(Date, _l("Valid until"))
    __table_args__ = (UniqueConstraint("plan_id", "person_id", name="uq_training_record_plan_person"),)
