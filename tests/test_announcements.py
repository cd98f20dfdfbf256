"""H5 公告 (announcements): the association writes them over HTTP (CSRF, every field checked in Chinese,
the body sanitised), 发布 / 撤回 / 置顶; the portal list (search, category, 20 a page, pinned first), the
detail and the attachment answer only what ``visible_to`` allows — per audience for a visitor, a candidate,
an institution and another institution; future and withdrawn ones are 404; institutions read theirs in the
back office and may not write; the migration 0012 upgrades a database of 0011."""
import datetime
import io
import itertools
import re
import uuid

import pytest

from app.extensions import db
from app.services import announcements as service
from models import Announcement, ExamPlan, Person, PlatformUser, Registration
from tests.conftest import Client, second_institution_user

ADD = "/announcementview/add/"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
_seq = itertools.count(1)


def _tag():
    return f"H5{next(_seq)}X{uuid.uuid4().hex[:6].upper()}"


def _form(**over):
    data = {"title": f"测试公告{_tag()}", "category": "notice", "target": "everyone", "exam_plan_id": "",
            "body": "<p>正文</p>", "publish_at": "", "withdraw_at": "", "publish": "y"}
    data.update(over)
    return data


def _make(app, tag, **fields):
    """An announcement written directly (visibility set-ups); returns its id."""
    now = datetime.datetime.now()
    values = dict(title=f"{fields.pop('title', '公告')}{tag}", category="notice", target="everyone",
                  body=f"<p>内容{tag}</p>", published=True, published_at=now,
                  publish_at=now - datetime.timedelta(hours=1))
    values.update(fields)
    with app.app_context():
        item = Announcement(**values)
        db.session.add(item)
        db.session.commit()
        return item.id


def _id_of(app, title):
    with app.app_context():
        return db.session.query(Announcement.id).filter_by(title=title).scalar()


@pytest.fixture(scope="module")
def exam(app):
    """A new exam with one registration: the demo candidate's, filed under the demo institution."""
    with app.app_context():
        user = db.session.query(PlatformUser).filter_by(username="candidate").one()
        person = db.session.query(Person).filter_by(user_id=user.id).one()
        institution_id = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
        now = datetime.datetime.now()
        plan = ExamPlan(name=f"公告测试考试{_tag()}", exam_start=now + datetime.timedelta(days=40),
                        exam_end=now + datetime.timedelta(days=40, hours=2), reg_start=now - datetime.timedelta(days=1),
                        reg_end=now + datetime.timedelta(days=20))
        db.session.add(plan)
        db.session.flush()
        db.session.add(Registration(exam_plan_id=plan.id, person_id=person.id, institution_id=institution_id))
        db.session.commit()
        return plan.id


@pytest.fixture(scope="module")
def viewers(app):
    """Logged-in clients of every kind of visitor, once per module."""
    def staff(name):
        c = Client(app)
        assert c.login(name).status_code == 302
        return c

    other = second_institution_user(app)
    cand = Client(app)
    assert cand.login("candidate").status_code == 302
    return {"anonymous": Client(app), "candidate": cand, "institution": staff("institution"),
            "other_institution": staff(other), "association": staff("association")}


# --- the association's screen (H5) ---------------------------------------------------------------
def test_association_creates_an_announcement_over_http_with_csrf(app, login):
    """H5: the form with its CSRF token creates, sanitises and publishes; without the token nothing is saved."""
    assoc = login("association")
    page = assoc.get(ADD)
    assert page.status_code == 200 and "发布对象" in page.text and "显示截止时间" in page.text
    data = _form(body='<p onclick="steal()">你好<script>alert(1)</script><a href="javascript:alert(2)">链接</a>'
                      '<a href="https://example.org/x">官网</a><style>p{}</style><strong>粗</strong></p>'
                      '<iframe src="https://evil.example"></iframe><table><tr><td>单元格</td></tr></table>')
    r = assoc.post(ADD, data, token_from=ADD)
    assert r.status_code == 302, r.text[:800]
    with app.app_context():
        item = db.session.query(Announcement).filter_by(title=data["title"]).one()
        body = item.body
        assert item.published and item.published_at is not None and item.target == "everyone"
    assert "<script" not in body and "alert(1)" not in body and "onclick" not in body and "javascript:" not in body
    assert "<style" not in body and "<iframe" not in body
    assert "<strong>粗</strong>" in body and 'href="https://example.org/x"' in body and "<td>单元格</td>" in body
    detail = Client(app).get(f"/portal/announcements/{item.id}")
    assert detail.status_code == 200 and "<strong>粗</strong>" in detail.text and "alert(1)" not in detail.text

    title = f"无令牌{_tag()}"
    r = assoc.http.post(ADD, data=_form(title=title))
    assert r.status_code in (302, 400) and _id_of(app, title) is None


