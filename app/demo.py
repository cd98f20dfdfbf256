"""Demo data: one account per role (password Demo@2026), 3 institutions,
4 exam plans in different states, 60 candidates, matters in every status,
notifications.  Refused in production; running it twice changes nothing."""
import datetime
import io
import random
from decimal import Decimal

from flask import current_app

from app import workflow
from app.extensions import db
from app.identity import check_digit
from app.matters import REVIEWER_KEY
from app.reference import load_all
from app.roles import ALL_ROLES, ASSOCIATION, CANDIDATE, EXPERT, INSTITUTION
from app.workdays import add_workdays
from models import (
    Announcement,
    CalendarDay,
    Certificate,
    CertificateType,
    Education,
    EligibilityRule,
    ExamPlan,
    ExamSession,
    ExamSite,
    Institution,
    Invigilator,
    Major,
    MaterialEntry,
    Matter,
    MatterHistory,
    MessagePost,
    MessageThread,
    Order,
    Person,
    PilotApplication,
    PlatformUser,
    Registration,
    RegistrationSubject,
    Room,
    SeatAssignment,
    Site,
    Subject,
    WeeklyReport,
    WorkExperience,
)
from models.enums import (
    CandidateSource,
    CertLevel,
    ExamCategory,
    InstitutionKind,
    InvigilatorDuty,
    OrderStatus,
    PayerType,
    RegistrationCategory,
    RegistrationStatus,
    Reviewer,
    ReviewStatus,
    VerifyState,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
         "超", "秀兰", "霞"]
INSTITUTIONS = [
    ("北京信息职业技术学院", "91110000400000001Y", "110108", InstitutionKind.COLLEGE),
    ("上海质量认证培训中心", "91310000MA1FL0000N", "310104", InstitutionKind.TRAINING),
    ("广州检验检测认证集团", "91440101MA5CX00004", "440106", InstitutionKind.CERT_BODY),
]


class DemoRefused(RuntimeError):
    pass


def _get_or_create(model, defaults=None, **keys):
    row = db.session.query(model).filter_by(**keys).first()
    if row is None:
        row = model(**keys, **(defaults or {}))
        db.session.add(row)
        db.session.flush()
    return row


def demo_id_number(area, birth, seq):
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def _user(username, role, first, last, institution=None, phone=None):
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        user = sm.add_user(username, first, last, f"{username}@demo.example", sm.find_role(role),
                           password=current_app.config["DEMO_PASSWORD"])
    user.institution_id = institution.id if institution else None
    user.phone = phone
    db.session.flush()
    return user


