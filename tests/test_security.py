"""Secure defaults (issue 2 §13), each shown by an attack that fails."""
import time

import pytest

from tests.conftest import DEMO_PASSWORD, Client, new_ip


def test_login_form_needs_csrf(client):
    response = client.http.post("/login/", data={"username": "admin", "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert client.get("/personview/list/").status_code in (302, 401, 403)


def test_every_demo_account_logs_in_by_form_and_api(app):
    for username in ("admin", "association", "institution", "candidate", "expert", "teacher", "support", "finance"):
        c = Client(app)
        assert c.login(username).status_code == 302
        page = c.get("/")
        assert page.status_code == 200 and "/logout/" in page.text, username
        api = app.test_client()
        api.environ_base["REMOTE_ADDR"] = new_ip()
        r = api.post("/api/v1/security/login", json={"username": username, "password": DEMO_PASSWORD,
                                                     "provider": "db"})
        assert r.status_code == 200 and r.json["access_token"], username


def test_wrong_password_message_does_not_say_whether_the_account_exists(app, client):
    from flask_appbuilder.security.views import AuthDBView

    known = client.post("/login/", {"username": "admin", "password": "Wrong@1234"}, follow_redirects=True)
    unknown = client.post("/login/", {"username": "nobody-here", "password": "Wrong@1234"}, follow_redirects=True)
    with app.test_request_context():
        message = str(AuthDBView.invalid_login_message)
    assert known.status_code == unknown.status_code == 200
    assert message in known.text and message in unknown.text


def test_the_11th_rapid_api_login_is_refused(app):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = new_ip()
    codes = [c.post("/api/v1/security/login", json={"username": "api-throttle-test", "password": "bad-password1",
                                                    "provider": "db"}).status_code for _ in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429


def test_form_login_is_throttled_per_ip(app):
    c = Client(app)
    token = c.csrf()
    codes = [c.http.post("/login/", data={"username": "form-throttle-test", "password": "bad-password1",
                                          "csrf_token": token}).status_code for _ in range(11)]
    assert 429 in codes


def test_account_is_throttled_across_ips(app):
    """Ten failures for one account from many addresses lock that account for a while."""
    from tests.conftest import Client as C

    for _ in range(10):
        C(app).login("teacher-locktest", "bad-password1")
    # even from a fresh address, the next attempt is refused without checking the password
    c = C(app)
    assert c.login("teacher-locktest", "bad-password1").status_code == 302
    with app.app_context():
        from app.extensions import db
        from models import AuditLog

        reasons = [r.changes.get("reason") for r in db.session.query(AuditLog).filter(
            AuditLog.actor_name == "teacher-locktest")]
    assert "account throttled" in reasons


def test_logout_ends_the_session_for_real(login):
    c = login("association")
    stolen = c.http.get_cookie("session").value
    c.logout()
    thief = Client(c.app)
    thief.http.set_cookie("session", stolen)
    response = thief.get("/personview/list/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_ends_other_sessions(app, login):
    from app.extensions import db
    from models import PlatformUser

    first = login("finance")
    second = login("finance")
    with app.app_context():
        user = db.session.query(PlatformUser).filter_by(username="finance").one()
        app.appbuilder.sm.reset_password(user.id, DEMO_PASSWORD)
    assert first.get("/orderview/list/").status_code == 302
    assert second.get("/orderview/list/").status_code == 302
    assert login("finance").get("/orderview/list/").status_code == 200


@pytest.mark.parametrize("key,age", [("_seen", 31 * 60), ("_login_at", 13 * 3600)])
def test_idle_and_absolute_timeouts(login, key, age):
    c = login("association")
    assert c.get("/personview/list/").status_code == 200
    with c.http.session_transaction() as session:
        session[key] = int(time.time()) - age
    response = c.get("/personview/list/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("query", ["psize_PersonView=abc", "psize_PersonView=100000", "page_PersonView=abc",
                                   "psize_PersonView=0"])
def test_bad_paging_is_a_400_not_a_500(login, query):
    assert login("association").get(f"/personview/list/?{query}").status_code == 400


def test_unknown_sort_column_is_ignored(login):
    c = login("association")
    assert c.get("/personview/list/?_oc_PersonView=nonexistent&_od_PersonView=asc").status_code == 200
    assert c.get("/personview/list/?_oc_PersonView=name&_od_PersonView=desc").status_code == 200


def test_api_page_size_is_capped(api):
    c, headers = api("association")
    r = c.get("/api/v1/person/?q=(page_size:100000)", headers=headers)
    assert r.status_code == 200 and len(r.json["result"]) <= 100


def test_open_redirect_after_login_is_refused(app):
    c = Client(app)
    token = c.csrf()
    response = c.http.post("/login/?next=//evil.example/steal", data={
        "username": "association", "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_get_requests_never_mutate(login, app):
    c = login("association")
    from app.extensions import db
    from models import Matter

    with app.app_context():
        matter = db.session.query(Matter).filter_by(state="draft").first()
    assert c.get(f"/matterview/action/submit/{matter.id}").status_code == 405
    assert c.get(f"/matterview/delete/{matter.id}").status_code in (302, 405)
    with app.app_context():
        assert db.session.get(Matter, matter.id) is not None


def test_state_changes_need_csrf(login, app):
    c = login("association")
    from app.extensions import db
    from models import Matter

    with app.app_context():
        matter = db.session.query(Matter).filter_by(state="draft").first()
    r = c.http.post("/matterview/action_post", data={"action": "submit", "rowid": [matter.id]})
    assert r.status_code == 400
    r = c.http.post("/notifications/clear")
    assert r.status_code == 400


def test_session_cookie_flags(client):
    response = client.get("/login/")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_upload_size_is_capped(app, login):
    assert app.config["MAX_CONTENT_LENGTH"] <= 64 * 1024 * 1024
    c = login("association")
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert c.http.post("/notifications/clear", data=big, content_type="application/octet-stream").status_code == 413


def test_database_errors_are_not_shown(login, app):
    """A unique-constraint clash answers with a Chinese message, no SQL text."""
    c = login("association")
    response = c.post("/institutionview/add", {"name": "北京信息职业技术学院", "kind": "college",
                                                "status": "approved"}, follow_redirects=True)
    assert response.status_code == 200
    for leak in ("IntegrityError", "UNIQUE constraint", "duplicate key", "INSERT INTO", "sqlalchemy"):
        assert leak not in response.text


def test_production_refuses_default_secret_key():
    from app import ConfigError, create_app

    with pytest.raises(ConfigError):
        create_app({"APP_ENV": "production"})
    with pytest.raises(ConfigError):
        create_app({"APP_ENV": "production", "SECRET_KEY": "x" * 40})  # ID-number keys missing too
    keys = {"APP_ENV": "production", "SECRET_KEY": "x" * 40, "ID_NUMBER_ENC_KEY": "k", "ID_NUMBER_HMAC_KEY": "h"}
    with pytest.raises(ConfigError, match="sandbox"):  # C2: the sandbox gateway pays without money
        create_app({**keys, "PAYMENT_GATEWAY": "sandbox"})


def test_production_cookies_are_secure(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("APP_ENV", "production")
    try:
        importlib.reload(config)
        assert config.SESSION_COOKIE_SECURE is True
    finally:
        monkeypatch.delenv("APP_ENV")
        importlib.reload(config)


def test_safe_redirect_hosts_configured(app):
    assert "FAB_SAFE_REDIRECT_HOSTS" in app.config


def test_own_password_change_through_the_form(app, login):
    """Back-office users change their own password (complexity enforced); other sessions end."""
    from app.extensions import db
    from models import PlatformUser

    with app.app_context():
        sm = app.appbuilder.sm
        if sm.find_user(username="pwchange") is None:
            sm.add_user("pwchange", "改", "密码", "pwchange@demo.example", sm.find_role("Support"),
                        password=DEMO_PASSWORD)
    other = login("pwchange")
    c = login("pwchange")
    assert c.get("/users/userinfo/").status_code == 200
    weak = c.post("/resetmypassword/form", {"password": "short", "conf_password": "short"},
                  token_from="/resetmypassword/form")
    assert weak.status_code == 200 and "8" in weak.text  # refused with the complexity rule
    r = c.post("/resetmypassword/form", {"password": "NewPass2026", "conf_password": "NewPass2026"},
               token_from="/resetmypassword/form")
    assert r.status_code == 302
    assert other.get("/messagethreadview/list/").status_code == 302  # the other session ended
    assert c.get("/messagethreadview/list/").status_code == 200  # the changer's own session goes on
    assert Client(app).login("pwchange", "NewPass2026").status_code == 302
    with app.app_context():
        user = db.session.query(PlatformUser).filter_by(username="pwchange").one()
        app.appbuilder.sm.reset_password(user.id, DEMO_PASSWORD)


def test_candidates_get_no_back_office_account_pages(login):
    c = login("candidate")
    assert c.get("/users/userinfo/").status_code in (302, 403)
    assert c.get("/resetmypassword/form").status_code in (302, 403)