@pytest.mark.parametrize("over, field_text", [
    ({"title": ""}, "请填写标题"),
    ({"title": "长" * 256}, "标题最多"),
    ({"category": "gossip"}, "请选择类别"),
    ({"target": "martians"}, "请选择发布对象"),
    ({"target": "exam", "exam_plan_id": ""}, "考试：发布对象为指定考试时，请选择考试"),
    ({"target": "exam", "exam_plan_id": "99999999"}, "考试：发布对象为指定考试时，请选择考试"),
    ({"body": "<script>alert(1)</script>"}, "请填写内容"),
    ({"publish_at": "明天"}, "显示起始时间不是有效的日期时间"),
    ({"withdraw_at": "2026-13-40T25:00"}, "显示截止时间不是有效的日期时间"),
    ({"publish_at": "2030-05-01T10:00", "withdraw_at": "2030-04-01T10:00"}, "显示截止时间必须晚于显示起始时间"),
])
def test_bad_input_is_refused_in_chinese_naming_the_field(app, login, over, field_text):
    """H5: each bad field answers 400 with a Chinese message naming it; nothing is saved."""
    assoc = login("association")
    data = _form(**over)
    r = assoc.post(ADD, data, token_from=ADD)
    assert r.status_code == 400 and field_text in r.text, r.text[-1500:]
    if data["title"]:
        assert _id_of(app, data["title"]) is None


@pytest.mark.parametrize("upload, message", [
    ((b"just text", "说明.txt"), "附件：只接受"),
    ((b"just text", "伪装.pdf"), "附件：文件内容与其类型不符"),
    ((b"", "空.pdf"), "附件"),
])
def test_bad_attachment_is_refused(app, login, upload, message):
    """H5: the attachment must be a PDF/Word/Excel/zip/image whose content matches its name."""
    assoc = login("association")
    data = _form(attachment=(io.BytesIO(upload[0]), upload[1]))
    r = assoc.post(ADD, data, token_from=ADD, content_type="multipart/form-data")
    assert r.status_code in (200, 400) and message in r.text and _id_of(app, data["title"]) is None


def test_publish_withdraw_and_pin_actions(app, login):
    """H5: 发布 a draft makes it visible, 置顶 puts it first, 撤回 hides it (detail 404) but keeps the row."""
    assoc = login("association")
    tag = _tag()
    data = _form(title=f"草稿{tag}", publish="")
    assert assoc.post(ADD, data, token_from=ADD).status_code == 302
    pk = _id_of(app, data["title"])
    visitor = Client(app)
    assert visitor.get(f"/portal/announcements/{pk}").status_code == 404  # a draft is not shown
    listing = "/announcementview/list/"
    assert data["title"] in assoc.get(listing + f"?q={tag}").text
    assert assoc.post(f"/announcementview/publish/{pk}", {}, token_from=listing).status_code == 302
    assert visitor.get(f"/portal/announcements/{pk}").status_code == 200
    assert assoc.post(f"/announcementview/pin/{pk}", {}, token_from=listing).status_code == 302
    home = visitor.get("/portal/")
    first = re.search(r'/portal/announcements/(\d+)"', home.text)
    assert first and int(first.group(1)) == pk and "置顶" in home.text  # pinned first on the home page
    assert assoc.post(f"/announcementview/withdraw/{pk}", {}, token_from=listing).status_code == 302
    assert visitor.get(f"/portal/announcements/{pk}").status_code == 404
    assert data["title"] not in visitor.get(f"/portal/announcements?q={tag}").text
    with app.app_context():
        item = db.session.get(Announcement, pk)
        assert item.published and item.withdraw_at is not None  # still "published by the association"
        item.pinned = False
        db.session.commit()


def test_edit_keeps_the_sanitising(app, login):
    """H5: an edit goes through the same checks and sanitising."""
    assoc = login("association")
    data = _form()
    assert assoc.post(ADD, data, token_from=ADD).status_code == 302
    pk = _id_of(app, data["title"])
    edit = f"/announcementview/edit/{pk}"
    assert data["title"] in assoc.get(edit).text
    r = assoc.post(edit, _form(title=data["title"], body="<p>改后<img src=x onerror=alert(1)></p>"), token_from=edit)
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Announcement, pk).body == "<p>改后</p>"
    r = assoc.post(edit, _form(title=""), token_from=edit)
    assert r.status_code == 400 and "请填写标题" in r.text


