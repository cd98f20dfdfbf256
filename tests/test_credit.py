"""F9 信用评价 over HTTP: the person's own credit record in the portal, 记录处罚 by the Association
(bad input names the field, nothing written), the upheld complaint's record, and who sees which rows
in the back office and the REST API."""
import datetime

from app import workflow
from app.extensions import db
from app.services import credit
from models import Certificate, CertificateType, CreditRecord, Person, PlatformUser
from tests.conftest import second_institution_user

PAGE = "/portal/me/credit"
SANCTION = "/creditrecordview/sanction/"


def _certify(app, phone):
    """Precondition: the candidate holds a certificate (issued elsewhere in the suite)."""
    with app.app_context():
        person = db.session.query(Person).filter_by(phone=phone).one()
        ctype = db.session.query(CertificateType).order_by(CertificateType.id).first()
        today = datetime.date.today()
        cert = Certificate(serial=f"F9T{person.id:06d}", certificate_type_id=ctype.id, person_id=person.id,
                           issue_date=today, valid_until=today.replace(year=today.year + 3), holder_name=person.name,
                           source="imported")
        db.session.add(cert)
        db.session.commit()
        return cert.serial, person.id


def _records(app, person_id, kind=None):
    with app.app_context():
        query = db.session.query(CreditRecord).filter_by(person_id=person_id)
        if kind:
            query = query.filter_by(kind=kind)
        return [(r.kind, r.description, r.occurred_on, r.valid_until, r.recorded_by_id) for r in query]


def test_demo_candidate_sees_their_credit_record(app, login, candidate):  # F9
    mine = login("candidate")
    page = mine.get(PAGE)
    assert page.status_code == 200 and "信用评价" in page.text
    for heading in ("投诉记录", "处罚记录", "年度确认", "继续教育"):
        assert heading in page.text
    assert "年度确认通过" in page.text and "认证人员守则解读培训" in page.text and "ISO 9001 审核实务" in page.text
    assert 'href="/portal/me/credit"' in mine.get("/portal/me").text
    # another person sees only their own (empty) record
    c, _phone, _n = candidate
    other = c.get(PAGE)
    assert other.status_code == 200 and "ISO 9001 审核实务" not in other.text and "暂无记录" in other.text
    # the page needs a login
    assert app.test_client().get(PAGE).status_code == 302


def test_association_records_a_sanction(app, login, candidate):  # F9
    c, phone, _n = candidate
    serial, person_id = _certify(app, phone)
    assoc = login("association")
    page = assoc.get(SANCTION)
    assert page.status_code == 200 and "记录处罚" in page.text and "处罚原因" in page.text
    today = datetime.date.today()
    good = {"serial": serial, "reason": "现场审核记录不实", "start": (today - datetime.timedelta(days=1)).isoformat(),
            "end": (today + datetime.timedelta(days=90)).isoformat()}
    for changes, word in (({"serial": ""}, "证书编号"), ({"serial": "NO-SUCH-1"}, "NO-SUCH-1"),
                          ({"reason": " "}, "处罚原因"), ({"start": "2026-13-01"}, "处罚开始日期"),
                          ({"end": ""}, "处罚结束日期"),
                          ({"end": (today - datetime.timedelta(days=5)).isoformat()}, "处罚结束日期")):
        r = assoc.post(SANCTION, {**good, **changes}, token_from=SANCTION)
        assert r.status_code == 200 and word in r.text, changes
    assert _records(app, person_id) == []
    r = assoc.post(SANCTION, good, token_from=SANCTION)
    assert r.status_code == 302 and "/creditrecordview/show/" in r.headers["Location"]
    with app.app_context():
        assoc_id = db.session.query(PlatformUser).filter_by(username="association").one().id
    [(kind, reason, start, end, by)] = _records(app, person_id)
    assert kind == "sanction" and reason == "现场审核记录不实" and by == assoc_id
    assert start == today - datetime.timedelta(days=1) and end == today + datetime.timedelta(days=90)
    shown = assoc.get(r.headers["Location"]).text
    assert "现场审核记录不实" in shown and "处罚" in shown
    # the person sees it with its period, in force
    page = c.get(PAGE).text
    assert "现场审核记录不实" in page and good["start"] in page and good["end"] in page and "有效" in page
    # an ended sanction reads so
    with app.app_context():
        row = db.session.query(CreditRecord).filter_by(person_id=person_id).one()
        row.occurred_on, row.valid_until = today - datetime.timedelta(days=60), today - datetime.timedelta(days=30)
        db.session.commit()
    assert "已结束" in c.get(PAGE).text
    # a person without a certificate cannot be sanctioned
    with app.app_context():
        uncertified = db.session.query(Person).filter(~Person.id.in_(db.session.query(Certificate.person_id))).first()
    r = assoc.post(SANCTION, {**good, "serial": uncertified.name}, token_from=SANCTION)
    assert r.status_code == 200 and _records(app, uncertified.id, "sanction") == []


