"""批量修改 / 批量删除 of candidates (SPEC D4) on the candidate list: through HTTP
with CSRF, all rows or none, audited, and an Institution user reaches only its
own institution's candidates."""
import datetime
import itertools
import os

from app.extensions import db
from models import AuditLog, Education, Person, Registration, UploadToken
from tests.conftest import second_institution_user
from tests.portal_helpers import new_id_number, new_phone
from tests.registration_helpers import make_exam
from tests.test_imports import institution_id_of, other_institution

LIST = "/personview/list/"
ACTION = "/personview/action_post"
_names = itertools.count(1)


def make_people(app, n, institution="own", **values):
    """``n`` candidates of the institution (own / other); returns their ids."""
    mine = institution_id_of(app, "institution")
    inst = mine if institution == "own" else other_institution(app, mine)
    ids = []
    with app.app_context():
        for _i in range(n):
            person = Person(name=f"批量{next(_names):04d}", gender="male", id_type="resident", phone=new_phone(),
                            institution_id=inst, source="school", enrollment_year=2022, verify_state="no_photo",
                            **values)
            person.set_id_number(new_id_number())
            db.session.add(person)
            db.session.flush()
            ids.append(person.id)
        db.session.commit()
    return ids


def people(app, ids):
    with app.app_context():
        found = {p.id: p for p in db.session.query(Person).filter(Person.id.in_(ids))}
        for p in found.values():
            db.session.expunge(p)
        return found


def act(client, action, ids, **form):
    return client.post(ACTION, {"action": action, "rowid": [str(i) for i in ids], **form}, token_from=LIST)


def messages(client):
    """The flashed messages waiting for the next page."""
    with client.http.session_transaction() as session:
        return [text for _category, text in session.get("_flashes", [])]


# --- 批量修改 ----------------------------------------------------------------------------------------------
def test_batch_edit_sets_the_chosen_fields_on_every_candidate_and_is_audited(app, login):
    c = login("institution")
    ids = make_people(app, 3, employer="旧单位")
    listing = c.get(LIST).text
    assert "批量修改" in listing and "批量删除" in listing
    form_page = act(c, "batch_edit", ids)
    assert form_page.status_code == 200
    names = people(app, ids)
    assert all(p.name in form_page.text for p in names.values()) and 'name="major_code"' in form_page.text
    r = act(c, "batch_edit", ids, apply="1", enrollment_year="2023", major_code="080901", source="social",
            employer="", region="110105")
    assert r.status_code == 302, r.text[:500]
    assert "已修改 3 名考生。" in messages(c)
    changed = people(app, ids)
    with app.app_context():
        from models import Major
        major_ids = {m.id for m in db.session.query(Major).filter_by(code="080901")}
        audited = {row.object_id for row in db.session.query(AuditLog).filter(
            AuditLog.object_type == "Person", AuditLog.action == "update", AuditLog.object_id.in_(map(str, ids)))
            if "enrollment_year" in row.changes}
    for p in changed.values():
        assert (p.enrollment_year, p.source, p.region_code, p.employer) == (2023, "social", "110105", "旧单位")
        assert p.major_id in major_ids
    assert audited == {str(i) for i in ids}


def test_batch_edit_bad_value_names_the_field_and_changes_nothing(app, login):
    c = login("institution")
    ids = make_people(app, 2)
    year = datetime.date.today().year + 1
    r = act(c, "batch_edit", ids, apply="1", enrollment_year="1890", employer="新单位")
    assert r.status_code == 200 and f"入学年份：请填写1980至{year}之间的四位年份。" in r.text
    r = act(c, "batch_edit", ids, apply="1", major_code="999999")
    assert r.status_code == 200 and "专业代码：专业代码999999不在专业目录中。" in r.text
    r = act(c, "batch_edit", ids, apply="1", source="self")
    assert r.status_code == 200 and "考生类型：" in r.text
    r = act(c, "batch_edit", ids, apply="1")
    assert r.status_code == 200 and "请至少填写一项要修改的内容。" in r.text
    assert {(p.enrollment_year, p.employer, p.source) for p in people(app, ids).values()} == {(2022, None, "school")}


