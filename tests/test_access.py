"""Who may open what, and row scope everywhere (SPEC Roles, I1; issue 2 §3, §8, §13)."""
import re

import pytest

from app.extensions import db
from models import AuditLog, Institution, Matter, Person, PlatformUser, Registration, Room, Site

MENU_CATEGORIES = {  # role -> menu groups (by their Chinese labels' English keys) it must see / not see
    "association": ({"People", "Exams", "ExamAdmin", "Certificates", "Matters", "Training", "Messages",
                     "Statistics"}, {"Security"}),
    "institution": ({"People", "ExamAdmin", "Matters", "Training", "Statistics"}, {"Messages", "Security"}),
    "expert": ({"Matters"}, {"People", "ExamAdmin", "Security"}),
    "teacher": ({"Training", "Matters"}, {"People", "Security", "ExamAdmin"}),
    "support": ({"Messages", "People"}, {"Statistics", "Security", "Training"}),
    "finance": ({"ExamAdmin", "Statistics"}, {"Matters", "Security", "Training"}),
    "admin": ({"People", "Security", "Statistics"}, set()),
}


def visible_menu_items(app, username):
    """Names of the menu entries the user's role may see (FAB's own menu_access rule)."""
    with app.test_request_context():
        from flask import g

        user = db.session.query(PlatformUser).filter_by(username=username).one()
        g.user = user
        sm = app.appbuilder.sm
        return {item.name for item in app.appbuilder.menu.get_list()
                if sm._has_view_access(user, "menu_access", item.name)}


@pytest.mark.parametrize("username", list(MENU_CATEGORIES))
def test_each_role_sees_its_menu_groups(app, username):
    must, must_not = MENU_CATEGORIES[username]
    seen = visible_menu_items(app, username)
    assert must <= seen, (username, must - seen)
    assert not (must_not & seen), (username, must_not & seen)


FORBIDDEN = {
    "institution": ["/auditlogview/list/", "/users/list/", "/mattertypeview/list/",
                    "/certificatetypeview/add", "/orderview/add"],
    "candidate": ["/personview/list/", "/matterview/list/", "/registrationview/list/", "/users/list/",
                  "/auditlogview/list/", "/examplanview/list/"],
    "expert": ["/personview/list/", "/registrationview/list/", "/auditlogview/list/", "/statistics/"],
    "teacher": ["/personview/list/", "/orderview/list/", "/registrationview/list/", "/courseview/add",
                "/trainingplanview/add"],
    "support": ["/orderview/list/", "/auditlogview/list/", "/users/list/", "/messagethreadview/delete/1",
                "/statistics/"],
    "finance": ["/matterview/list/", "/messagethreadview/list/", "/auditlogview/list/"],
    "association": ["/auditlogview/list/", "/users/list/", "/roles/list/"],
}


@pytest.mark.parametrize("username", list(FORBIDDEN))
def test_each_role_is_refused_what_it_may_not_open(login, username):
    c = login(username)
    for url in FORBIDDEN[username]:
        response = c.get(url)
        assert response.status_code in (302, 403, 405), (username, url, response.status_code)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"] or response.headers["Location"].endswith("/"), url


def test_anonymous_is_sent_to_login(client):
    for url in ("/personview/list/", "/matterview/list/", "/notifications/", "/statistics/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_candidate_home_says_who_they_are(login):
    page = login("candidate").get("/")
    assert page.status_code == 200 and "王小明" in page.text or "candidate" in page.text


def _ids(app, model, **filters):
    with app.app_context():
        return [r.id for r in db.session.query(model).filter_by(**filters)]


def _own_and_other(app, model):
    with app.app_context():
        own = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
        rows = db.session.query(model).all()
        mine = [r.id for r in rows if r.institution_id == own]
        others = [r.id for r in rows if r.institution_id not in (own, None)]
    assert mine and others
    return mine, others


@pytest.mark.parametrize("model,view", [(Person, "personview"), (Room, "roomview"), (Site, "siteview"),
                                        (Registration, "registrationview")])
def test_institution_sees_only_its_own_rows(app, login, model, view):
    c = login("institution")
    mine, others = _own_and_other(app, model)
    listing = c.get(f"/{view}/list/?psize_{model.__name__}View=100").text
    shown = {int(x) for x in re.findall(rf'/{view}/show/(\d+)', listing)}
    assert shown == set(mine) or shown <= set(mine) and len(shown) == min(len(mine), 100)
    for other in others[:3]:
        assert c.get(f"/{view}/show/{other}").status_code == 404
        assert c.get(f"/{view}/edit/{other}").status_code in (302, 403, 404)  # not found, or no edit at all
    export = c.get(f"/{view}/export/")
    assert export.status_code == 200
    import io

    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(export.data), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) - 1 == len(mine)