def test_only_the_association_records_sanctions(app, login):  # F9
    with app.app_context():
        serial = db.session.query(Certificate.serial).order_by(Certificate.id).first()[0]
        before = db.session.query(CreditRecord).count()
    today = datetime.date.today().isoformat()
    for name in ("institution", "expert", "teacher", "support", "finance"):
        user = login(name)
        assert user.get(SANCTION).status_code in (302, 403), name
        r = user.post(SANCTION, {"serial": serial, "reason": "x", "start": today, "end": today})
        assert r.status_code in (302, 403), name
    with app.app_context():
        assert db.session.query(CreditRecord).count() == before
        user = db.session.query(PlatformUser).filter_by(username="institution").one()
        try:
            credit.record_sanction(user, serial, "x", today, today)
            raise AssertionError("an institution recorded a sanction")
        except credit.CreditError as exc:
            assert "协会" in str(exc) or "Association" in str(exc)


def test_institution_sees_only_its_own_peoples_records(app, login, api):  # F9
    with app.app_context():
        rows = db.session.query(CreditRecord).join(Person).all()
        inst_id = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
        own = {r.id for r in rows if r.person.institution_id == inst_id}
        others = {r.id for r in rows if r.person.institution_id != inst_id}
        sanctioned = next(r for r in rows if r.kind == "sanction")  # the demo sanction
        sanctioned_id, sanction_text, sanction_inst = sanctioned.id, sanctioned.description, \
            sanctioned.person.institution_id
    assert others, "the demo has records of people outside the demo institution"
    second = second_institution_user(app)
    for username in ("institution", second):
        c = login(username)
        with app.app_context():
            mine = db.session.query(PlatformUser).filter_by(username=username).one().institution_id
        sees = c.get(f"/creditrecordview/show/{sanctioned_id}")
        if sanction_inst == mine:
            assert sees.status_code == 200 and sanction_text in sees.text
        else:
            assert sees.status_code in (302, 404)
        http, headers = api(username)
        listed = http.get("/api/v1/credit_record/?q=(page_size:100)", headers=headers)
        assert listed.status_code == 200
        ids = {row["id"] for row in listed.json["result"]}
        with app.app_context():
            allowed = {r.id for r in db.session.query(CreditRecord).join(Person).filter(
                Person.institution_id == mine)}
        assert ids == allowed
        if username == "institution":
            assert ids == own
        for record_id in others - allowed:
            assert http.get(f"/api/v1/credit_record/{record_id}", headers=headers).status_code == 404
    # the Association sees them all; Expert and Teacher none
    assoc_list = login("association").get("/creditrecordview/list/")
    assert assoc_list.status_code == 200 and "记录处罚" in assoc_list.text
    for name in ("expert", "teacher", "candidate"):
        c = login(name)
        assert c.get("/creditrecordview/list/").status_code in (302, 403)
        assert c.get(f"/creditrecordview/show/{sanctioned_id}").status_code in (302, 403)
    http, headers = api("expert")
    assert http.get("/api/v1/credit_record/", headers=headers).status_code in (401, 403)


def test_upheld_complaint_enters_the_record_once(app):  # F9
    with app.app_context():
        assoc = db.session.query(PlatformUser).filter_by(username="association").one()
        filer = db.session.query(PlatformUser).filter_by(username="candidate").one()
        cert = db.session.query(Certificate).order_by(Certificate.id).first()
        matter = workflow.create_matter("complaint", filer, "投诉：审核走过场",
                                        payload={"respondent_person_id": cert.person_id, "summary": "审核走过场"})
        first = credit.record_upheld_complaint(matter, assoc)
        again = credit.record_upheld_complaint(matter, assoc)
        db.session.commit()
        assert first.id == again.id and first.kind == "complaint" and first.matter_id == matter.id
        assert first.person_id == cert.person_id and "审核走过场" in first.description
        assert first.recorded_by_id == assoc.id
        # a complaint about an institution leaves no personal record
        about_inst = workflow.create_matter("complaint", filer, "投诉：机构", payload={"respondent_institution_id": 1})
        assert credit.record_upheld_complaint(about_inst, assoc) is None
        db.session.rollback()
