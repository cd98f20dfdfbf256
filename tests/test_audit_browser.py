"""I1 审计日志 browser through HTTP: the filters (user name contains, action, object type, object id, period)
narrow the rows, newest first in pages of 50 with the changed fields in words; 导出 Excel of the same filters
(formula-looking cells stay text, capped at EXPORT_MAX_ROWS and saying so); the Admin alone reaches it; bad
dates get a Chinese message naming the field."""
import datetime
import io
import re
import uuid

import openpyxl
import pytest

from app.extensions import db
from models import AuditLog

URL = "/auditlog/"


@pytest.fixture
def rows(app):
    """Four rows of one made-up user in 2001 (no other test writes there), and 55 of another."""
    token = uuid.uuid4().hex[:8]
    user, many = f"i1-{token}", f"i1many-{token}"
    at = datetime.datetime
    with app.app_context():
        made = [
            AuditLog(at=at(2001, 1, 5, 9), actor_name=user, action="create", object_type="Invigilator",
                     object_id="9001", changes={"name": "张三", "phone": "13900000000"}, ip="10.0.0.1"),
            AuditLog(at=at(2001, 2, 10, 9), actor_name=user, action="update", object_type="Invigilator",
                     object_id="9001", changes={"name": ["张三", "李四"]}, ip="10.0.0.1"),
            AuditLog(at=at(2001, 3, 1, 9), actor_name=user, action="delete", object_type="Room",
                     object_id="9002", changes={"name": "101"}, ip="10.0.0.2"),
            AuditLog(at=at(2001, 3, 2, 9), actor_name=user.upper(), action="login", object_type="PlatformUser",
                     object_id="=1+1", changes=None, ip="10.0.0.3"),
        ]
        made += [AuditLog(at=at(2002, 1, 1) + datetime.timedelta(minutes=i), actor_name=many, action="update",
                          object_type="Room", object_id=str(i), changes={"name": [str(i), str(i + 1)]})
                 for i in range(55)]
        db.session.add_all(made)
        db.session.commit()
        ids = [r.id for r in made]
    yield {"user": user, "many": many, "ids": ids}
    with app.app_context():
        db.session.query(AuditLog).filter(AuditLog.id.in_(ids)).delete()
        db.session.commit()


def shown(page):
    return [int(i) for i in re.findall(r'class="audit-row" data-id="(\d+)"', page.text)]


def test_filters_narrow_the_rows(login, rows):  # I1
    admin = login("admin")
    a, b, c, d = rows["ids"][:4]
    page = admin.get(URL, query_string={"user": rows["user"]})
    assert page.status_code == 200
    assert shown(page) == [d, c, b, a]  # newest first; the name matches in any case ("contains")
    assert "共 4 条记录" in page.text
    assert shown(admin.get(URL, query_string={"user": rows["user"], "action": "update"})) == [b]
    assert shown(admin.get(URL, query_string={"user": rows["user"], "object_type": "Invigilator"})) == [b, a]
    assert shown(admin.get(URL, query_string={"user": rows["user"], "object_id": "9002"})) == [c]
    assert shown(admin.get(URL, query_string={"user": rows["user"], "start": "2001-02-01",
                                              "end": "2001-03-01"})) == [c, b]  # the end day is included
    assert shown(admin.get(URL, query_string={"user": rows["user"], "end": "2001-01-31"})) == [a]
    assert shown(admin.get(URL, query_string={"user": "no-such-user-" + rows["user"]})) == []
    # the changed fields in words: the model's labels, old → new
    text = admin.get(URL, query_string={"user": rows["user"]}).text
    assert "张三 → 李四" in text and "13900000000" in text
    assert "修改" in text and "删除" in text  # the actions' labels


def test_pages_of_fifty(login, rows):  # I1
    admin = login("admin")
    first = admin.get(URL, query_string={"user": rows["many"]})
    assert len(shown(first)) == 50 and shown(first)[0] == rows["ids"][-1]
    assert "第 1 / 2 页" in first.text and "下一页" in first.text
    second = admin.get(URL, query_string={"user": rows["many"], "page": "2"})
    assert shown(second) == list(reversed(rows["ids"][4:9]))
    assert admin.get(URL, query_string={"page": "x"}).status_code == 400


def test_export_keeps_the_filters_and_text(login, rows, monkeypatch):  # I1
    admin = login("admin")
    r = admin.get(URL + "export", query_string={"user": rows["user"]})
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(r.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("时间", "用户名", "操作", "对象类型", "对象", "变更字段", "IP地址") or values[0][0] == "时间"
    assert len(values) == 5
    assert values[1][1] == rows["user"].upper() and values[4][1] == rows["user"]
    formula = sheet.cell(row=2, column=5)
    assert formula.value == "=1+1" and formula.data_type == "s"
    assert "张三 → 李四" in values[3][5]
    # capped: the newest rows only, and a last line says so
    import app.services.audit_browser as service
    import views.admin.system as system

    monkeypatch.setattr(service, "EXPORT_MAX_ROWS", 2)
    monkeypatch.setattr(system, "EXPORT_MAX_ROWS", 2)
    r = admin.get(URL + "export", query_string={"user": rows["user"]})
    values = list(openpyxl.load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))
    assert len(values) == 4 and values[1][4] == "=1+1" and "仅导出最新的 2 条记录" in values[3][0]
    page = admin.get(URL, query_string={"user": rows["user"]})
    assert "导出 Excel 最多包含最新的 2 条记录" in page.text


@pytest.mark.parametrize("args, message", [
    ({"start": "2026-02-30"}, "开始时间不是有效的日期。"),
    ({"end": "yesterday"}, "结束时间不是有效的日期。"),
    ({"start": "2026-03-01", "end": "2026-02-01"}, "结束时间早于开始日期。"),
    ({"action": "nonsense"}, "操作无效。"),
])
def test_bad_filters_get_a_chinese_message(login, args, message):  # I1
    admin = login("admin")
    r = admin.get(URL, query_string=args)
    assert r.status_code == 400 and message in r.text
    r = admin.get(URL + "export", query_string=args)
    assert r.status_code == 302
    assert message in admin.get(r.headers["Location"]).text


def test_the_old_row_page_still_shows_one_row(login, rows):  # I1
    page = login("admin").get(f"/auditlogview/show/{rows['ids'][1]}")
    assert page.status_code == 200 and "李四" in page.text


@pytest.mark.parametrize("username", ["association", "institution", "support", "finance", "expert", "teacher",
                                      "candidate"])
def test_only_the_admin_reaches_it(login, username):  # I1
    c = login(username)
    for url in (URL, URL + "export", "/auditlogview/list/"):
        r = c.get(url)
        assert r.status_code in (302, 403), (username, url)
        if r.status_code == 302:
            assert "/login" in r.headers["Location"] or r.headers["Location"].endswith("/")
