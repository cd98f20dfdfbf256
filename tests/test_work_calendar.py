"""I3 工作日历 through HTTP: the year's grid with chinese-calendar's holidays (国庆节 on 2026-10-01) and
make-up working days, the Admin's overrides (set, change, 恢复默认) that move every deadline computed by
app.workdays.add_workdays, each override in the audit log, bad input naming the field, access per role."""
import datetime
import re

import chinese_calendar
import pytest

from app.extensions import db
from app.workdays import add_workdays
from models import AuditLog, CalendarDay

URL = "/workcalendar/"
# a year chinese-calendar does not know (weekdays only) and no other test uses: 2099-03-02 is a Monday
MONDAY = datetime.date(2099, 3, 2)
TUESDAY = MONDAY + datetime.timedelta(days=1)


def cell(page, day):
    """The <td> of one day in the grid."""
    match = re.search(r'<td class="wc-day[^"]*"\s+data-day="%s".*?</td>' % day, page, re.S)
    assert match, day
    return match.group(0)


def override(app, day):
    with app.app_context():
        row = db.session.get(CalendarDay, day)
        return None if row is None else (row.is_workday, row.note)


def audit_rows(app, day):
    with app.app_context():
        return [(r.action, r.changes, r.actor_name) for r in db.session.query(AuditLog).filter_by(
            object_type="CalendarDay", object_id=day.isoformat()).order_by(AuditLog.id)]


def deadline(app, start, count):
    with app.app_context():
        return add_workdays(start, count)


@pytest.fixture
def clean(app):
    """No override left on the test days, whatever the test did."""
    yield
    with app.app_context():
        db.session.query(CalendarDay).filter(CalendarDay.day.in_([MONDAY, TUESDAY])).delete()
        db.session.commit()


def test_the_grid_shows_holidays_make_up_days_and_counts(login):  # I3
    admin = login("admin")
    page = admin.get("/workcalendar/2026")
    assert page.status_code == 200
    text = page.text
    national = cell(text, "2026-10-01")
    assert "国庆节" in national and 'data-kind="holiday"' in national
    assert 'data-kind="makeup"' in cell(text, "2026-10-10")  # a Saturday worked for National Day
    assert "调休" in cell(text, "2026-10-10")
    assert 'data-kind="restday"' in cell(text, "2026-11-07")  # an ordinary Saturday
    assert 'data-kind="workday"' in cell(text, "2026-11-09")
    # working days per month: October 2026 has 18 (Oct 1-7 off, Saturday Oct 10 worked), as chinese-calendar says
    october = re.search(r'id="month-10".*?wc-count">(\d+) 个工作日', text, re.S)
    days = [datetime.date(2026, 10, d) for d in range(1, 32)]
    assert october and int(october.group(1)) == sum(map(chinese_calendar.is_workday, days)) == 18
    assert "法定节假日" in text and "调休上班" in text and "休息日" in text
    # the default year is the current one; year navigation
    this_year = admin.get(URL)
    assert this_year.status_code == 200 and f"工作日历 · {datetime.date.today().year}" in this_year.text
    assert 'href="/workcalendar/?year=2025"' in text or "/workcalendar/2025" in text or "year=2025" in text


def test_a_year_chinese_calendar_does_not_know_falls_back_to_weekdays(login):  # I3
    page = login("admin").get("/workcalendar/2099")
    assert page.status_code == 200
    assert "尚无 2099 年的法定节假日安排" in page.text
    assert 'data-kind="workday"' in cell(page.text, MONDAY.isoformat())
    assert 'data-kind="restday"' in cell(page.text, "2099-03-07")


