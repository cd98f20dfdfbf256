"""Matters and the workflow engine (SPEC core concepts, F8; issue 2 §4)."""
import datetime
import re
import threading

import pytest

from app import workflow
from app.extensions import db
from app.workdays import add_workdays, is_workday
from app.workflow import WorkflowError
from models import CalendarDay, Matter, MatterHistory, MatterType, Notification, PlatformUser


def user(name):
    return db.session.query(PlatformUser).filter_by(username=name).one()


@pytest.fixture
def wf(ctx):
    return workflow


def new_matter(code="personnel_registration", applicant="candidate", title="测试事项"):
    """A matter filed by ``applicant`` that goes through the demo institution's review."""
    return workflow.create_matter(code, user(applicant), title, institution_id=user("institution").institution_id)


def test_business_number_format_and_draft_state(wf):
    matter = new_matter()
    assert re.fullmatch(r"\d{10}\d{4}", matter.business_no)
    assert matter.business_no[:10] == datetime.datetime.now().strftime("%Y%m%d%H")
    assert (matter.state, matter.status) == ("draft", "draft")
    assert matter.due_date is None and not matter.overdue


def test_full_chain_with_history_due_date_and_notifications(wf):
    cand, inst, expert, assoc = user("candidate"), user("institution"), user("expert"), user("association")
    matter = new_matter()
    before = db.session.query(Notification).filter_by(user_id=assoc.id).count()
    workflow.apply(matter.id, "submit", cand)
    assert (matter.state, matter.status) == ("institution_review", "in_progress")
    assert matter.filed_at is not None
    assert matter.due_date == add_workdays(matter.filed_at.date(), 15)  # personnel registration: 15 working days
    workflow.apply(matter.id, "pass_institution_review", inst, opinion="材料齐全")
    assert matter.state == "payment"  # F2: the fee is paid before the expert's evaluation
    from app.services import payments

    payments.matter_order(matter).status = "paid"
    workflow.apply(matter.id, "fee_paid", cand)
    matter.assignee_id = expert.id
    db.session.commit()
    workflow.apply(matter.id, "pass_expert_review", expert, opinion="经历符合要求")
    workflow.apply(matter.id, "pass_association_review", assoc)
    assert (matter.state, matter.status) == ("done", "completed") and matter.completed_at
    history = db.session.query(MatterHistory).filter_by(matter_id=matter.id).order_by(MatterHistory.id).all()
    assert [(h.transition, h.from_state, h.to_state, h.actor.username) for h in history] == [
        ("submit", "draft", "institution_review", "candidate"),
        ("pass_institution_review", "institution_review", "payment", "institution"),
        ("fee_paid", "payment", "expert_review", "candidate"),
        ("pass_expert_review", "expert_review", "association_review", "expert"),
        ("pass_association_review", "association_review", "done", "association"),
    ]
    assert history[1].opinion == "材料齐全"
    # the expert was told when the matter reached them; the association when it was their turn
    assert db.session.query(Notification).filter_by(user_id=assoc.id).count() > before
    note = db.session.query(Notification).filter_by(user_id=cand.id).order_by(Notification.id.desc()).first()
    # the candidate opens it in the portal's 我的事项 (F8)
    assert matter.business_no in note.title and note.link == f"/portal/me/matters/{matter.id}"


def test_refused_wrong_role(wf):
    matter = new_matter()
    workflow.apply(matter.id, "submit", user("candidate"))
    with pytest.raises(WorkflowError, match=matter.business_no):
        workflow.apply(matter.id, "pass_institution_review", user("finance"))
    with pytest.raises(WorkflowError):
        workflow.apply(matter.id, "submit", user("association"))  # not the applicant
    assert db.session.get(Matter, matter.id).state == "institution_review"


def test_refused_wrong_state(wf):
    matter = new_matter()
    with pytest.raises(WorkflowError, match="草稿箱"):
        workflow.apply(matter.id, "pass_association_review", user("association"))
    assert db.session.query(MatterHistory).filter_by(matter_id=matter.id).count() == 0


def test_refused_missing_opinion_and_nothing_written(wf):
    matter = new_matter("complaint", "candidate", "投诉测试")
    workflow.apply(matter.id, "submit", user("candidate"))
    with pytest.raises(WorkflowError, match="意见"):
        workflow.apply(matter.id, "refuse", user("association"), opinion="   ")
    assert db.session.get(Matter, matter.id).state == "association_review"
    workflow.apply(matter.id, "refuse", user("association"), opinion="不成立")
    assert db.session.get(Matter, matter.id).status == "completed"


def test_institution_stage_only_for_the_matters_institution(wf):
    matter = workflow.create_matter("annual_confirmation", user("association"), "其他机构的年度确认",
                                    institution_id=None)
    workflow.apply(matter.id, "submit", user("association"))
    with pytest.raises(WorkflowError):
        workflow.apply(matter.id, "pass_institution_review", user("institution"))


