"""Fixtures: one app per session on SQLite (a temp file) or on DATABASE_URL
(PostgreSQL in CI), its schema built by the migrations, roles synced and
demo data loaded.  Tests log in through the real form with CSRF."""
import itertools
import os
import random
import re
import tempfile

import pytest
from sqlalchemy import text

os.environ.setdefault("INSTANCE_DIR", tempfile.mkdtemp(prefix="platform-test-"))

pytest_plugins = ["tests.portal_helpers"]  # the candidate fixture
DEMO_PASSWORD = "Demo@2026"
_ip_counter = itertools.count(1)
_ip_prefix = random.randint(1, 250)


def _reset_database(url):
    """Start PostgreSQL runs from an empty schema (SQLite gets a new file)."""
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


@pytest.fixture(scope="session")
def app():
    url = os.environ.get("DATABASE_URL") or "sqlite:///" + os.path.join(os.environ["INSTANCE_DIR"], "test.db")
    _reset_database(url)
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SERVER_NAME": None,
                      "PAGE_CACHE_SECONDS": 0})  # tests/test_page_cache.py turns it on
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        from app.demo import load_demo

        load_demo()
    yield app


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        from app.extensions import db

        db.session.rollback()
        db.session.remove()


def wait_for_job(client, job_id, timeout=60):
    """A job's state once it is done or failed: at once in-process, a moment later on a real worker."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        state = client.get(f"/jobs/{job_id}").get_json()
        if state["status"] in ("done", "failed") or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def new_ip():
    """Each client comes from its own loopback address (the login limit is per IP)."""
    n = next(_ip_counter)
    return f"127.{_ip_prefix}.{n // 250}.{n % 250 + 1}"


class Client:
    """A browser-like test client: keeps cookies, fetches CSRF tokens from pages."""

    def __init__(self, app, ip=None):
        self.app = app
        self.http = app.test_client()
        self.http.environ_base["REMOTE_ADDR"] = ip or new_ip()

    def get(self, url, **kw):
        return self.http.get(url, **kw)

    def csrf(self, url=None):
        """A CSRF token of this client's session (from the login form, or the
        notifications page once logged in)."""
        page = self.http.get(url or "/login/")
        if url is None and page.status_code == 302:
            page = self.http.get("/notifications/")
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page.text)
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    def post(self, url, data=None, token_from=None, **kw):
        data = dict(data or {})
        if "csrf_token" not in data:
            data["csrf_token"] = self.csrf(token_from)
        return self.http.post(url, data=data, **kw)

    def login(self, username, password=DEMO_PASSWORD):
        """Staff through the back-office form; candidates through the portal (with its image code)."""
        if username == "candidate":
            self.get("/portal/login")
            from app.extensions import db
            from models import CaptchaChallenge

            with self.http.session_transaction() as session:
                token = session["captcha"]
            with self.app.app_context():
                answer = db.session.get(CaptchaChallenge, token).answer
            return self.post("/portal/login", {"account": "13800000000", "password": password, "captcha": answer})
        return self.post("/login/", {"username": username, "password": password})

    def logout(self):
        return self.http.get("/logout/")


@pytest.fixture
def client(app):
    return Client(app)


@pytest.fixture
def login(app):
    """login('association') -> a logged-in Client."""
    def make(username, password=DEMO_PASSWORD):
        c = Client(app)
        response = c.login(username, password)
        assert response.status_code == 302, response.text[:500]
        assert c.get("/").status_code == 200
        return c

    return make


def api_token(app, username, password=DEMO_PASSWORD):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = new_ip()
    r = c.post("/api/v1/security/login", json={"username": username, "password": password, "provider": "db"})
    assert r.status_code == 200, r.text
    return r.json["access_token"]


@pytest.fixture
def api(app):
    """api('institution') -> (client, headers) for the REST API."""
    def make(username):
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = new_ip()
        return c, {"Authorization": f"Bearer {api_token(app, username)}"}

    return make


SECOND_INSTITUTION_USER = "institution-b"


def second_institution_user(app):
    """A user of the first institution other than the demo institution user's, created once; the
    tests of "an institution never reaches another's rows" log in as both."""
    from app.extensions import db
    from app.roles import INSTITUTION
    from models import Institution, PlatformUser

    with app.app_context():
        sm = app.appbuilder.sm
        if sm.find_user(username=SECOND_INSTITUTION_USER) is None:
            own = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
            other = db.session.query(Institution.id).filter(Institution.id != own).order_by(Institution.id).first()[0]
            user = sm.add_user(SECOND_INSTITUTION_USER, "第二", "机构", "institution-b@demo.example",
                               sm.find_role(INSTITUTION), password="Demo@2026")
            user.institution_id = other
            db.session.commit()
    return SECOND_INSTITUTION_USER
