"""I1 角色权限: the Admin switches a role's permissions off and on again on screen, within app/roles.py — what is
switched off takes effect at once and survives the next role sync (a restart), nothing beyond the role's
ceiling can be granted, the Admin role is not offered, and only the Admin reaches the screen."""
import re

import pytest

from app.extensions import db
from app.roles import sync_roles
from models import RolePermissionOff

URL = "/rolepermissions/Support"


def _queue_pvm(app):
    with app.app_context():
        sm = app.appbuilder.sm
        pvm = sm.find_permission_view_menu("can_list", "SupportQueueView")
        return pvm.id


@pytest.fixture
def restore(app):
    yield
    with app.app_context():
        db.session.query(RolePermissionOff).delete()
        db.session.commit()
        sync_roles(app.appbuilder)


def test_switch_off_and_on_again(app, login, restore):
    """I1: switching off 客服队列's list for Support refuses support at once, and a sync keeps it off;
    switching it on again gives it back."""
    admin = login("admin")
    page = admin.get(URL)
    assert page.status_code == 200 and "客服队列" in page.text
    boxes = dict((int(v), bool(c)) for v, c in re.findall(r'name="pvm" value="(\d+)"( checked)?', page.text))
    queue = _queue_pvm(app)
    assert boxes[queue] is True and all(boxes.values())
    keep = [str(pid) for pid in boxes if pid != queue]
    r = admin.post(URL, {"pvm": keep}, token_from=URL)
    assert r.status_code == 302
    assert login("support").get("/supportqueue/").status_code in (302, 403)
    with app.app_context():
        sync_roles(app.appbuilder)  # a restart re-syncs the roles: the choice stays
    assert login("support").get("/supportqueue/").status_code in (302, 403)
    page = admin.get(URL).text
    assert re.search(rf'name="pvm" value="{queue}"(?! checked)', page)
    admin.post(URL, {"pvm": keep + [str(queue)]}, token_from=URL)
    assert login("support").get("/supportqueue/").status_code == 200


def test_nothing_beyond_roles_py_and_not_the_admin(app, login, restore):
    """I1: a permission outside the role's ceiling is refused in Chinese, with nothing changed; the Admin
    role is not offered."""
    admin = login("admin")
    with app.app_context():
        outside = app.appbuilder.sm.find_permission_view_menu("can_list", "AuditBrowserView").id
        before = db.session.query(RolePermissionOff).count()
    r = admin.post(URL, {"pvm": [str(outside)]}, token_from=URL)
    assert r.status_code == 400 and "超出" in r.text
    with app.app_context():
        assert db.session.query(RolePermissionOff).count() == before
    assert login("support").get("/auditlog/").status_code in (302, 403)
    assert admin.get("/rolepermissions/Admin").status_code == 400
    assert admin.get("/rolepermissions/Nobody").status_code == 400
    assert "Admin" not in re.findall(r'/rolepermissions/(\w+)"', admin.get(URL).text)


@pytest.mark.parametrize("username", ["association", "institution", "support", "finance", "teacher"])
def test_only_the_admin(login, username):
    """I1: no other role opens or posts the screen."""
    c = login(username)
    assert c.get(URL).status_code in (302, 403)
    assert c.post(URL, {"pvm": []}, token_from="/notifications/").status_code in (302, 403)


def _stamp(app):
    from models import PermissionStamp

    with app.app_context():
        return db.session.get(PermissionStamp, 1).version


def test_permission_sets_kept_per_process_follow_the_stamp(app, login, restore):  # P1
    """P1: each process keeps the permission sets it computed while the permission stamp stays the same; a role's
    permissions changed through the ORM raise the stamp in the same transaction, and a change another process
    made (its rows and its stamp, here written with plain SQL) is seen at the next request of a signed-in user."""
    from sqlalchemy import text

    support = login("support")
    assert support.get("/supportqueue/").status_code == 200  # the set is computed and kept
    before = _stamp(app)
    with app.app_context():
        sm = app.appbuilder.sm
        role, pvm = sm.find_role("Support"), sm.find_permission_view_menu("can_list", "SupportQueueView")
        role.permissions.remove(pvm)
        ids = {"p": pvm.id, "r": role.id}
        db.session.commit()
    assert _stamp(app) == before + 1
    assert support.get("/supportqueue/").status_code in (302, 403)  # the same session, the next request
    with app.app_context():
        sync_roles(app.appbuilder)  # back within app/roles.py (the stamp goes up again)
    assert support.get("/supportqueue/").status_code == 200
    with app.app_context():  # "another process": rows and stamp by SQL, nothing through this process's ORM
        db.session.execute(text("DELETE FROM ab_permission_view_role WHERE permission_view_id = :p AND role_id = :r"),
                           ids)
        db.session.execute(text("UPDATE permission_stamp SET version = version + 1 WHERE id = 1"))
        db.session.commit()
    assert support.get("/supportqueue/").status_code in (302, 403)