def load_demo():
    if current_app.config.get("APP_ENV") == "production":
        raise DemoRefused("demo data is never loaded in production")
    load_all()
    from app.roles import sync_roles

    sync_roles(current_app.appbuilder)
    if db.session.query(PlatformUser).filter_by(username="association").first():
        return summary()  # already loaded: change nothing
    now = datetime.datetime.now().replace(minute=0, second=0, microsecond=0)

    institutions = [
        _get_or_create(Institution, name=name, defaults=dict(
            uscc=uscc, kind=kind.value, region_code=area, contact_name="张老师",
            contact_phone=f"0{10 + i}-6000000{i}", status=ReviewStatus.APPROVED.value))
        for i, (name, uscc, area, kind) in enumerate(INSTITUTIONS)]
    inst = institutions[0]

    users = {
        "admin": _user("admin", "Admin", "系统", "管理员"),
        "association": _user("association", ASSOCIATION, "协会", "管理员"),
        "institution": _user("institution", INSTITUTION, "机构", "用户", institution=inst),
        "candidate": _user("candidate", CANDIDATE, "王", "小明", phone="13800000000"),
        "expert": _user("expert", EXPERT, "李", "专家"),
        "teacher": _user("teacher", "Teacher", "赵", "老师"),
        "support": _user("support", "Support", "客服", "小周"),
        "finance": _user("finance", "Finance", "财务", "小钱"),
    }
    assert set(ALL_ROLES) == {u.roles[0].name for u in users.values()}

    major = db.session.query(Major).filter_by(code="080901").first()  # from the catalogue (reference data)

    cert_types = [
        _get_or_create(CertificateType, code="1550001066010252", defaults=dict(
            name="质量管理体系审核员", level=CertLevel.INTERMEDIATE.value, issuer="中国认证认可协会",
            category="认证人员", validity_years=3)),
        _get_or_create(CertificateType, code="1550001066010251", defaults=dict(
            name="Web前端开发职业技能等级证书", level=CertLevel.JUNIOR.value, issuer="工业和信息化部教育与考试中心",
            category="信息技术", validity_years=3)),
    ]

    sites = []
    for i, institution in enumerate(institutions):
        site = _get_or_create(Site, code=f"S{i + 1:03d}", defaults=dict(
            name=f"{institution.name}考核站点", institution_id=institution.id,
            certificate_type_id=cert_types[i % 2].id, region_code=institution.region_code,
            status=ReviewStatus.APPROVED.value))
        sites.append(site)
        for r in range(3):
            _get_or_create(Room, institution_id=institution.id, name=f"教学楼{r + 1}0{r + 1}", defaults=dict(
                site_id=site.id, room_type="标准考场", capacity=30))
        for v in range(4):
            _get_or_create(Invigilator, institution_id=institution.id, staff_no=f"J{i + 1}{v + 1:03d}", defaults=dict(
                name=SURNAMES[(i * 4 + v) % 20] + GIVEN[v], phone=f"1391000{i}{v:03d}"))

    day = datetime.timedelta(days=1)
    plan_specs = [  # name, reg_start, reg_end, exam_start: not started / open / closed / finished
        ("2027年上半年质量管理体系审核员考试", now + 30 * day, now + 60 * day, now + 90 * day, 0),
        ("2026年冬季Web前端开发（初级）考核", now - 10 * day, now + 20 * day, now + 40 * day, 1),
        ("2026年秋季质量管理体系审核员考试", now - 60 * day, now - 5 * day, now + 10 * day, 0),
        ("2026年春季Web前端开发（初级）考核", now - 200 * day, now - 150 * day, now - 120 * day, 1),
    ]
    plans = []
    for name, rs, re_, es, ct in plan_specs:
        plan = _get_or_create(ExamPlan, name=name, defaults=dict(
            category=ExamCategory.VOCATIONAL.value, level=cert_types[ct].level, certificate_type_id=cert_types[ct].id,
            reg_start=rs, reg_end=re_, exam_start=es, exam_end=es + datetime.timedelta(hours=5),
            location="各考核站点", fee=Decimal("380.00"), eligibility="具有大专及以上学历，或从事相关工作满2年。",
            notice="请如实填写报名信息，提交后将在规定工作日内完成审核。", pledge="本人承诺所填信息真实、准确、完整。",
            required_sections=["basic", "education", "work"], photo_rules={"formats": ["jpg", "png"]},
            categories_offered=["first", "makeup_first"], review_workdays=3))
        if not plan.subjects:
            plan.subjects = [Subject(name="理论", weight=50), Subject(name="实操", weight=50)]
        plans.append(plan)
        for site in sites:
            _get_or_create(ExamSite, exam_plan_id=plan.id, site_id=site.id, defaults=dict(quota=100))
    db.session.flush()

    people = []
    for n in range(60):
        institution = institutions[n % 3]
        birth = datetime.date(1990 + n % 12, 1 + n % 12, 1 + n % 27)
        number = demo_id_number(institution.region_code, birth, 100 + n)
        person = db.session.query(Person).filter_by(phone=f"1370000{n:04d}").first()
        if person is None:
            person = Person(name=SURNAMES[n % 20] + GIVEN[(n * 7) % 20], gender="male" if n % 2 else "female",
                            id_type="resident", birth_date=birth, phone=f"1370000{n:04d}",
                            email=f"candidate{n:02d}@demo.example", institution_id=institution.id,
                            source=(CandidateSource.SCHOOL if n % 2 else CandidateSource.SOCIAL).value,
                            enrollment_year=2022 + n % 3, major_id=major.id,
                            verify_state=[s.value for s in VerifyState][n % 4])
            person.set_id_number(number)
            db.session.add(person)
        people.append(person)
    me = db.session.query(Person).filter_by(user_id=users["candidate"].id).first()
    if me is None:
        me = Person(user_id=users["candidate"].id, name="王小明", gender="male", id_type="resident",
                    birth_date=datetime.date(1995, 5, 20), phone="13800000000", email="candidate@demo.example",
                    source=CandidateSource.SELF.value, verify_state=VerifyState.NO_PHOTO.value)
        me.set_id_number(demo_id_number("110105", datetime.date(1995, 5, 20), 1))
        db.session.add(me)
    db.session.flush()

    _demo_registrations(plans, sites, people, me, users, now)

    for n, person in enumerate(people[40:46]):
        issue = datetime.date.today() - datetime.timedelta(days=300 * (n + 1))
        _get_or_create(Certificate, serial=f"{cert_types[0].code[-6:]}{issue:%Y}{n + 1:05d}", defaults=dict(
            certificate_type_id=cert_types[0].id, person_id=person.id, institution_id=person.institution_id,
            issue_date=issue, valid_until=issue.replace(year=issue.year + 3), holder_name=person.name,
            holder_id_masked=person.id_number_masked, source="imported"))

    # the demo teacher and expert are people too (a person may hold several roles [002]); their training
    # side (G1–G5) is app/demo_training.py
    for username, name, birth, seq in (("teacher", "赵老师", datetime.date(1978, 3, 8), 2),
                                       ("expert", "李专家", datetime.date(1970, 9, 1), 3)):
        person = db.session.query(Person).filter_by(user_id=users[username].id).first()
        if person is None:
            person = Person(user_id=users[username].id, name=name, gender="female" if seq == 2 else "male",
                            id_type="resident", birth_date=birth, source=CandidateSource.SELF.value,
                            is_teacher=username == "teacher", is_expert=username == "expert",
                            realname_verified=True, verify_state=VerifyState.ACCURATE.value)
            person.set_id_number(demo_id_number("110105", birth, seq))
            db.session.add(person)
            db.session.flush()
    _get_or_create(Announcement, title="关于2027年上半年考试报名的通知", defaults=dict(
        body="2027年上半年质量管理体系审核员考试将于下月开放报名，请考生提前完善个人资料。", published=True,
        published_at=now))
    _get_or_create(Announcement, title="国庆节放假期间审核时限顺延的说明", defaults=dict(
        body="法定节假日不计入办结期限，调休上班日正常计算。", published=True, published_at=now - 20 * day))
    _get_or_create(CalendarDay, day=datetime.date(now.year, 12, 31), defaults=dict(is_workday=False,
                                                                                    note="协会年终盘点，暂停办理"))
    thread = MessageThread(user_id=users["candidate"].id, category="registration", subject="报名照片上传失败怎么办？",
                           contact="13800000000")
    thread.posts = [MessagePost(author_id=users["candidate"].id, body="上传照片时提示背景颜色不符合，请问要求是什么？")]
    db.session.add(thread)
    db.session.commit()
    _demo_support(users)

    from app.demo_results import demo_certificate_matters, demo_results

    demo_results(plans[3], people[30:46], me, users)
    _demo_matters(users, institutions, now, plans[3], me)
    demo_certificate_matters(me, users)
    from app.demo_personnel import demo_personnel

    demo_personnel(users)
    from app.demo_expert import demo_expert

    demo_expert(users)  # F3
    from app.demo_payments import demo_payments

    demo_payments()
    from app.demo_payments import demo_refund

    demo_refund()  # C6, I2
    from app.demo_membership import demo_membership

    demo_membership(users)  # F9, F10
    demo_training(users)  # G1–G5
    _demo_scheduling(plans)
    from app.demo_announcements import demo_announcements

    demo_announcements(users)  # H5
    from app.services import reminders

    reminders.send_due()  # H4: the first round, so the outbox holds reminders
    return summary()


