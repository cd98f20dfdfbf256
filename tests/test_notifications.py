"""消息通知 (SPEC H3) and e-mail delivery through Celery (issue 2 §5)."""
import time

from app.extensions import db
from app.services import notifications
from models import Delivery, Notification, PlatformUser


def _user(name):
    return db.session.query(PlatformUser).filter_by(username=name).one()


def _notify(app, username, n=3):
    with app.app_context():
        user = _user(username)
        for i in range(n):
            notifications.notify([user], f"测试通知{i}", "内容", link="/notifications/", email=False)
        db.session.commit()
        return user.id


def test_unread_read_mark_all_and_clear(app, login):
    uid = _notify(app, "support", 3)
    c = login("support")
    page = c.get("/notifications/")
    assert page.status_code == 200 and "测试通知2" in page.text and "未读" in page.text
    with app.app_context():
        first = db.session.query(Notification).filter_by(user_id=uid, read_at=None).first().id
    r = c.post(f"/notifications/{first}/open")
    assert r.status_code == 302 and r.headers["Location"].endswith("/notifications/")
    with app.app_context():
        assert db.session.get(Notification, first).read_at is not None
        unread = db.session.query(Notification).filter_by(user_id=uid, read_at=None).count()
    assert unread >= 2
    c.post("/notifications/read-all")
    with app.app_context():
        assert db.session.query(Notification).filter_by(user_id=uid, read_at=None).count() == 0
    c.post("/notifications/clear")
    with app.app_context():
        assert db.session.query(Notification).filter_by(user_id=uid).count() == 0
    assert "暂无" in c.get("/notifications/").text or "没有" in c.get("/notifications/").text


def test_a_user_never_opens_anothers_notification(app, login):
    _notify(app, "finance", 1)
    with app.app_context():
        other = db.session.query(Notification).filter_by(user_id=_user("finance").id).first().id
    c = login("teacher")
    assert c.post(f"/notifications/{other}/open").status_code == 404
    with app.app_context():
        assert db.session.get(Notification, other).read_at is None


def test_candidates_have_notifications_too(app, login):
    _notify(app, "candidate", 1)
    page = login("candidate").get("/notifications/")
    assert page.status_code == 200 and "测试通知0" in page.text


def test_notification_links_stay_inside_the_platform(app, login):
    with app.app_context():
        user = _user("expert")
        notifications.notify([user], "外链", link="//evil.example/x", email=False)
        db.session.commit()
        nid = db.session.query(Notification).filter_by(user_id=user.id, title="外链").one().id
    r = login("expert").post(f"/notifications/{nid}/open")
    assert "evil.example" not in r.headers["Location"]


def test_transition_email_goes_through_celery_to_the_backend(app):
    """On SQLite the task runs in-process; in CI's second run a real worker on Redis sends it."""
    from app import workflow

    with app.app_context():
        applicant = _user("institution")
        matter = workflow.create_matter("site_application", applicant, "邮件投递测试")
        workflow.apply(matter.id, "submit", applicant)
        deliveries = db.session.query(Delivery).filter(Delivery.subject.contains(matter.business_no)).all()
        assert deliveries and {d.recipient for d in deliveries} >= {"association@demo.example"}
        ids = [d.id for d in deliveries]
    deadline = time.time() + 30
    while True:
        with app.app_context():
            states = {db.session.get(Delivery, i).status for i in ids}
            db.session.remove()
        if states == {"sent"} or time.time() > deadline:
            break
        time.sleep(0.3)
    assert states == {"sent"}


def test_sms_goes_through_the_configured_backend(app):
    import pytest

    from app.tasks import deliver
    from models.enums import Channel
    from tests.backends import RecordingBackend

    app.config["SMS_BACKEND"] = "tests.backends.RecordingBackend"
    try:
        with app.app_context():
            item = Delivery(channel=Channel.SMS.value, recipient="13800000000", body="您的考试将于明天开始。")
            db.session.add(item)
            db.session.commit()
            assert deliver.apply(args=[item.id]).get() == "sent"
            assert ("sms", "13800000000", "您的考试将于明天开始。") in RecordingBackend.sent
            assert db.session.get(Delivery, item.id).status == "sent"
            app.config["SMS_BACKEND"] = "tests.backends.FailingBackend"
            failing = Delivery(channel=Channel.SMS.value, recipient="13800000001", body="x")
            db.session.add(failing)
            db.session.commit()
            with pytest.raises(RuntimeError):
                deliver.apply(args=[failing.id], throw=True).get()
            db.session.expire_all()
            row = db.session.get(Delivery, failing.id)
            assert row.status == "failed" and "gateway down" in row.error
    finally:
        app.config["SMS_BACKEND"] = "app.services.delivery.ConsoleBackend"


def test_candidates_get_a_portal_link_and_staff_the_matter(app):
    from app import workflow

    with app.app_context():
        cand, assoc = _user("candidate"), _user("association")
        matter = workflow.create_matter("complaint", cand, "链接测试")
        workflow.apply(matter.id, "submit", cand)
        workflow.apply(matter.id, "refuse", assoc, opinion="不成立")
        to_staff = db.session.query(Notification).filter_by(user_id=assoc.id).order_by(Notification.id.desc()).first()
        to_cand = db.session.query(Notification).filter_by(user_id=cand.id).order_by(Notification.id.desc()).first()
        assert to_staff.link == f"/matterview/show/{matter.id}"
        assert to_cand.link == f"/portal/me/matters/{matter.id}" and matter.business_no in to_cand.title
