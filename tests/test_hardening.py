"""Holes found by the security review, each kept closed by an attack that fails (issue 2 §13)."""
import re

import pytest

from app.extensions import db
from models import AuditLog, Course, ExamSite, Matter, PlatformUser, Site
from tests.conftest import DEMO_PASSWORD, new_ip

HUGE = "99999999999999999999999"


def own_institution(app):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username="institution").one().institution_id


def test_forms_open_for_institution_users(login):
    c = login("institution")
    assert c.get("/roomview/add").status_code == 200
    assert c.get("/registrationview/list/").status_code == 200
    # registrations change only through the wizard and the review: no generic add form
    assert c.get("/registrationview/add").status_code in (302, 403)


@pytest.mark.parametrize("url", [f"/roomview/show/{HUGE}", f"/roomview/edit/{HUGE}", f"/matterview/show/{HUGE}",
                                 f"/matterview/transition/submit?ids={HUGE}", f"/files/{HUGE}",
                                 f"/notifications/?page={HUGE}"])
def test_huge_numbers_are_not_a_500(login, url):
    assert login("association").get(url).status_code in (400, 404)


def test_huge_numbers_in_the_api_are_not_a_500(api):
    c, headers = api("association")
    assert c.get(f"/api/v1/room/{HUGE}", headers=headers).status_code in (400, 404)
    assert c.get(f"/api/v1/room/?q=(page:{HUGE})", headers=headers).status_code == 400
    r = c.put("/api/v1/room/1", json={"capacity": int(HUGE)}, headers=headers)
    assert r.status_code == 422 and "capacity" in r.text


def test_api_duplicates_and_dependent_rows_answer_422_in_words(app, api):
    c, headers = api("association")
    body = {"code": "DUP-API-1", "name": "重复站点", "institution_id": own_institution(app)}
    assert c.post("/api/v1/site/", json=body, headers=headers).status_code == 201
    r = c.post("/api/v1/site/", json=body, headers=headers)
    assert r.status_code == 422 and "重复" in r.json["message"]
    with app.app_context():
        used = db.session.query(ExamSite).first().site_id
    r = c.delete(f"/api/v1/site/{used}", headers=headers)
    assert r.status_code == 422
    for leak in ("SQL", "IntegrityError", "FOREIGN KEY", "DELETE FROM", "violates"):
        assert leak not in r.text
    with app.app_context():
        assert db.session.get(Site, used) is not None
        assert db.session.query(ExamSite).filter_by(site_id=used).count() > 0


def test_institution_cannot_decide_its_own_filings(app, login, api):
    c = login("institution")
    with app.app_context():
        course = db.session.query(Course).filter_by(institution_id=own_institution(app)).first()
        before, course.status = course.status, "reviewing"
        db.session.commit()
        course_id, category = course.id, course.category_id
    # G2: a course is written through its filing only; the generic form refuses the institution outright
    page = c.post(f"/courseview/edit/{course_id}", data={"name": "认证人员守则解读", "hours": "8", "status": "filed",
                                                          "institution": str(own_institution(app)),
                                                          "category": str(category)})
    assert page.status_code in (302, 403)
    with app.app_context():
        assert db.session.get(Course, course_id).status == "reviewing"
        db.session.get(Course, course_id).status = before  # as the demo left it
        db.session.commit()
    cc, headers = api("institution")
    r = cc.post("/api/v1/site/", json={"code": "SELF-OK-1", "name": "自批站点", "status": "approved",
                                       "institution_id": own_institution(app)}, headers=headers)
    assert r.status_code == 400 and r.json["message"] == "“状态”只能由协会设置。"
    with app.app_context():
        assert db.session.query(Site).filter_by(code="SELF-OK-1").count() == 0


def test_back_office_matter_types_offered_are_those_the_user_may_file(login):
    page = login("institution").get("/matterview/add").text
    assert "考核站点申报" in page and "成绩复核" not in page and "投诉" in page


@pytest.mark.parametrize("username", ["finance", "support", "teacher"])
def test_id_documents_are_not_for_finance_or_support(app, login, username):
    from app.services import files
    from models import Person

    with app.app_context():
        person = db.session.query(Person).first()
        doc = files.store(b"%PDF-1.4 id scan", "身份证.pdf", "application/pdf", "id_doc", person=person)
        voucher = files.store(b"%PDF-1.4 voucher", "转账凭证.pdf", "application/pdf", "voucher", person=person)
        db.session.commit()
        doc_id, voucher_id = doc.id, voucher.id
    c = login(username)
    assert c.get(f"/files/{doc_id}").status_code == 404
    assert c.get(f"/files/{voucher_id}").status_code == (200 if username == "finance" else 404)
    assert login("association").get(f"/files/{doc_id}").status_code == 200
    with app.app_context():
        assert db.session.query(AuditLog).filter_by(action="download", object_id=str(doc_id)).count() >= 1


@pytest.mark.parametrize("column", ["id_number_enc", "id_number_hash"])
def test_hidden_columns_cannot_be_filtered_through_the_api(api, column):
    c, headers = api("association")
    r = c.get(f"/api/v1/person/?q=(filters:!((col:{column},opr:ct,value:A)))", headers=headers)
    assert r.status_code == 400


def test_api_ignores_the_session_cookie(login):
    c = login("association")
    r = c.http.put("/api/v1/person/1", json={"name": "改名"})
    assert r.status_code == 401


def test_spoofed_host_header_cannot_make_a_redirect_safe(app):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = new_ip()
    page = c.get("/login/", base_url="http://evil.example")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    r = c.post("/login/?next=http://evil.example/phish", base_url="http://evil.example",
               data={"username": "institution", "password": DEMO_PASSWORD, "csrf_token": token})
    assert "evil.example/phish" not in (r.headers.get("Location") or "")


def test_api_tokens_end_with_logout(app, login):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = new_ip()
    token = c.post("/api/v1/security/login", json={"username": "expert", "password": DEMO_PASSWORD,
                                                    "provider": "db"}).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/v1/matter/", headers=headers).status_code == 200
    browser = login("expert")
    browser.logout()
    assert c.get("/api/v1/matter/", headers=headers).status_code == 401


def test_transition_page_lists_each_matter_once(app, login):
    with app.app_context():
        mid = db.session.query(Matter).filter_by(state="draft").first().id
    page = login("association").get(f"/matterview/transition/submit?ids={mid},{mid},{mid}").text
    assert page.count('<td>2026') + page.count("<tr><td>") <= 2 or page.count(str(mid)) <= 3


def test_refresh_tokens_end_with_logout_too(app, login):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = new_ip()
    tokens = c.post("/api/v1/security/login", json={"username": "teacher", "password": DEMO_PASSWORD,
                                                     "provider": "db", "refresh": True}).json
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert c.post("/api/v1/security/refresh", headers=refresh).status_code == 200
    login("teacher").logout()
    assert c.post("/api/v1/security/refresh", headers=refresh).status_code == 401


def test_long_digit_searches_are_text_not_ids(login):
    """Phone, ID and certificate numbers in a search are text: no 400 for their length."""
    c = login("association")
    assert c.get("/personview/list/?_flt_0_phone=13800000000").status_code == 200
    assert c.get("/certificateview/list/?_flt_0_serial=1550001066010251202600001").status_code == 200