def demo_training(users):
    """G1–G5 in their order: the teachers' bindings, the courses they teach, the courses' reviews, the plans."""
    from app.demo_training_bindings import demo_bindings, demo_course_reviews
    from app.demo_training_courses import demo_courses
    from app.demo_training_plans import demo_plans

    demo_bindings(users)
    demo_courses(users)
    demo_course_reviews(users)
    demo_plans(users)


def _demo_support(users):
    """H2: besides the waiting thread, one answered and one resolved (through the support desk's service)."""
    from app.services import messages

    answered = messages.open_thread(users["candidate"], "payment", "缴费成功后报名状态什么时候更新？", "13800000000")
    messages.reply(answered, users["support"], "缴费成功后系统会在几分钟内更新状态，请刷新“我的考试”。")
    resolved = messages.open_thread(users["candidate"], "certificate", "证书上的姓名有错别字，怎么更正？",
                                    "candidate@demo.example")
    messages.reply(resolved, users["support"], "请在“在线办理 › 证书信息变更申请”中提交更正申请。")
    messages.resolve(resolved, users["support"])


def _demo_scheduling(plans):
    """Patrol staff of the association; the exams with paid candidates scheduled and
    their admission tickets published (D10, D11)."""
    from app.services import scheduling

    for n, name in enumerate(("周巡考", "吴巡考")):
        _get_or_create(Invigilator, institution_id=None, staff_no=f"XK{n + 1:03d}", defaults=dict(
            name=name, phone=f"1391100000{n}", duty=InvigilatorDuty.PATROL.value))
    db.session.commit()
    for plan in plans[1:3]:
        if db.session.query(Registration).filter_by(exam_plan_id=plan.id,
                                                    status=RegistrationStatus.REGISTERED.value).count():
            scheduling.schedule(plan.id, {"per_room": 2, "patrol_per": 3})
            scheduling.publish(plan.id)


