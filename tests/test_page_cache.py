"""P5 (issue 16): the portal's busiest pages kept whole for a few seconds (app/page_cache.py), and the exam
list paged in the database (B1).  The cache's clock is the test's: nothing here waits."""
import datetime
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from models import ExamPlan, Person
from models.enums import ExamStatus
from tests.conftest import Client
from tests.portal_helpers import candidate  # noqa: F401  (fixture)


@pytest.fixture
def cache(app):
    """The cache on, for this test, with a clock the test moves."""
    middleware = app.extensions["page_cache"]
    now = [1000.0]
    middleware.clock, saved = (lambda: now[0]), middleware.clock
    middleware.clear()
    app.config["PAGE_CACHE_SECONDS"] = 5

    class Clock:
        @staticmethod
        def advance(seconds):
            now[0] += seconds

    yield Clock
    app.config["PAGE_CACHE_SECONDS"] = 0
    middleware.clock = saved
    middleware.clear()


def _published_exam(app, name, days_open=10):
    now = datetime.datetime.now()
    with app.app_context():
        plan = ExamPlan(name=name, category="vocational", level="junior", fee=100, published=True,
                        reg_start=now - datetime.timedelta(days=1), reg_end=now + datetime.timedelta(days=days_open),
                        exam_start=now + datetime.timedelta(days=days_open + 5),
                        exam_end=now + datetime.timedelta(days=days_open + 5, hours=3))
        db.session.add(plan)
        db.session.commit()
        return plan.id


def _rename_person(app, phone, name):
    with app.app_context():
        person = db.session.scalars(select(Person).where(Person.phone == phone)).one()
        person.name = name
        db.session.commit()


def test_public_page_is_kept_until_its_seconds_pass(app, cache):  # P5
    visitor = Client(app)
    first = visitor.get("/portal/exams?category=vocational")
    assert first.status_code == 200 and "Set-Cookie" not in first.headers and "X-Page-Cache" not in first.headers
    _published_exam(app, "缓存考试甲（初级）")
    kept = visitor.get("/portal/exams?category=vocational")
    assert kept.data == first.data  # served from the cache: the new exam is not on it yet
    assert "缓存考试乙" in visitor.get("/portal/exams/%d" % _published_exam(app, "缓存考试乙")).text  # not kept
    cache.advance(5)
    assert "缓存考试甲" in Client(app).get("/portal/exams?category=vocational").text


def test_each_language_and_each_query_has_its_own_entry(app, cache):  # P5
    visitor = Client(app)
    chinese = visitor.get("/portal/").text
    assert "Set-Cookie" not in visitor.get("/portal/").headers  # a first visit: no cookie, the kept page
    reader = Client(app)
    assert reader.get("/lang/en").status_code == 302  # the language switch: the reader's cookie says English
    english = reader.get("/portal/").text
    assert 'lang="zh-CN"' in chinese and 'lang="en"' in english and "Exams" in english
    assert visitor.get("/portal/").text == chinese and reader.get("/portal/").text == english
    assert visitor.get("/portal/exams?level=senior").text != visitor.get("/portal/exams?level=junior").text


def test_a_candidate_never_sees_another_candidates_page(app, cache, candidate):  # noqa: F811  P5
    mine, _phone, _number = candidate
    own = mine.get("/portal/me")
    assert own.status_code == 200 and "张三丰" in own.text
    other = Client(app)
    assert other.login("candidate").status_code == 302
    theirs = other.get("/portal/me").text
    assert "张三丰" not in theirs and "王小明" in theirs
    assert "张三丰" in mine.get("/portal/me").text
    assert Client(app).get("/portal/me").status_code == 302  # signed out: to the login page, never a kept page


def test_own_write_is_never_hidden_by_a_kept_page(app, cache, candidate):  # noqa: F811  P5
    c, phone, _number = candidate
    c.get("/portal/me")  # shows (and so pops) the message of the completed profile: that answer is not kept
    assert "张三丰" in c.get("/portal/me").text
    _rename_person(app, phone, "张四丰")  # a change made elsewhere: the kept page still shows the old name
    assert "张四丰" not in c.get("/portal/me").text
    # any form the candidate sends changes the session cookie, even one refused without a message
    refused = c.post("/portal/me/password", {"old_password": "wrong", "password": "x", "password2": "y"},
                     token_from="/portal/me/password")
    assert refused.status_code == 200 and "当前密码不正确" in refused.text
    assert "张四丰" in c.get("/portal/me").text


def test_a_flash_message_shows_once_and_is_never_replayed(app, cache, candidate):  # noqa: F811  P5
    c, _phone, _number = candidate
    c.get("/portal/me")
    r = c.post("/portal/me/password", {"old_password": "Passw0rd!", "password": "Passw0rd!2",
                                       "password2": "Passw0rd!2"}, token_from="/portal/me/password")
    assert r.status_code == 302 and r.headers["Location"].endswith("/portal/me")
    assert "密码已修改" in c.get("/portal/me").text
    assert "密码已修改" not in c.get("/portal/me").text


def test_pages_change_the_session_cookie_once_a_minute_at_most(app, candidate):  # noqa: F811  P5
    c, _phone, _number = candidate
    c.get("/portal/me")
    quiet = [c.get(path) for path in ("/portal/me", "/portal/exams", "/portal/me/matters")]
    assert all(r.status_code == 200 and "Set-Cookie" not in r.headers for r in quiet)


def test_exam_list_pages_in_the_database_by_the_status_rule(app, cache):  # B1 P5
    for n in range(21):
        _published_exam(app, f"分页考试{n:02d}（初级）")
    visitor = Client(app)
    with app.app_context():
        plans = db.session.scalars(select(ExamPlan).where(ExamPlan.published.is_(True))).all()
        expected = {status.value: {p.id for p in plans if p.status == status.value} for status in ExamStatus}
    for status, ids in expected.items():
        seen, page = [], 1
        while True:
            r = visitor.get(f"/portal/exams?status={status}&page={page}")
            assert r.status_code == 200
            found = [int(n) for n in re.findall(r'href="/portal/exams/(\d+)"', r.text)]
            assert len(found) <= 20
            seen += found
            if f'status={status}&amp;page={page + 1}"' not in r.text and f"page={page + 1}&amp;status" not in r.text:
                break
            page += 1
        assert set(seen) == ids and len(seen) == len(ids), status  # each exam once, on one page
    assert len(expected[ExamStatus.OPEN.value]) > 20  # paged: more than one page of open exams
    assert visitor.get("/portal/exams?page=999").status_code == 200  # beyond the last page: the last page



def test_back_office_menu_shows_the_language_in_use(login):  # P5
    """The portal stores no default language in the session; FAB's back-office menu reads it from there for
    its flag, so the back office still stores it: Chinese shows the Chinese flag, not the English one."""
    page = login("association").get("/personview/list/")
    flags = re.findall(r'<i class="flag (\w+)"', page.text)  # the language in use, then the one offered
    assert page.status_code == 200 and flags[:2] == ["cn", "gb"], flags
