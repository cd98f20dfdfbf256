"""Migrations, translations, demo data and configuration (issue 2 §1, §6, §7, §10, §12)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_migrations_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from app.extensions import db
    from models import metadata

    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_chinese_catalogue_is_complete():
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import i18n

    untranslated, fuzzy, missing = i18n.problems("zh")
    assert (untranslated, fuzzy, missing) == ([], [], [])


def test_pages_are_chinese_by_default_and_english_on_request(client):
    page = client.get("/login/")
    assert "登录" in page.text
    client.get("/lang/en")
    assert "Sign In" in client.get("/login/").text or "Login" in client.get("/login/").text
    client.get("/lang/zh")
    assert "登录" in client.get("/login/").text


def test_enum_values_are_codes_in_the_database_and_chinese_on_screen(app, login):
    from app.extensions import db
    from models import Matter

    with app.app_context():
        assert {m.status for m in db.session.query(Matter)} <= {"draft", "in_progress", "completed"}
    assoc = login("association")
    assert "办理中" in assoc.get("/matterview/list/?_flt_0_status=in_progress").text
    assert "草稿箱" in assoc.get("/matterview/list/?_flt_0_status=draft").text


def test_demo_is_idempotent(app):
    from app.demo import load_demo, summary
    from app.extensions import db

    with app.app_context():
        before = summary()
        assert load_demo() == before
    assert before["institutions"] >= 3 and before["exam_plans"] >= 4 and before["people"] >= 60
    from app.demo import INSTITUTIONS
    from models import Institution

    with app.app_context():
        names = {name for (name,) in db.session.query(Institution.name)}
    assert {name for name, *_ in INSTITUTIONS} <= names


def test_demo_has_exams_in_every_state_and_matters_in_every_status(app):
    from app.extensions import db
    from models import ExamPlan, Matter

    with app.app_context():
        states = {p.status for p in db.session.query(ExamPlan)}
        statuses = {m.status for m in db.session.query(Matter)}
    assert states == {"not_started", "open", "closed", "finished"}
    assert statuses == {"draft", "in_progress", "completed"}


def test_demo_is_refused_in_production(app):
    from app.demo import DemoRefused, load_demo

    app.config["APP_ENV"] = "production"
    try:
        with app.app_context(), pytest.raises(DemoRefused):
            load_demo()
    finally:
        app.config["APP_ENV"] = "development"


def test_production_needs_keys_and_refuses_the_default(monkeypatch):
    env = {**os.environ, "APP_ENV": "production", "FLASK_APP": "app:create_app", "PYTHONPATH": ROOT}
    env.pop("SECRET_KEY", None)
    result = subprocess.run([sys.executable, "-c", "from app import create_app; create_app()"], cwd=ROOT,
                            env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_resident_id_rules():
    from app.identity import IdNumberError, parse_resident_id, upgrade_15

    assert parse_resident_id("11010519491231002x")[0] == "11010519491231002X"
    number, birth, gender = parse_resident_id("110105194912310038")
    assert str(birth) == "1949-12-31" and gender == "male"
    assert upgrade_15("110105491231002") == "11010519491231002X"
    for bad in ("110105194912310039", "110105194913310025", "12345"):
        with pytest.raises(IdNumberError):
            parse_resident_id(bad)


DEMO_SCHEDULED = ["2026年冬季Web前端开发（初级）考核", "2026年秋季质量管理体系审核员考试"]


def test_demo_schedules_its_paid_candidates_with_patrol_staff(app, login):
    """D10/D11 screens have data: seats, invigilators, association patrol staff, published tickets."""
    from app.extensions import db
    from models import ExamPlan, ExamSession, InvigilatorAssignment, Registration, SeatAssignment

    with app.app_context():
        paid = db.session.query(Registration).filter_by(status="registered").count()
        seats = db.session.query(SeatAssignment).count()
        published = db.session.query(SeatAssignment).join(ExamSession).join(ExamPlan).filter(
            SeatAssignment.published.is_(True), ExamPlan.name.in_(DEMO_SCHEDULED)).first()
        plan_id = db.session.get(ExamSession, published.session_id).exam_plan_id
        patrols = [p.invigilator.institution_id for p in db.session.query(InvigilatorAssignment).join(ExamSession)
                   .filter(InvigilatorAssignment.duty == "patrol", ExamSession.exam_plan_id == plan_id)]
    assert paid and seats and published is not None  # (other tests add paid registrations later)
    assert patrols and all(institution is None for institution in patrols)
    page = login("association").get(f"/scheduling/{plan_id}")
    assert "patrol-staff" in page.text and "周巡考" in page.text and "已发布" in page.text