# --- who sees what (visible_to) ------------------------------------------------------------------
def test_visibility_per_audience(app, viewers, exam):
    """H5: everyone → all incl. visitors; candidates → logged-in candidates; institutions → institution users;
    one exam → its registered candidates and the institutions taking part (not another institution)."""
    tag = _tag()
    ids = {target: _make(app, tag, title=f"{target}", target=target,
                         exam_plan_id=exam if target == "exam" else None)
           for target in ("everyone", "candidates", "institutions", "exam")}
    expected = {
        "anonymous": {"everyone"},
        "candidate": {"everyone", "candidates", "exam"},
        "institution": {"everyone", "institutions", "exam"},
        "other_institution": {"everyone", "institutions"},
        "association": {"everyone", "candidates", "institutions", "exam"},
    }
    for who, seen in expected.items():
        c = viewers[who]
        listing = c.get(f"/portal/announcements?q={tag}").text
        for target, pk in ids.items():
            detail = c.get(f"/portal/announcements/{pk}")
            assert (detail.status_code == 200) == (target in seen), (who, target, detail.status_code)
            assert (f"{target}{tag}" in listing) == (target in seen), (who, target)


def test_another_candidate_does_not_see_the_exam_announcement(app, candidate, exam):
    """H5: a candidate not registered for the exam sees neither it nor the institutions' ones."""
    c, _phone, _number = candidate
    tag = _tag()
    exam_id = _make(app, tag, target="exam", exam_plan_id=exam)
    institutions_id = _make(app, tag, target="institutions")
    candidates_id = _make(app, tag, target="candidates")
    assert c.get(f"/portal/announcements/{exam_id}").status_code == 404
    assert c.get(f"/portal/announcements/{institutions_id}").status_code == 404
    assert c.get(f"/portal/announcements/{candidates_id}").status_code == 200


def test_future_withdrawn_and_unpublished_are_hidden(app, viewers):
    """H5: not before publish_at, not from withdraw_at on, never a draft — for every viewer (detail 404)."""
    now = datetime.datetime.now()
    tag = _tag()
    hidden = [_make(app, tag, title="未来", publish_at=now + datetime.timedelta(days=2)),
              _make(app, tag, title="撤回", withdraw_at=now - datetime.timedelta(minutes=1)),
              _make(app, tag, title="草稿", published=False, published_at=None)]
    shown = _make(app, tag, title="到期前", withdraw_at=now + datetime.timedelta(days=1))
    for who in ("anonymous", "candidate", "institution", "association"):
        c = viewers[who]
        for pk in hidden:
            assert c.get(f"/portal/announcements/{pk}").status_code == 404, (who, pk)
        assert c.get(f"/portal/announcements/{shown}").status_code == 200
        text = c.get(f"/portal/announcements?q={tag}").text
        assert f"到期前{tag}" in text and f"未来{tag}" not in text and f"撤回{tag}" not in text
    with app.app_context():  # the rule itself, at a given moment
        later = now + datetime.timedelta(days=3)
        seen = {a.id for a in db.session.query(Announcement).filter(
            Announcement.id.in_(hidden + [shown]), service.visible_to(None, later))}
        assert seen == {hidden[0]}


def test_search_category_and_paging(app):
    """H5: keyword in title or body, the category filter, 20 a page, pinned first then newest."""
    tag = _tag()
    now = datetime.datetime.now()
    for n in range(24):
        _make(app, tag, title=f"分页{n:02d}", category="policy" if n % 2 else "exam_news",
              publish_at=now - datetime.timedelta(hours=n + 1))
    pinned = _make(app, tag, title="置顶旧", pinned=True, publish_at=now - datetime.timedelta(days=30))
    body_only = _make(app, _tag(), title="正文命中", body=f"<p>只在正文里有{tag}</p>",  # found by its body
                      publish_at=now - datetime.timedelta(hours=100))
    c = Client(app)
    first = c.get(f"/portal/announcements?q={tag}")
    assert first.status_code == 200
    ids = [int(i) for i in re.findall(r'href="/portal/announcements/(\d+)"', first.text)]
    assert len(ids) == 20 and ids[0] == pinned
    assert "分页00" in first.text and "分页19" not in first.text  # newest first after the pinned one
    second = c.get(f"/portal/announcements?q={tag}&page=2")
    ids2 = [int(i) for i in re.findall(r'href="/portal/announcements/(\d+)"', second.text)]
    assert len(ids2) == 6 and not set(ids) & set(ids2) and body_only in ids2  # 24 + pinned + body match = 26
    policy = c.get(f"/portal/announcements?q={tag}&category=policy").text
    assert "分页01" in policy and "分页00" not in policy and "政策法规" in policy
    assert c.get("/portal/announcements?q=%25_&page=abc").status_code == 200  # wildcards and a bad page are harmless
    assert c.get("/portal/announcements?page=999999").status_code == 200