def test_expert_stage_only_for_the_assigned_expert(wf):
    matter = new_matter("appeal", "candidate", "申诉测试")
    workflow.apply(matter.id, "submit", user("candidate"))
    with pytest.raises(WorkflowError):
        workflow.apply(matter.id, "pass_expert_review", user("expert"))  # not assigned
    matter.assignee_id = user("expert").id
    db.session.commit()
    workflow.apply(matter.id, "pass_expert_review", user("expert"))
    assert matter.state == "association_review"


def test_return_resubmit_and_withdraw(wf):
    cand, inst = user("candidate"), user("institution")
    matter = new_matter("certificate_change", "candidate", "证书信息变更测试")
    workflow.apply(matter.id, "submit", cand)
    workflow.apply(matter.id, "return_institution_review", inst, opinion="请补充证明材料")
    assert (matter.state, matter.status) == ("returned", "in_progress")
    workflow.apply(matter.id, "resubmit", cand)
    workflow.apply(matter.id, "withdraw", cand)
    assert (matter.state, matter.status) == ("withdrawn", "completed")


def test_available_transitions_per_role(wf):
    matter = new_matter()
    assert [t.name for t in workflow.available_transitions(matter, user("candidate"))] == ["submit"]
    assert workflow.available_transitions(matter, user("institution")) == []
    assert workflow.available_transitions(matter, user("association")) == []
    workflow.apply(matter.id, "submit", user("candidate"))
    assert {t.name for t in workflow.available_transitions(matter, user("candidate"))} == {"withdraw"}
    names = {t.name for t in workflow.available_transitions(matter, user("institution"))}
    assert names == {"pass_institution_review", "return_institution_review"}


def test_nobody_reviews_their_own_application(wf):
    matter = workflow.create_matter("annual_confirmation", user("association"), "协会代为提交",
                                    institution_id=user("institution").institution_id)
    workflow.apply(matter.id, "submit", user("association"))
    workflow.apply(matter.id, "pass_institution_review", user("institution"))
    with pytest.raises(WorkflowError):
        workflow.apply(matter.id, "pass_association_review", user("association"))  # the applicant


def test_who_may_file_what(wf):
    with pytest.raises(WorkflowError):
        workflow.create_matter("score_recheck", user("institution"), "机构不能申请成绩复核")
    with pytest.raises(WorkflowError):
        workflow.create_matter("site_application", user("candidate"), "考生不能申请考核站点")
    assert workflow.create_matter("site_application", user("institution"), "考核站点申请").state == "draft"


def test_transfer_in_institution_acts_at_its_own_stage(wf):
    from models import Institution

    cand, inst = user("candidate"), user("institution")
    other = db.session.query(Institution).filter(Institution.id != inst.institution_id).first()
    matter = workflow.create_matter("institution_transfer", cand, "转换执业机构", institution_id=inst.institution_id,
                                    payload={"to_institution_id": other.id})
    workflow.apply(matter.id, "submit", cand)
    workflow.apply(matter.id, "pass_out_institution_review", inst)
    assert matter.state == "in_institution_review"
    with pytest.raises(WorkflowError):  # the institution left may not also accept for the one joined
        workflow.apply(matter.id, "pass_in_institution_review", inst)


def test_every_declared_transition_is_reachable_and_has_roles():
    import app.matters  # noqa: F401

    assert len(workflow.REGISTRY) >= 15
    for mtype in workflow.REGISTRY.values():
        for t in mtype.transitions:
            assert t.applicant_only or t.roles, (mtype.code, t.name)
            if t.name.startswith(("return_", "refuse")):
                assert t.opinion, (mtype.code, t.name)


def test_catalogue_deadlines_match_the_spec(wf):
    deadlines = {row.code: row.deadline_workdays for row in db.session.query(MatterType)}
    assert deadlines["personnel_registration"] == 15
    assert deadlines["annual_confirmation"] == 1
    assert deadlines["institution_transfer"] == 1
    assert deadlines["national_exam_registration"] == 1
    assert deadlines["score_recheck"] == 4
    assert deadlines["complaint"] == deadlines["appeal"] == 90


def test_catalogue_deadline_edit_changes_due_dates(wf):
    row = db.session.get(MatterType, "expert_application")
    row.deadline_workdays = 3
    db.session.commit()
    matter = new_matter("expert_application", "candidate", "专家申请")
    workflow.apply(matter.id, "submit", user("candidate"))
    assert matter.due_date == add_workdays(matter.filed_at.date(), 3)
    row.deadline_workdays = None
    db.session.commit()


