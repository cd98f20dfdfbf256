"""H2 客服队列: support's queue with filters (category, status, age, handler), 分配给我, the first response and
resolution times, 已解决 and the reopening by the author's follow-up, the median first response per week on
the statistics page, bad filters in Chinese and access per role."""
import datetime
import io

import openpyxl
import pytest

from app.extensions import db
from models import MessageThread, PlatformUser


@pytest.fixture
def thread(app, candidate):
    """A candidate's message written 30 hours ago (category 缴费)."""
    c, phone, _n = candidate
    r = c.post("/portal/messages", {"category": "payment", "content": "缴费后状态没有更新，怎么办？", "contact": phone},
               token_from="/portal/messages")
    assert r.status_code == 302
    with app.app_context():
        t = db.session.query(MessageThread).filter_by(contact=phone).one()
        t.created_at = datetime.datetime.now() - datetime.timedelta(hours=30)
        db.session.commit()
        return {"id": t.id, "client": c}


def test_queue_filters_assignment_response_and_resolution(app, login, thread):
    """H2: the queue filters; replying records the first response and the handler; 已解决; a follow-up
    reopens it."""
    tid = thread["id"]
    support = login("support")
    show = f"/messagethreadview/show/{tid}"
    for args, present in (({"category": "payment"}, True), ({"category": "score"}, False),
                          ({"status": "pending", "age": "24"}, True), ({"age": "72"}, False),
                          ({"handler": "unassigned"}, True), ({"handler": "mine"}, False)):
        page = support.get("/supportqueue/", query_string=args)
        assert page.status_code == 200 and (show in page.text) == present, args
    # 已解决 before any answer is refused
    support.post(f"/supportqueue/resolve/{tid}", {}, token_from=show)
    with app.app_context():
        assert db.session.get(MessageThread, tid).status == "pending"
    r = support.post(f"/supportqueue/assign/{tid}", {}, token_from=show)
    assert r.status_code == 302
    assert show in support.get("/supportqueue/", query_string={"handler": "mine"}).text
    support.post(f"/messagethreadview/reply/{tid}", {"content": "已为您核实，请刷新页面。"}, token_from=show)
    with app.app_context():
        t = db.session.get(MessageThread, tid)
        me = db.session.query(PlatformUser).filter_by(username="support").one()
        assert t.first_response_at is not None and t.assignee_id == me.id and t.status == "replied"
        first = t.first_response_at
    page = support.get("/supportqueue/", query_string={"status": "replied"}).text
    assert show in page and "30.0" in page  # answered about 30 hours after it was written
    support.post(f"/supportqueue/resolve/{tid}", {}, token_from=show)
    with app.app_context():
        t = db.session.get(MessageThread, tid)
        assert t.status == "resolved" and t.resolved_at is not None
    # the author writes again: back in the queue, the first response stays
    c = thread["client"]
    c.post(f"/portal/messages/{tid}", {"content": "还是没有更新。"}, token_from=f"/portal/messages/{tid}")
    with app.app_context():
        t = db.session.get(MessageThread, tid)
        assert t.status == "pending" and t.resolved_at is None and t.first_response_at == first


def test_median_first_response_per_week_on_the_statistics_page(app, login, thread):
    """H2: the statistics page shows the messages of each week and the median first response."""
    support = login("support")
    tid = thread["id"]
    support.post(f"/messagethreadview/reply/{tid}", {"content": "您好，已处理。"},
                 token_from=f"/messagethreadview/show/{tid}")
    assoc = login("association")
    page = assoc.get("/statistics/support")
    assert page.status_code == 200 and "按周统计客服响应" in page.text
    r = assoc.get("/statistics/export/support_weeks")
    rows = list(openpyxl.load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))
    assert rows[0] == ("周", "留言数", "已回复", "首次响应时间中位数（小时）")
    medians = [row[3] for row in rows[1:] if isinstance(row[3], (int, float))]
    assert sum(row[1] for row in rows[1:]) >= 1 and any(m >= 29 for m in medians), rows
    # an institution has no support figures
    inst = login("institution")
    assert inst.get("/statistics/support").status_code == 404
    assert inst.get("/statistics/export/support_weeks").status_code == 404


def test_bad_queue_filters_are_refused_in_chinese(login):
    """H2: a filter that is not one of the choices is named in Chinese, never a 500."""
    support = login("support")
    for args, word in (({"category": "nope"}, "类别无效"), ({"status": "x"}, "状态无效"),
                       ({"age": "5"}, "等待时间无效"),
                       ({"handler": "boss"}, "办理人无效"), ({"page": "-1"}, "页码无效"), ({"page": "²"}, "页码无效")):
        r = support.get("/supportqueue/", query_string=args)
        assert r.status_code == 400 and word in r.text, (args, r.text[:300])


@pytest.mark.parametrize("username,allowed", [("support", True), ("association", True), ("admin", True),
                                              ("institution", False), ("finance", False), ("expert", False)])
def test_queue_access_per_role(login, username, allowed, thread):
    """H2: the support queue and its actions are support's and the Association's."""
    c = login(username)
    r = c.get("/supportqueue/")
    assert (r.status_code == 200) if allowed else r.status_code in (302, 403), (username, r.status_code)
    if not allowed:
        r = c.post(f"/supportqueue/assign/{thread['id']}", {})
        assert r.status_code in (302, 403)