# --- attachments ---------------------------------------------------------------------------------
def test_attachment_downloadable_when_visible_refused_when_hidden(app, login, viewers):
    """H5: the association uploads a PDF; whoever sees the announcement downloads it (visitors too), others get
    404 — also once it is withdrawn."""
    assoc = login("association")
    public = _form(attachment=(io.BytesIO(PDF), "报名安排.pdf"))
    assert assoc.post(ADD, public, token_from=ADD, content_type="multipart/form-data").status_code == 302
    restricted = _form(target="institutions", attachment=(io.BytesIO(PDF), "机构通知.pdf"))
    assert assoc.post(ADD, restricted, token_from=ADD, content_type="multipart/form-data").status_code == 302
    public_id, restricted_id = _id_of(app, public["title"]), _id_of(app, restricted["title"])
    visitor = viewers["anonymous"]
    detail = visitor.get(f"/portal/announcements/{public_id}")
    assert "报名安排.pdf" in detail.text
    r = visitor.get(f"/portal/announcements/{public_id}/attachment")
    assert r.status_code == 200 and r.data == PDF and r.headers["Content-Type"].startswith("application/pdf")
    assert visitor.get(f"/portal/announcements/{restricted_id}/attachment").status_code == 404
    assert viewers["candidate"].get(f"/portal/announcements/{restricted_id}/attachment").status_code == 404
    r = viewers["institution"].get(f"/portal/announcements/{restricted_id}/attachment")
    assert r.status_code == 200 and r.data == PDF
    listing = "/announcementview/list/"
    assert assoc.post(f"/announcementview/withdraw/{public_id}", {}, token_from=listing).status_code == 302
    assert visitor.get(f"/portal/announcements/{public_id}/attachment").status_code == 404
    with app.app_context():
        attachment_id = db.session.get(Announcement, restricted_id).attachment_id
    assert assoc.get(f"/files/{attachment_id}").status_code == 200  # the association opens every file
    assert viewers["candidate"].get(f"/files/{attachment_id}").status_code == 404


# --- the institution back office -----------------------------------------------------------------
def test_institution_reads_its_announcements_in_the_back_office(app, viewers, exam):
    """H5: 公告 in the institution back office lists what visible_to gives it; others' are 404."""
    tag = _tag()
    mine = _make(app, tag, title="机构可见", target="institutions")
    exam_one = _make(app, tag, title="考试相关", target="exam", exam_plan_id=exam)
    not_mine = _make(app, tag, title="仅考生", target="candidates")
    inst, other = viewers["institution"], viewers["other_institution"]
    page = inst.get(f"/announcementboard/list/?q={tag}")
    assert page.status_code == 200, page.text[:300]
    assert f"机构可见{tag}" in page.text and f"考试相关{tag}" in page.text and f"仅考生{tag}" not in page.text
    assert inst.get(f"/announcementboard/show/{mine}").status_code == 200
    assert inst.get(f"/announcementboard/show/{not_mine}").status_code == 404
    assert other.get(f"/announcementboard/show/{exam_one}").status_code == 404
    assert f"考试相关{tag}" not in other.get(f"/announcementboard/list/?q={tag}").text
    assert "公告" in inst.get("/").text  # the menu entry


def test_institution_and_candidate_may_not_write(app, viewers):
    """H5: only Association/Admin write: an institution gets no form and its posts change nothing."""
    inst = viewers["institution"]
    pk = _make(app, _tag(), title="不可改")
    for url in (ADD, f"/announcementview/edit/{pk}", "/announcementview/list/"):
        assert inst.get(url).status_code in (302, 403), url
    title = f"机构试图发布{_tag()}"
    r = inst.post(ADD, _form(title=title), token_from="/notifications/")
    assert r.status_code in (302, 403) and _id_of(app, title) is None
    for action in ("publish", "withdraw", "pin"):
        r = inst.post(f"/announcementview/{action}/{pk}", {}, token_from="/notifications/")
        assert r.status_code in (302, 403)
    r = inst.post(f"/announcementview/edit/{pk}", _form(title="改了"), token_from="/notifications/")
    assert r.status_code in (302, 403)
    with app.app_context():
        item = db.session.get(Announcement, pk)
        assert item.title.startswith("不可改") and not item.pinned and item.withdraw_at is None
    cand = viewers["candidate"]
    assert cand.get(ADD).status_code in (302, 403)
    assert viewers["anonymous"].get(ADD).status_code in (302, 401, 403)