def test_an_override_moves_deadlines_is_audited_and_can_be_restored(app, login, clean):  # I3
    before = deadline(app, MONDAY, 3)
    assert before == MONDAY + datetime.timedelta(days=3)  # Thursday
    admin = login("admin")
    page = admin.get(f"{URL}2099?day={TUESDAY.isoformat()}")
    assert page.status_code == 200 and "未调整" in page.text
    r = admin.post(URL + "set", {"day": TUESDAY.isoformat(), "is_workday": "0", "note": "协会内部盘点"},
                   token_from=URL + "2099")
    assert r.status_code == 302, r.text[:2000]
    assert override(app, TUESDAY) == (False, "协会内部盘点")
    assert deadline(app, MONDAY, 3) == MONDAY + datetime.timedelta(days=4)  # the deadline moves to Friday
    shown = admin.get(f"{URL}2099?day={TUESDAY.isoformat()}").text
    td = cell(shown, TUESDAY.isoformat())
    assert "wc-override" in td and 'data-kind="restday"' in td and "协会内部盘点" in td
    assert "恢复默认" in shown
    # a weekend day made a working day counts too
    r = admin.post(URL + "set", {"day": TUESDAY.isoformat(), "is_workday": "1", "note": ""}, token_from=URL)
    assert r.status_code == 302 and override(app, TUESDAY) == (True, None)
    rows = audit_rows(app, TUESDAY)
    assert [a for a, _c, _n in rows] == ["create", "update"]
    assert rows[0][1]["is_workday"] is False and rows[0][2] == "admin"
    assert rows[1][1]["is_workday"] == [False, True]
    # 恢复默认
    r = admin.post(URL + "restore", {"day": TUESDAY.isoformat()}, token_from=URL)
    assert r.status_code == 302
    assert override(app, TUESDAY) is None
    assert deadline(app, MONDAY, 3) == before
    assert [a for a, _c, _n in audit_rows(app, TUESDAY)] == ["create", "update", "delete"]
    again = admin.post(URL + "restore", {"day": TUESDAY.isoformat()}, token_from=URL)
    assert again.status_code == 400 and "该日没有调整" in again.text


@pytest.mark.parametrize("data, message", [
    ({"day": "2026-13-40", "is_workday": "1"}, "日期不是有效的日期。"),
    ({"day": "", "is_workday": "1"}, "日期不是有效的日期。"),
    ({"day": "1999-12-31", "is_workday": "1"}, "日期须在 2000-01-01 至 2100-12-31 之间。"),
    ({"day": "2099-03-03", "is_workday": ""}, "请填写工作日/休息日。"),
    ({"day": "2099-03-03", "is_workday": "1", "note": "备" * 129}, "备注过长（最多128个字符）。"),
])
def test_bad_input_names_the_field(app, login, clean, data, message):  # I3
    r = login("admin").post(URL + "set", data, token_from=URL)
    assert r.status_code == 400 and message in r.text
    assert override(app, TUESDAY) is None


@pytest.mark.parametrize("year", ["1999", "2101", "abc"])
def test_a_year_out_of_range_gets_a_message(login, year):  # I3
    r = login("admin").get(URL + year)
    assert r.status_code == 400 and "年度应为2000到2100之间的整数。" in r.text
    assert login("admin").get(URL + "?day=2026-02-30").status_code == 400


def test_the_association_reads_only(app, login, clean):  # I3
    association = login("association")
    page = association.get(f"{URL}2026?day=2026-10-01")
    assert page.status_code == 200 and "国庆节" in page.text and "只读" in page.text
    assert 'action="/workcalendar/set"' not in page.text
    r = association.post(URL + "set", {"day": TUESDAY.isoformat(), "is_workday": "0"})
    assert r.status_code in (302, 403) and override(app, TUESDAY) is None
    with app.app_context():
        db.session.add(CalendarDay(day=TUESDAY, is_workday=False))
        db.session.commit()
    r = association.post(URL + "restore", {"day": TUESDAY.isoformat()})
    assert r.status_code in (302, 403) and override(app, TUESDAY) == (False, None)


@pytest.mark.parametrize("username", ["institution", "candidate", "support", "finance", "expert", "teacher"])
def test_other_roles_are_refused(app, login, clean, username):  # I3
    c = login(username)
    r = c.get(URL + "2026")
    assert r.status_code in (302, 403)
    if r.status_code == 302:
        assert "/login" in r.headers["Location"] or r.headers["Location"].endswith("/")
    r = c.post(URL + "set", {"day": TUESDAY.isoformat(), "is_workday": "0"})
    assert r.status_code in (302, 403) and override(app, TUESDAY) is None
