"""Audit log (SPEC I1, issue 2 §11)."""
from app.extensions import db
from models import AuditLog, Invigilator


def _rows(app, **filters):
    with app.app_context():
        return db.session.query(AuditLog).filter_by(**filters).order_by(AuditLog.id).all()


def test_logins_success_and_failure_are_recorded(app, client):
    client.login("support", "Wrong@12345")
    assert _rows(app, action="login_failed", actor_name="support")
    from tests.conftest import Client

    Client(app).login("support")
    ok = _rows(app, action="login", actor_name="support")
    assert ok and ok[-1].ip and ok[-1].ip.startswith("127.")


def test_create_update_delete_with_actor_and_changed_fields(app, login):
    c = login("association")
    with app.app_context():
        from models import Institution

        inst = db.session.query(Institution).first().id
    c.post("/invigilatorview/add", {"staff_no": "AUD001", "name": "审计测试", "phone": "13900000001",
                                    "institution": str(inst)})
    with app.app_context():
        row = db.session.query(Invigilator).filter_by(staff_no="AUD001").one()
        rid = row.id
    c.post(f"/invigilatorview/edit/{rid}", {"staff_no": "AUD001", "name": "审计测试改", "phone": "13900000001",
                                             "institution": str(inst)})
    c.post(f"/invigilatorview/delete/{rid}", {})
    rows = _rows(app, object_type="Invigilator", object_id=str(rid))
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert all(r.actor_name == "association" for r in rows)
    assert rows[1].changes == {"name": ["审计测试", "审计测试改"]}


def test_transitions_are_recorded(app):
    from app import workflow
    from models import PlatformUser

    with app.app_context():
        applicant = db.session.query(PlatformUser).filter_by(username="institution").one()
        matter = workflow.create_matter("pilot_application", applicant, "审计事项")
        workflow.apply(matter.id, "submit", applicant)
        rows = db.session.query(AuditLog).filter_by(object_type="Matter", object_id=str(matter.id)).all()
        assert any(r.action == "update" and r.changes.get("state") == ["draft", "association_review"] for r in rows)
        assert db.session.query(AuditLog).filter_by(object_type="MatterHistory", action="create").count()


def test_only_admin_reads_the_audit_log(login):
    assert login("admin").get("/auditlogview/list/").status_code == 200
    for name in ("association", "institution", "support"):
        assert login(name).get("/auditlogview/list/").status_code in (302, 403)


def test_passwords_never_reach_the_audit_log(app):
    with app.app_context():
        for row in db.session.query(AuditLog).filter_by(object_type="PlatformUser"):
            assert "scrypt" not in str(row.changes) and "pbkdf2" not in str(row.changes)