def test_batch_edit_of_another_institutions_candidates_is_refused(app, login):
    c = login("institution")
    own = make_people(app, 1)
    other = make_people(app, 1, institution="other")
    assert act(c, "batch_edit", own + other, apply="1", enrollment_year="2021").status_code == 404
    assert act(c, "batch_edit", other).status_code == 404
    assert {p.enrollment_year for p in people(app, own + other).values()} == {2022}
    # the association reaches every institution
    a = login("association")
    assert act(a, "batch_edit", own + other, apply="1", enrollment_year="2021").status_code == 302
    assert {p.enrollment_year for p in people(app, own + other).values()} == {2021}


def test_roles_without_the_permission_cannot_batch_edit_or_delete(app, login):
    ids = make_people(app, 1)
    for username in ("support", "finance"):
        c = login(username)
        assert act(c, "batch_edit", ids, apply="1", enrollment_year="2021").status_code == 403
        assert act(c, "batch_delete", ids).status_code == 403
    assert people(app, ids)[ids[0]].enrollment_year == 2022


# --- 批量删除 ----------------------------------------------------------------------------------------------
def test_batch_delete_removes_the_candidates_with_their_own_rows_and_files(app, login):
    c = login("institution")
    ids = make_people(app, 2)
    with app.app_context():
        from app.services import files
        person = db.session.get(Person, ids[0])
        photo = files.store(b"\xff\xd8photo", "photo.jpg", "image/jpeg", "photo", person=person)
        db.session.flush()
        person.photo_id = photo.id
        db.session.add(Education(person_id=ids[0], school="某大学", graduation_month="2020-06"))
        db.session.add(UploadToken(token=f"batch-{ids[0]}", person_id=ids[0],
                                   expires_at=datetime.datetime.now() + datetime.timedelta(hours=1)))
        db.session.commit()
        path = files.path_of(photo)
    assert os.path.exists(path)
    r = act(c, "batch_delete", ids)
    assert r.status_code == 302
    assert "已删除 2 名考生。" in messages(c)
    assert people(app, ids) == {}
    assert not os.path.exists(path)
    with app.app_context():
        assert db.session.query(Education).filter(Education.person_id.in_(ids)).count() == 0
        deleted = db.session.query(AuditLog).filter(AuditLog.object_type == "Person", AuditLog.action == "delete",
                                                    AuditLog.object_id.in_(map(str, ids))).count()
        assert deleted == 2


def test_batch_delete_refuses_registered_candidates_and_deletes_nothing(app, login):
    c = login("institution")
    free, registered = make_people(app, 2)
    exam = make_exam(app)
    with app.app_context():
        db.session.add(Registration(exam_plan_id=exam["id"], person_id=registered, exam_site_id=exam["sites"][0],
                                    institution_id=institution_id_of(app, "institution"), status="withdrawn",
                                    category="first"))
        db.session.commit()
    names = people(app, [free, registered])
    r = act(c, "batch_delete", [free, registered])
    assert r.status_code == 302
    assert messages(c) == [f"未删除任何考生。已报名：{names[registered].name}。"]
    assert set(people(app, [free, registered])) == {free, registered}
    # the single delete follows the same rule
    r = c.post(f"/personview/delete/{registered}", token_from=LIST)
    assert r.status_code == 302 and f"已报名：{names[registered].name}" in messages(c)[0]
    assert registered in people(app, [registered])
    assert c.post(f"/personview/delete/{free}", token_from=LIST).status_code == 302
    assert people(app, [free]) == {}


def test_batch_delete_refuses_a_candidate_with_an_account(app, login):
    with app.app_context():
        sm = app.appbuilder.sm
        username = f"batch-account-{next(_names)}"
        user = sm.add_user(username, "账号", "考生", f"{username}@demo.example", sm.find_role("Candidate"),
                           password="Demo@2026")
        user_id = user.id
    ids = make_people(app, 1) + make_people(app, 1, user_id=user_id)
    c = login("association")
    names = people(app, ids)
    r = act(c, "batch_delete", ids)
    assert r.status_code == 302
    assert messages(c) == [f"未删除任何考生。有平台账号：{names[ids[1]].name}。"]
    assert set(people(app, ids)) == set(ids)


def test_batch_delete_of_another_institutions_candidates_is_refused(app, login):
    own = make_people(app, 1)
    other = make_people(app, 1, institution="other")
    c = login("institution")
    assert act(c, "batch_delete", own + other).status_code == 404
    assert set(people(app, own + other)) == set(own + other)
    # and the other institution's user cannot reach ours
    b = login(second_institution_user(app))
    assert act(b, "batch_delete", own).status_code == 404
    assert act(b, "batch_delete", other).status_code == 302
    assert set(people(app, own + other)) == set(own)