def _demo_photo(person):
    """A plain ID-style picture (blue background, a silhouette) for a registration."""
    from PIL import Image, ImageDraw

    from app.services import files

    image = Image.new("RGB", (295, 413), (67, 142, 219))
    draw = ImageDraw.Draw(image)
    draw.ellipse((92, 70, 203, 200), fill=(236, 205, 180))
    draw.ellipse((40, 215, 255, 470), fill=(40, 44, 52))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    item = files.store(out.getvalue(), "photo.jpg", "image/jpeg", "photo", person=person)
    db.session.flush()
    return item


DEMO_MATTER_STATE = {"submitted": "submitted", "reviewing": "reviewing", "returned": "returned", "approved": "done",
                     "registered": "done"}


def _demo_registrations(plans, sites, people, me, users, now):
    """Registrations in every status with their materials, seats, review matters and orders."""
    day = datetime.timedelta(days=1)
    statuses = [RegistrationStatus.DRAFT, RegistrationStatus.SUBMITTED, RegistrationStatus.APPROVED,
                RegistrationStatus.REGISTERED, RegistrationStatus.RETURNED, RegistrationStatus.REVIEWING]
    rng = random.Random(7)
    plans[1].reviewer = Reviewer.INSTITUTION.value  # the open exam is reviewed by the site institutions
    plans[1].required_sections = ["basic", "education", "work", "continuing"]
    db.session.add(EligibilityRule(exam_plan_id=plans[1].id, name="学历要求：大专及以上", kind="education_level",
                                   params={"min": "junior_college"}))
    db.session.add(EligibilityRule(exam_plan_id=plans[1].id, name="从业年限：1年及以上", kind="work_years",
                                   params={"min": 1}))
    # the open exam has two sittings (场次) to choose from
    start = plans[1].exam_start
    sittings = [ExamSession(exam_plan_id=plans[1].id, name=name, starts_at=start + offset,
                            ends_at=start + offset + datetime.timedelta(hours=3))
                for name, offset in (("第一场", datetime.timedelta(0)), ("第二场", datetime.timedelta(days=1)))]
    db.session.add_all(sittings)
    db.session.flush()
    # the demo candidate: a draft in the open exam, an approved (unpaid) one in the closed exam
    entries = [(person, plans[1] if n % 2 else plans[2], statuses[n % len(statuses)])
               for n, person in enumerate(people[:30])]
    entries += [(me, plans[1], RegistrationStatus.DRAFT), (me, plans[2], RegistrationStatus.APPROVED)]
    for n, (person, plan, status) in enumerate(entries):
        site = db.session.query(ExamSite).filter_by(exam_plan_id=plan.id, site_id=sites[(n + n // 6) % 3].id).one()
        reg = Registration(exam_plan_id=plan.id, person_id=person.id, institution_id=site.site.institution_id,
                           exam_site_id=site.id, status=status.value, city="北京市", step="materials",
                           category=RegistrationCategory.FIRST.value, pledge_accepted_at=now - 10 * day,
                           submitted_at=None if status == RegistrationStatus.DRAFT else now - rng.randint(1, 9) * day)
        reg.subjects = [RegistrationSubject(subject_id=s.id) for s in plan.subjects]
        if plan is plans[1]:
            reg.exam_session_id = sittings[n % 2].id
        reg.materials = [MaterialEntry(section="basic", data={
            "employer": person.institution.name if person.institution else "北京数字科技有限公司",
            "address": "北京市海淀区学院路30号", "postal_code": "100083", "post": "技术员"})]
        reg.educations = [Education(person_id=person.id, school="北京信息职业技术学院", major="计算机应用技术",
                                    education_level="junior_college", graduation_month=f"{2015 + n % 8}-07",
                                    is_highest=True)]
        reg.works = [WorkExperience(person_id=person.id, employer="北京数字科技有限公司", title="前端工程师",
                                    start_month=f"{2015 + n % 8}-08", years_in_occupation=1 + n % 6)]
        if "continuing" in (plan.required_sections or []):
            reg.materials.append(MaterialEntry(section="continuing", data={"course": "认证人员守则解读", "hours": 8,
                                                                           "year": now.year - 1}))
        reg.photo_id = _demo_photo(person).id
        db.session.add(reg)
        db.session.flush()
        if status == RegistrationStatus.DRAFT:
            continue
        reg.net_no = f"{plan.reg_start:%y}{plan.id:04d}{reg.id:07d}"
        reg.seat_held, reg.locked = True, status in (RegistrationStatus.APPROVED, RegistrationStatus.REGISTERED)
        site.seats_taken += 1
        if status == RegistrationStatus.RETURNED:
            reg.return_reasons = {"work": "请补充工作单位证明材料。"}
        state = DEMO_MATTER_STATE[status.value]
        mtype = workflow.REGISTRY["exam_registration"]
        reviewer = reg.institution_id if plan.reviewer == Reviewer.INSTITUTION.value else None
        matter = Matter(business_no=workflow.allocate_business_no(), type_code="exam_registration",
                        title=f"考试报名：{plan.name}", state=state, status=mtype.state(state).status.value,
                        applicant_id=users["institution"].id, institution_id=reg.institution_id,
                        object_type="Registration", object_id=reg.id, payload={REVIEWER_KEY: reviewer},
                        filed_at=reg.submitted_at, due_date=add_workdays(reg.submitted_at.date(), plan.review_workdays))
        db.session.add(matter)
        db.session.flush()
        db.session.add(MatterHistory(matter_id=matter.id, transition="submit", from_state="draft",
                                     to_state="submitted", actor_id=users["institution"].id, at=reg.submitted_at))
        reg.matter_id = matter.id
        if status in (RegistrationStatus.APPROVED, RegistrationStatus.REGISTERED):
            paid = status == RegistrationStatus.REGISTERED
            db.session.add(Order(order_no=f"D{now:%Y%m%d}{n + 1:06d}", registration=reg,
                                 payer_type=PayerType.PERSON.value, person_id=person.id,
                                 institution_id=reg.institution_id, amount=plan.fee, description=plan.name,
                                 status=(OrderStatus.PAID if paid else OrderStatus.UNPAID).value,
                                 method="online" if paid else None, paid_at=now - day if paid else None,
                                 expires_at=now + 3 * day))
    db.session.flush()


# F5/F6: what the demo complaint and appeal say (their forms' fields, app/services/personnel_matters.py)
DEMO_PAYLOADS = {
    "complaint": {"respondent_kind": "institution", "respondent_name": "上海质量认证培训中心",
                  "summary": "考点秩序混乱",
                  "content": "考试当天考点入场秩序混乱，开考推迟二十分钟。", "respondent_person_id": None,
                  "attachment_ids": []},
    "appeal": {"subject_kind": "exam", "related_no": "", "summary": "对考试成绩有异议",
               "content": "实操题评分与评分标准不符。", "request": "请专家重新评价实操题得分。", "attachment_ids": []},
}


def _demo_matters(users, institutions, now, sat_plan, me):
    """Matters in every status, moved through the real engine (the certificate matters: app.demo_results)."""
    cand, institution_user, assoc = users["candidate"], users["institution"], users["association"]
    inst, other_inst = institutions[0], institutions[1]
    specs = [
        ("score_recheck", cand, "成绩复核：2026年春季Web前端开发（初级）考核", [("submit", cand)]),
        ("complaint", cand, "投诉：考点秩序混乱", [("submit", cand), ("refuse", assoc, "经核查，投诉事项不成立。")]),
        ("appeal", cand, "申诉：对考试成绩有异议", [("submit", cand)]),
        ("membership_application", cand, "会员入会申请：个人会员", []),  # a draft
    ]
    for code, applicant, title, steps in specs:
        # the candidate's matters go through the demo institution's first review
        owner = {institution_user.id: inst.id, assoc.id: other_inst.id}.get(applicant.id, inst.id)
        obj = payload = None
        if code == "score_recheck":  # the demo candidate's registration in the sat exam
            obj = db.session.query(Registration).filter_by(exam_plan_id=sat_plan.id, person_id=me.id).one()
            seat = db.session.query(SeatAssignment).filter_by(registration_id=obj.id).first()
            payload = {"registration_id": obj.id, "ticket_no": seat.ticket_no,
                       "reason": "实操成绩与预期差距较大，申请复核。",
                       "subject_ids": [s.id for s in sat_plan.subjects[-1:]],
                       "subjects": [s.name for s in sat_plan.subjects[-1:]]}
            owner = None
        payload = payload or DEMO_PAYLOADS.get(code)
        matter = workflow.create_matter(code, applicant, title, institution_id=owner, obj=obj, payload=payload)
        for step in steps:
            name, actor = step[0], step[1]
            workflow.apply(matter.id, name, actor, opinion=step[2] if len(step) > 2 else None)
    _demo_institution_filings(institution_user, assoc, inst, other_inst, now)
    from app.demo_personnel_matters import demo_transfer

    demo_transfer(cand, institution_user, other_inst)
    # one overdue matter: filed long ago, still open
    overdue = db.session.query(Matter).filter_by(type_code="score_recheck").first()
    overdue.filed_at = now - datetime.timedelta(days=30)
    overdue.due_date = (now - datetime.timedelta(days=24)).date()
    db.session.commit()


def _demo_institution_filings(institution_user, assoc, inst, other_inst, now):
    """D1/D3/D14: a site applied for, pilot applications and a weekly report in their review states."""
    from app.services import institution_ops

    cert = db.session.query(CertificateType).order_by(CertificateType.id).first()
    site = _get_or_create(Site, code="BJXX-02", defaults=dict(
        name="北京信息职业技术学院第二考点", institution_id=inst.id, certificate_type_id=cert.id,
        region_code=inst.region_code, address="北京市昌平区", status=ReviewStatus.NOT_SUBMITTED.value))
    _get_or_create(Site, code="SHZL-02", defaults=dict(
        name="上海质量认证培训中心第二考点", institution_id=other_inst.id,
        certificate_type_id=cert.id, status=ReviewStatus.NOT_SUBMITTED.value))
    pilot = _get_or_create(PilotApplication, institution_id=inst.id, certificate_type_id=cert.id, year=now.year,
                           batch=1, defaults=dict(requested_count=200))
    other_pilot = _get_or_create(PilotApplication, institution_id=other_inst.id, certificate_type_id=cert.id,
                                 year=now.year, batch=2, defaults=dict(requested_count=80))
    week = (now - datetime.timedelta(days=now.weekday() + 7)).date()
    report = _get_or_create(WeeklyReport, institution_id=inst.id, week_start=week, defaults=dict(
        training_delivered="完成Web前端开发（初级）培训2期，共86人次。",
        issues="部分考生照片背景不符合要求，已通知重拍。",
        registrations=institution_ops.week_numbers(inst.id, week)))
    db.session.flush()
    for row in (site, pilot, other_pilot, report):
        institution_ops.submit(row, institution_user if row.institution_id == inst.id else assoc)
    matter = institution_ops.open_matter(pilot)
    pilot.approved_count = 150
    workflow.apply(matter.id, "pass_association_review", assoc)


def summary():
    return {
        "users": db.session.query(PlatformUser).count(),
        "institutions": db.session.query(Institution).count(),
        "exam_plans": db.session.query(ExamPlan).count(),
        "people": db.session.query(Person).count(),
        "registrations": db.session.query(Registration).count(),
        "matters": db.session.query(Matter).count(),
    }