def test_association_sees_every_row(app, login):
    c = login("association")
    with app.app_context():
        total = db.session.query(Room).count()
    listing = c.get("/roomview/list/?psize_RoomView=100").text
    assert len(set(re.findall(r"/roomview/show/(\d+)", listing))) == total


def test_institution_cannot_act_or_delete_on_another_institutions_rows(app, login):
    c = login("institution")
    _mine, others = _own_and_other(app, Matter)
    with app.app_context():
        before = {m.id: m.state for m in db.session.query(Matter).filter(Matter.id.in_(others))}
    token = c.csrf()
    r = c.http.post("/matterview/action_post", data={"action": "submit", "rowid": others, "csrf_token": token})
    assert r.status_code == 404
    r = c.http.post("/matterview/transition/submit", data={"ids": ",".join(map(str, others)), "csrf_token": token})
    assert r.status_code == 404
    _mine_rooms, other_rooms = _own_and_other(app, Room)
    r = c.http.post(f"/roomview/delete/{other_rooms[0]}", data={"csrf_token": token})
    assert r.status_code in (404, 405)
    with app.app_context():
        after = {m.id: m.state for m in db.session.query(Matter).filter(Matter.id.in_(others))}
        assert db.session.get(Room, other_rooms[0]) is not None
    assert before == after


def test_institution_pickers_offer_only_own_rows(app, login):
    c = login("institution")
    page = c.get("/roomview/add").text
    with app.app_context():
        own = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
        own_sites = {s.name for s in db.session.query(Site).filter_by(institution_id=own)}
        other_sites = {s.name for s in db.session.query(Site).filter(Site.institution_id != own)}
        other_insts = {i.name for i in db.session.query(Institution).filter(Institution.id != own)}
    assert all(name in page for name in own_sites)
    assert not any(name in page for name in other_sites | other_insts)


def test_institution_cannot_link_a_row_to_another_institution(app, login):
    c = login("institution")
    with app.app_context():
        own = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
        other_site = db.session.query(Site).filter(Site.institution_id != own).first().id
        other_inst = db.session.query(Institution).filter(Institution.id != own).first().id
    c.post("/roomview/add", {"name": "越权考场", "capacity": "20", "site": str(other_site),
                             "institution": str(other_inst), "status": "unscheduled"})
    with app.app_context():
        assert db.session.query(Room).filter_by(name="越权考场").count() == 0
    c.post("/roomview/add", {"name": "本校考场A", "capacity": "20", "status": "unscheduled",
                             "institution": str(own)})
    with app.app_context():
        room = db.session.query(Room).filter_by(name="本校考场A").one()
        assert room.institution_id == own  # forced to the user's own institution


def test_api_rows_are_scoped_too(app, api):
    c, headers = api("institution")
    mine, others = _own_and_other(app, Room)
    r = c.get("/api/v1/room/?q=(page_size:100)", headers=headers)
    assert r.status_code == 200
    assert {row["id"] for row in r.json["result"]} == set(mine) or set(r.json["ids"]) == set(mine)
    assert c.get(f"/api/v1/room/{others[0]}", headers=headers).status_code == 404
    assert c.put(f"/api/v1/room/{others[0]}", json={"name": "x"}, headers=headers).status_code == 404
    assert c.delete(f"/api/v1/room/{others[0]}", headers=headers).status_code == 404
    r = c.post("/api/v1/room/", json={"name": "接口考场", "capacity": 10, "institution_id": others[0]},
               headers=headers)
    assert r.status_code in (201, 400, 422)
    if r.status_code == 201:
        with app.app_context():
            own = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
            assert db.session.get(Room, r.json["id"]).institution_id == own