def test_support_reads_but_does_not_write(app, login):
    """H5: Support may read the announcement list (READ) but not open the form."""
    support = login("support")
    assert support.get("/announcementview/list/").status_code == 200
    assert support.get(ADD).status_code in (302, 403)


# --- portal pages, demo and migration ------------------------------------------------------------
def test_portal_home_and_list_show_the_demo_announcements(app, viewers):
    """H5: the demo has every category and audience, one pinned with a PDF, one scheduled, one withdrawn."""
    with app.app_context():
        rows = db.session.query(Announcement).all()
        assert {r.category for r in rows} >= {"notice", "exam_news", "policy", "training"}
        assert {r.target for r in rows} >= {"everyone", "candidates", "institutions", "exam"}
        assert any(r.pinned and r.attachment_id for r in rows)
        now = datetime.datetime.now()
        assert any(r.published and r.publish_at > now for r in rows)
        assert any(r.withdraw_at is not None and r.withdraw_at <= now for r in rows)
    home = viewers["anonymous"].get("/")
    assert home.status_code == 200 and "关于2027年度认证人员考试报名工作的通知" in home.text
    assert "2027年春节期间服务安排" not in home.text and "已撤回" not in home.text
    listing = viewers["anonymous"].get("/portal/announcements")
    assert listing.status_code == 200 and "通知公告" in listing.text and "全部" in listing.text
    search = "/portal/announcements?q=考务工作人员培训"
    assert "2027年机构考务工作人员培训安排" not in viewers["anonymous"].get(search).text  # for institutions only
    assert "2027年机构考务工作人员培训安排" in viewers["institution"].get(search).text


MIGRATION_SCRIPT = """
import sys
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from app import create_app
from app.extensions import db

app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "TESTING": True})
with app.app_context():
    upgrade(revision="0011")
    db.session.execute(text("INSERT INTO announcement (title, body, published, published_at, created_at, updated_at) "
                            "VALUES ('旧公告', '<p>x</p>', :t, '2026-01-02 03:04:05', '2026-01-01 00:00:00', "
                            "'2026-01-01 00:00:00')"), {"t": True})
    db.session.commit()
    upgrade(revision="0012")
    row = db.session.execute(text("SELECT category, target, pinned, publish_at, withdraw_at FROM announcement")).one()
    assert row[0] == "notice" and row[1] == "everyone" and not row[2], row
    assert str(row[3]).startswith("2026-01-02") and row[4] is None, row
    columns = {c["name"]: c for c in inspect(db.engine).get_columns("announcement")}
    assert not columns["publish_at"]["nullable"]
    db.session.remove()
    downgrade(revision="0011")
    assert "category" not in {c["name"] for c in inspect(db.engine).get_columns("announcement")}
    upgrade(revision="0012")
print("MIGRATION-OK")
"""


def test_migration_0012_upgrades_an_existing_database(tmp_path):
    """H5: 0011 → 0012 on a database holding an announcement keeps it (visible from its publication, notice to
    everyone), publish_at becomes NOT NULL; the downgrade removes the columns and upgrading again works.
    In its own process on its own SQLite file (the session's app keeps its database)."""
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "INSTANCE_DIR": str(tmp_path), "PYTHONPATH": root}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", MIGRATION_SCRIPT, f"sqlite:///{tmp_path / 'm.db'}"], cwd=root,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "MIGRATION-OK" in result.stdout, result.stderr[-3000:]


def test_a_stored_body_is_sanitised_when_shown(app, client):
    """H5: a body stored before the sanitiser (or written around it) is cleaned at every rendering; odd page
    numbers are no 500."""
    import datetime

    from app.extensions import db
    from models import Announcement

    with app.app_context():
        item = Announcement(title="旧公告脚本测试", body='<p onclick="x()">正文</p><script>alert(1)</script>',
                            published=True, published_at=datetime.datetime.now(),
                            publish_at=datetime.datetime.now() - datetime.timedelta(hours=1))
        db.session.add(item)
        db.session.commit()
        aid = item.id
    page = client.get(f"/portal/announcements/{aid}").text
    assert "正文" in page and "<script>alert(1)" not in page and "onclick" not in page
    assert client.get("/portal/announcements?page=²").status_code == 200