def test_working_days_across_national_day_and_make_up_workday(ctx):
    # 2025: 1–8 October holidays; Sunday 28 September and Saturday 11 October are make-up workdays
    assert is_workday(datetime.date(2025, 9, 28))
    assert not is_workday(datetime.date(2025, 10, 6))
    assert is_workday(datetime.date(2025, 10, 11))
    assert add_workdays(datetime.date(2025, 9, 27), 1) == datetime.date(2025, 9, 28)
    assert add_workdays(datetime.date(2025, 9, 30), 1) == datetime.date(2025, 10, 9)
    assert add_workdays(datetime.date(2025, 9, 30), 3) == datetime.date(2025, 10, 11)
    assert add_workdays(datetime.date(2025, 9, 30), 4) == datetime.date(2025, 10, 13)


def test_admin_override_of_the_calendar(ctx):
    day = datetime.date(2025, 11, 12)  # a Wednesday
    assert is_workday(day)
    db.session.add(CalendarDay(day=day, is_workday=False, note="系统维护"))
    db.session.commit()
    try:
        assert not is_workday(day)
        assert add_workdays(datetime.date(2025, 11, 11), 1) == datetime.date(2025, 11, 13)
    finally:
        db.session.delete(db.session.get(CalendarDay, day))
        db.session.commit()


def test_overdue_flag(wf):
    matter = new_matter("score_recheck", "candidate", "复核")
    workflow.apply(matter.id, "submit", user("candidate"))
    assert not matter.overdue
    matter.due_date = datetime.date.today() - datetime.timedelta(days=1)
    db.session.commit()
    assert matter.overdue
    workflow.apply(matter.id, "pass_association_review", user("association"))
    assert not matter.overdue  # completed matters are never overdue


def test_business_numbers_unique_under_concurrency(app):
    """50 concurrent creations (threads, each with its own connection) never share a number."""
    numbers, errors = [], []
    barrier = threading.Barrier(10)

    def work():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                for _ in range(5):
                    for attempt in range(20):
                        try:
                            numbers.append(new_matter(title="并发").business_no)
                            break
                        except Exception as exc:  # SQLite: "database is locked" is retried
                            db.session.rollback()
                            if "locked" not in str(exc) or attempt == 19:
                                raise
            except Exception as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(numbers) == 50 and len(set(numbers)) == 50


def test_back_office_actions_single_and_multi_row(app, login):
    with app.app_context():
        filed = [workflow.create_matter("site_application", user("institution"), f"批量提交{i}").id
                 for i in range(2)]
        ids = []
        for i in range(3):
            matter = new_matter(title=f"机构初核{i}")
            workflow.apply(matter.id, "submit", user("candidate"))
            ids.append(matter.id)
    c = login("institution")
    token = c.csrf()
    r = c.http.post("/matterview/action_post", data={"action": "submit", "rowid": filed, "csrf_token": token})
    assert r.status_code == 302 and "/transition/submit" in r.headers["Location"]
    page = c.get(r.headers["Location"])
    assert page.status_code == 200 and "确认" in page.text
    r = c.http.post(r.headers["Location"], data={"ids": ",".join(map(str, filed)), "csrf_token": token})
    assert r.status_code == 302
    with app.app_context():
        assert {db.session.get(Matter, i).state for i in filed} == {"association_review"}
    # returning needs an opinion: refused without one, done with one
    r = c.http.post("/matterview/transition/return_institution_review",
                    data={"ids": str(ids[0]), "csrf_token": token}, follow_redirects=True)
    assert "意见" in r.text
    with app.app_context():
        assert db.session.get(Matter, ids[0]).state == "institution_review"
    c.http.post("/matterview/transition/return_institution_review",
                data={"ids": str(ids[0]), "opinion": "缺少材料", "csrf_token": token})
    with app.app_context():
        assert db.session.get(Matter, ids[0]).state == "returned"
    # the show page offers only what this role may do now
    show = c.get(f"/matterview/show/{ids[1]}").text
    assert "审核通过并转交" in show and "不予通过" not in show
    # a matter at a stage where this user may do nothing offers no operation at all
    for who in ("institution", "association"):
        assert "btn-action-MatterView" not in login(who).get(f"/matterview/show/{ids[0]}").text


def test_roles_see_only_their_transition_actions(app):
    with app.test_request_context():
        sm = app.appbuilder.sm
        assert sm._has_view_access(user("association"), "refuse", "MatterView")
        assert not sm._has_view_access(user("institution"), "pass_association_review", "MatterView")
        # institutions refuse the registrations of their own sites when an exam says so
        assert sm._has_view_access(user("institution"), "refuse", "MatterView")
        assert sm._has_view_access(user("expert"), "pass_expert_review", "MatterView")
        assert not sm._has_view_access(user("expert"), "pass_association_review", "MatterView")
        assert not sm._has_view_access(user("candidate"), "submit", "MatterView")