def test_api_refuses_roles_without_permission(api):
    c, headers = api("candidate")
    for url in ("/api/v1/person/", "/api/v1/matter/", "/api/v1/menu/"):
        assert c.get(url, headers=headers).status_code in (401, 403), url
    c, headers = api("teacher")
    assert c.get("/api/v1/room/", headers=headers).status_code in (401, 403)


def test_api_enum_values_are_checked(api):
    c, headers = api("association")
    r = c.post("/api/v1/room/", json={"name": "状态错误考场", "capacity": 10, "institution_id": 1,
                                      "status": "no-such-status"}, headers=headers)
    assert r.status_code == 422


def test_id_numbers_masked_in_lists_and_full_view_audited(app, login):
    with app.app_context():
        person = db.session.query(Person).filter(Person.user_id.is_(None)).first()
        full = person.full_id_number()
        pid = person.id
    inst_page = login("association").get("/personview/list/?psize_PersonView=100").text
    assert full not in inst_page and person.id_number_masked in inst_page
    assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", person.id_number_masked)
    assoc = login("association")
    page = assoc.get(f"/personview/id_number/{pid}")
    assert page.status_code == 200 and full in page.text
    with app.app_context():
        assert db.session.query(AuditLog).filter_by(action="view_id_number", object_id=str(pid)).count() >= 1
    institution = login("institution")
    response = institution.get(f"/personview/id_number/{pid}")
    assert response.status_code in (302, 403, 404)
    assert full not in response.text


def test_teacher_sees_only_own_course_confirmations_read_only(app, login):
    """G2: the generic list shows a teacher only the rows naming them, and never writes (the answer goes
    through the engine on 课程备案管理, tests/test_course_filing.py)."""
    from models import Course, CourseTeacher

    with app.app_context():
        teacher_person = db.session.query(Person).join(PlatformUser, Person.user_id == PlatformUser.id).filter(
            PlatformUser.username == "teacher").one()
        other = Person(name="别的老师", id_type="passport", source="self", is_teacher=True)
        other.set_id_number("E12345678")
        db.session.add(other)
        db.session.flush()
        course = db.session.query(Course).first()
        foreign = CourseTeacher(course_id=course.id, person_id=other.id)
        mine = CourseTeacher(course_id=course.id, person_id=teacher_person.id)
        existing = db.session.query(CourseTeacher).filter_by(course_id=course.id, person_id=teacher_person.id).first()
        db.session.add(foreign)
        if existing is None:
            db.session.add(mine)
        db.session.commit()
        mine_id, foreign_id = (existing or mine).id, foreign.id
        confirm = db.session.get(CourseTeacher, mine_id).confirm
    c = login("teacher")
    listing = c.get("/courseteacherview/list/?psize_CourseTeacherView=100").text
    assert f"/courseteacherview/show/{mine_id}" in listing
    assert f"/courseteacherview/show/{foreign_id}" not in listing
    assert c.get(f"/courseteacherview/show/{foreign_id}").status_code == 404
    assert c.get(f"/courseteacherview/edit/{mine_id}").status_code in (302, 403, 404)
    c.post(f"/courseteacherview/edit/{mine_id}", data={"confirm": "disagreed", "opinion": "绕过流程"})
    with app.app_context():
        assert db.session.get(CourseTeacher, mine_id).confirm == confirm
        db.session.delete(db.session.get(CourseTeacher, foreign_id))
        db.session.commit()


def test_teacher_sees_only_the_matters_they_filed(app, login):
    """G1, G3: a teacher's 事项 are the ones they filed (bindings, unbindings), nobody else's."""
    with app.app_context():
        teacher = db.session.query(PlatformUser).filter_by(username="teacher").one()
        own = [m.id for m in db.session.query(Matter).filter_by(applicant_id=teacher.id)]
        foreign = db.session.query(Matter).filter(Matter.applicant_id != teacher.id).first().id
    c = login("teacher")
    listing = c.get("/matterview/list/?psize_MatterView=100").text
    for mid in own:
        assert f"/matterview/show/{mid}" in listing
    assert f"/matterview/show/{foreign}" not in listing
    assert c.get(f"/matterview/show/{foreign}").status_code == 404
