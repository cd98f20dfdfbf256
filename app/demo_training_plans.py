"""Demo data of G4 培训计划: the demo institution's plans in every state, moved by the workflow engine
(the effects in app/services/training_plans.py keep the rows in step).

They teach the two filed demo courses (app/demo_training_courses.py runs first): 认证人员守则解读
(赵老师 and 钱老师) and QMS体系测试课程 (赵老师).  The finished plan lies in the past: it is reported
through the engine's own ``submit`` (the not-in-the-past check belongs to the form and to
``training_plans.submit``), then finished, which writes the attendees' CPD records (F9, E9, I5)."""
import datetime

from sqlalchemy import select

from app import workflow
from app.extensions import db
from app.services import training_plans
from models import Course, Person, TrainingPlan

PREFIX = "示例"


def _courses(institution_id, *names):
    found = [db.session.scalar(select(Course).where(Course.institution_id == institution_id, Course.name == n))
             for n in names]
    return found if all(c is not None and c in training_plans.filed_courses(institution_id) for c in found) else None


def _person(user):
    return db.session.scalar(select(Person).where(Person.user_id == user.id))


def _plan(inst, title, courses, teachers, start, days=2, location="北京市海淀区学院路30号 培训楼201", capacity=40):
    """The plan as a draft (None when it exists already), and its matter."""
    title = f"{PREFIX}{title}"
    if db.session.scalar(select(TrainingPlan.id).where(TrainingPlan.institution_id == inst.institution_id,
                                                       TrainingPlan.title == title)) is not None:
        return None
    plan = training_plans.save(inst, {
        "title": title, "start_date": start, "end_date": start + datetime.timedelta(days=days),
        "location": location, "capacity": capacity, "courses": courses, "teachers": teachers})
    return plan, training_plans.matter_of(plan)


def _all_agree(matter, *teacher_users):
    for user in teacher_users:
        training_plans.confirm(matter.id, user, True, "同意承担授课")


def demo_plans(users):
    inst, assoc, teacher = users["institution"], users["association"], users["teacher"]
    teacher2 = users.get("teacher2") or db.session.scalar(select(type(teacher)).where(
        type(teacher).username == "teacher2"))
    both = _courses(inst.institution_id, "认证人员守则解读", "QMS体系测试课程")
    if both is None or teacher2 is None:
        return
    rules, qms = both
    zhao, qian = _person(teacher), _person(teacher2)
    today = datetime.date.today()
    day = lambda n: today + datetime.timedelta(days=n)  # noqa: E731

    # 未上报 (draft)
    _plan(inst, "认证人员守则专题培训（草稿）", [rules], [zhao, qian], day(40))
    # 待教师确认: QMS体系测试课程, 赵老师 still to answer
    found = _plan(inst, "QMS体系测试课程培训班", [qms], [zhao], day(21))
    if found:
        training_plans.submit(found[0], inst)
    # 协会审批: both teachers agreed
    found = _plan(inst, "认证人员守则解读培训班（第二期）", [rules], [zhao, qian], day(28))
    if found:
        training_plans.submit(found[0], inst)
        _all_agree(found[1], teacher, teacher2)
    # 已批准, upcoming
    found = _plan(inst, "质量管理体系审核员继续教育培训", [rules, qms], [zhao, qian], day(14), days=3, capacity=60)
    if found:
        training_plans.submit(found[0], inst)
        _all_agree(found[1], teacher, teacher2)
        workflow.apply(found[1].id, "pass_association_review", assoc, opinion="同意开展培训")
    # 退回: 钱老师 disagreed
    found = _plan(inst, "认证人员守则解读周末班", [rules], [zhao, qian], day(35))
    if found:
        training_plans.submit(found[0], inst)
        training_plans.confirm(found[1].id, teacher, True, "同意")
        training_plans.confirm(found[1].id, teacher2, False, "该时段已有其他授课安排，请调整培训日期。")
    # 已终止, with its reason
    found = _plan(inst, "QMS体系测试课程强化班", [qms], [zhao], day(18))
    if found:
        training_plans.submit(found[0], inst)
        _all_agree(found[1], teacher)
        workflow.apply(found[1].id, "pass_association_review", assoc, opinion="同意开展培训")
        training_plans.terminate(found[0], inst, "报名人数不足，本期培训取消，已通知学员。")
    # 已批准 and over: awaiting 结束培训
    found = _plan(inst, "QMS体系测试课程培训班（第一期）", [qms], [zhao], day(-6))
    if found:
        workflow.apply(found[1].id, "submit", inst)
        _all_agree(found[1], teacher)
        workflow.apply(found[1].id, "pass_association_review", assoc, opinion="同意开展培训")
    # 已结束: last month, with the attendees' hours as CPD records
    found = _plan(inst, "认证人员守则与QMS体系综合培训", [rules, qms], [zhao, qian], day(-30), days=1)
    if found:
        plan, matter = found
        workflow.apply(matter.id, "submit", inst)
        _all_agree(matter, teacher, teacher2)
        workflow.apply(matter.id, "pass_association_review", assoc, opinion="同意开展培训")
        attendees = [_person(users["candidate"])] + db.session.scalars(
            select(Person).where(Person.institution_id == inst.institution_id, Person.user_id.is_(None))
            .order_by(Person.id).limit(2)).all()
        hours = training_plans.total_hours(plan)
        training_plans.set_attendees(plan, [(p, hours if n else hours - 4) for n, p in enumerate(attendees)])
        training_plans.finish(plan, inst)
