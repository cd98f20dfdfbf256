"""Excel imports (SPEC D4, D7–D9): templates downloaded from the app, filled with
openpyxl and imported back through HTTP with CSRF; all or nothing with an error
report; re-import updates; scope of the Institution user."""
import datetime
import io
import random
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.identity import check_digit
from app.services.import_types import name_pinyin
from models import ExamSite, Institution, Invigilator, Person, PlatformUser, Registration, Room
from tests.conftest import second_institution_user, wait_for_job
from tests.import_numbers import id_number, male_id, phone
from tests.registration_helpers import make_exam


def institution_id_of(app, username):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username=username).one().institution_id


def other_institution(app, mine):
    with app.app_context():
        return db.session.scalar(select(Institution.id).where(Institution.id != mine).order_by(Institution.id))


def download(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.text[:300]
    return load_workbook(io.BytesIO(r.data))


def as_text(cell, value):
    """Write a value as text, as a user does in the text-formatted columns (no formula, no number)."""
    cell.value = value
    cell.data_type = "s"


def fill(book, rows, start=3):
    ws = book.worksheets[0]
    for r, row in enumerate(rows, start=start):
        for c, value in enumerate(row, start=1):
            if value is not None:
                as_text(ws.cell(row=r, column=c), str(value))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, page, kind, data, filename="data.xlsx", **form):
    r = client.post(f"{page}upload/{kind}", {"file": (io.BytesIO(data), filename), **form}, token_from=page,
                    content_type="multipart/form-data")
    return r


def job_of(client, response):
    assert response.status_code == 302, response.text[:500]
    job_id = int(re.search(r"/job/(\d+)", response.headers["Location"]).group(1))
    return wait_for_job(client, job_id)


def report_rows(client, state):
    r = client.get(f"/files/{state['result']['attachment_id']}")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).worksheets[0]
    return [tuple(c.value for c in row) for row in ws.iter_rows(min_row=2)], ws


CANDIDATES = "/imports/candidates/"


def school_row(name, number, mobile, pinyin="", gender="男", year="2024", major="080901"):
    return [name, pinyin, gender, "居民身份证", number, mobile, year, "本科", "", major]


def labels(app):
    """The dropdown labels as the app shows them (translated)."""
    with app.test_request_context():
        from models.enums import Gender, IdType, MajorLevel
        return {"男": str(Gender.MALE.label), "女": str(Gender.FEMALE.label), "居民身份证": str(IdType.RESIDENT.label),
                "本科": str(MajorLevel.UNDERGRADUATE.label)}


def localise(app, rows):
    names = labels(app)
    return [[names.get(v, v) if isinstance(v, str) else v for v in row] for row in rows]


def test_pinyin_reads_polyphonic_surnames():
    assert name_pinyin("单田芳") == "Shan Tianfang"
    assert name_pinyin("曾国藩") == "Zeng Guofan"
    assert name_pinyin("解缙") == "Xie Jin"
    assert name_pinyin("尉迟恭") == "Yuchi Gong"
    assert name_pinyin("张三丰") == "Zhang Sanfeng"
    assert name_pinyin("吕布") == "Lü Bu"
    assert name_pinyin("欧阳修") == "Ouyang Xiu" and name_pinyin("诸葛亮") == "Zhuge Liang"  # compound surnames
    assert name_pinyin("李·娜") == "Li Na"  # a character pypinyin skips


def test_template_has_notes_dropdowns_text_columns_and_example(app, login):
    c = login("institution")
    book = download(c, f"{CANDIDATES}template/school_candidates")
    ws = book.worksheets[0]
    headers = [cell.value for cell in ws[2]]
    assert len(headers) == 10 and headers[0].startswith("*")
    assert ws.cell(row=2, column=2).comment is not None  # pinyin note
    validations = ws.data_validations.dataValidation
    assert len(validations) >= 3  # gender, ID type, major level
    assert any("C3" in str(v.sqref) for v in validations)
    assert ws.column_dimensions["E"].number_format == "@"  # ID number
    assert ws.column_dimensions["F"].number_format == "@"  # phone
    example = book.worksheets[1]
    assert example.cell(row=2, column=1).value == "单田芳"


def test_school_import_fills_pinyin_keeps_strings_and_reimport_updates(app, login):
    c = login("institution")
    mine = institution_id_of(app, "institution")
    n1, n2, n3 = male_id(), id_number(last_x=True), male_id()
    p1, p2, p3 = phone(), phone(), phone()
    with app.app_context():
        female = "女" if int(n2[16]) % 2 == 0 else "男"
    rows = [school_row("单田芳", n1, p1), school_row("曾小贤", n2, p2, gender=female),
            school_row("解晓东", n3, p3, pinyin="Xie Xiaodong")]
    data = fill(download(c, f"{CANDIDATES}template/school_candidates"), localise(app, rows))
    state = job_of(c, upload(c, CANDIDATES, "school_candidates", data))
    assert state["status"] == "done", state
    assert state["result"]["errors"] == 0 and state["result"]["created"] == 3
    with app.app_context():
        people = {p.name: p for p in db.session.query(Person).filter(Person.name.in_(["单田芳", "曾小贤", "解晓东"]))}
        assert people["单田芳"].pinyin == "Shan Tianfang"
        assert people["曾小贤"].pinyin == "Zeng Xiaoxian"
        assert people["曾小贤"].full_id_number() == n2 and n2.endswith("X")
        assert people["单田芳"].phone == p1 and isinstance(people["单田芳"].phone, str)
        assert all(p.institution_id == mine and p.source == "school" for p in people.values())
        assert people["单田芳"].major.code == "080901"
        before = db.session.scalar(select(func.count(Person.id)))
    # the same file again, one phone changed: updated, not duplicated
    p1b = phone()
    rows[0] = school_row("单田芳", n1, p1b)
    data = fill(download(c, f"{CANDIDATES}template/school_candidates"), localise(app, rows))
    state = job_of(c, upload(c, CANDIDATES, "school_candidates", data))
    assert state["result"]["updated"] == 3 and state["result"]["created"] == 0, state
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id))) == before
        assert db.session.query(Person).filter_by(name="单田芳").one().phone == p1b


def test_id_number_typed_as_number_reads_back_as_string(app, login):
    c = login("institution")
    number = male_id()
    book = download(c, f"{CANDIDATES}template/school_candidates")
    data = fill(book, localise(app, [school_row("王数字", number, phone())]))
    book = load_workbook(io.BytesIO(data))
    ws = book.worksheets[0]
    ws.cell(row=3, column=6).value = int(ws.cell(row=3, column=6).value)  # the phone as a number
    out = io.BytesIO()
    book.save(out)
    state = job_of(c, upload(c, CANDIDATES, "school_candidates", out.getvalue()))
    assert state["result"]["created"] == 1, state


def test_2000_rows_with_seven_kinds_of_errors_store_nothing(app, login):
    c = login("association")
    target = institution_id_of(app, "institution")
    rows = [school_row(f"测试{i:04d}", male_id(), phone()) for i in range(2000)]
    bad_check = rows[10][4][:17] + ("0" if rows[10][4][17] != "0" else "1")
    rows[10][4] = bad_check  # 1. check digit
    first17 = "44030519951332" + "123"
    rows[200][4] = first17 + check_digit(first17)  # 2. a date that does not exist
    rows[400][1] = "zhang san"  # 3. pinyin form
    rows[600][5] = "12345"  # 4. phone
    rows[800][6] = "1890"  # 5. enrollment year
    rows[1000][9] = "999999"  # 6. major code
    rows[1200][2] = None  # 7. a required cell empty
    rows[1400][4] = rows[1300][4]  # 8. the same ID number twice
    rows[1600][5] = '=HYPERLINK("http://evil.example","x")'  # a formula-looking value: reported as text
    data = fill(download(c, f"{CANDIDATES}template/school_candidates"), localise(app, rows))
    with app.app_context():
        before = db.session.scalar(select(func.count(Person.id)))
    state = job_of(c, upload(c, CANDIDATES, "school_candidates", data, institution_id=str(target)))
    assert state["status"] == "done" and state["result"]["errors"] >= 8, state
    assert state["result"]["total"] == 2000
    reported, ws = report_rows(c, state)
    by_row = {}
    for row, column, reason, value in reported:
        by_row.setdefault(row, []).append((column, reason, value))
    with app.test_request_context():
        from flask_babel import gettext as _
        check = _("The check digit of the ID number is wrong.")
        date = _("The date of birth in the ID number is not a real date.")
        required = _("This column is required.")
    excel = lambda i: i + 3  # noqa: E731  (data from row 3)
    assert by_row[excel(10)][0][1] == check and by_row[excel(10)][0][2] == bad_check
    assert by_row[excel(200)][0][1] == date
    assert "Zhang Sanfeng" in by_row[excel(400)][0][1]
    assert by_row[excel(600)][0][2] == "12345"
    assert "1980" in by_row[excel(800)][0][1]
    assert "999999" in by_row[excel(1000)][0][1]
    assert by_row[excel(1200)][0][1] == required
    assert str(excel(1300)) in by_row[excel(1400)][0][1]
    kinds = {(col, reason) for r in (10, 200, 400, 600, 800, 1000, 1200) for col, reason, _v in by_row[excel(r)]}
    assert len(kinds) == 7
    formula = next(ws.cell(row=r, column=4) for r in range(2, ws.max_row + 1)
                   if str(ws.cell(row=r, column=4).value or "").startswith("=HYPERLINK"))
    assert formula.data_type == "s"
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id))) == before  # nothing stored


def test_bad_file_types_are_refused_with_a_message(app, login):
    c = login("institution")
    with app.test_request_context():
        from flask_babel import gettext as _
        message = _("Please upload an Excel workbook (.xlsx), such as the downloaded template.")
    for name, data in (("data.csv", b"a,b\n1,2\n"), ("fake.xlsx", b"not a zip at all"),
                       ("evil.xlsx", b"PK\x03\x04garbage")):
        r = upload(c, CANDIDATES, "school_candidates", data, filename=name)
        if r.status_code == 302 and "/job/" in r.headers["Location"]:
            state = job_of(c, r)
            assert state["status"] == "failed" and state["error"] == message
        else:
            page = c.get(CANDIDATES)
            assert message in page.text


def test_institution_imports_only_into_its_own_institution(app, login):
    c = login("institution")
    mine = institution_id_of(app, "institution")
    other = other_institution(app, mine)
    number = male_id()
    data = fill(download(c, f"{CANDIDATES}template/social_candidates"),
                localise(app, [["赵社会", "", "男", "居民身份证", number, phone(), "某公司"]]))
    state = job_of(c, upload(c, CANDIDATES, "social_candidates", data, institution_id=str(other)))
    assert state["result"]["created"] == 1
    with app.app_context():
        person = db.session.query(Person).filter_by(name="赵社会").one()
        assert person.institution_id == mine and person.source == "social"
        assert person.pinyin == "Zhao Shehui"
        assert person.employer == "某公司"


def test_institution_sees_and_exports_only_its_own_rooms_and_jobs(app, login):
    mine = institution_id_of(app, "institution")
    other = other_institution(app, mine)
    a = login("association")
    data = fill(download(a, "/imports/rooms/template/rooms"), [["他校考场A", "标准考场", "20", ""]])
    state = job_of(a, upload(a, "/imports/rooms/", "rooms", data, institution_id=str(other)))
    assert state["result"]["created"] == 1, state
    # an error report of the other institution
    bad = fill(download(a, "/imports/rooms/template/rooms"), [["他校考场B", "", "0", ""]])
    other_job = job_of(a, upload(a, "/imports/rooms/", "rooms", bad, institution_id=str(other)))
    assert other_job["result"]["errors"] == 1
    c = login("institution")
    r = c.get("/imports/rooms/export/")
    ws = load_workbook(io.BytesIO(r.data)).worksheets[0]
    names = {row[0] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert "他校考场A" not in names and names
    assert c.get(f"/imports/rooms/job/{other_job['id']}").status_code == 404
    assert c.get(f"/jobs/{other_job['id']}").status_code == 404
    assert c.get(f"/files/{other_job['result']['attachment_id']}").status_code == 404
    assert "他校考场" not in c.get("/imports/rooms/").text


def test_formula_looking_cells_are_exported_as_text(app, login):
    mine = institution_id_of(app, "institution")
    with app.app_context():
        db.session.add(Room(institution_id=mine, name='=HYPERLINK("http://evil.example","x")', capacity=5))
        db.session.add(Invigilator(institution_id=mine, staff_no="=1+1", name="公式"))
        db.session.commit()
    c = login("institution")
    for url in ("/imports/rooms/export/", "/imports/invigilators/export/"):
        ws = load_workbook(io.BytesIO(c.get(url).data)).worksheets[0]
        cells = [row[0] for row in ws.iter_rows(min_row=2) if str(row[0].value).startswith("=")]
        assert cells and all(cell.data_type == "s" for cell in cells)


def test_rooms_and_invigilators_round_trip_without_duplicates(app, login):
    c = login("institution")
    mine = institution_id_of(app, "institution")
    data = fill(download(c, "/imports/invigilators/template/invigilators"),
                [["T9001", "钱老师", phone(), "110105"], ["T9002", "孙老师", "", "朝阳区"]])
    state = job_of(c, upload(c, "/imports/invigilators/", "invigilators", data))
    # 朝阳区 is ambiguous (Beijing and Changchun): refused, nothing stored
    assert state["result"]["errors"] >= 1 and state["result"]["created"] == 0, state
    data = fill(download(c, "/imports/invigilators/template/invigilators"),
                [["T9001", "钱老师", phone(), "110105"], ["T9002", "孙老师", "", ""]])
    assert job_of(c, upload(c, "/imports/invigilators/", "invigilators", data))["result"]["created"] == 2
    exported = c.get("/imports/invigilators/export/").data
    state = job_of(c, upload(c, "/imports/invigilators/", "invigilators", exported, filename="export.xlsx"))
    assert state["result"]["created"] == 0 and state["result"]["updated"] >= 2, state
    exported = c.get("/imports/rooms/export/").data
    with app.app_context():
        rooms = db.session.scalar(select(func.count(Room.id)).where(Room.institution_id == mine))
    state = job_of(c, upload(c, "/imports/rooms/", "rooms", exported, filename="rooms.xlsx"))
    assert state["result"]["created"] == 0, state
    with app.app_context():
        assert db.session.scalar(select(func.count(Room.id)).where(Room.institution_id == mine)) == rooms


@pytest.fixture
def accurate_candidates(app, login):
    c = login("institution")
    numbers = [male_id(), male_id(), male_id()]
    names = ["报考甲", "报考乙", "报考丙"]
    rows = [school_row(n, num, phone()) for n, num in zip(names, numbers, strict=True)]
    data = fill(download(c, f"{CANDIDATES}template/school_candidates"), localise(app, rows))
    assert job_of(c, upload(c, CANDIDATES, "school_candidates", data))["result"]["created"] == 3
    with app.app_context():
        for p in db.session.query(Person).filter(Person.name.in_(names[:2])):
            p.verify_state = "accurate"
        db.session.commit()
    return c, list(zip(names, numbers, strict=True))


def test_batch_registration_by_certificate_all_or_nothing(app, login, accurate_candidates):
    c, people = accurate_candidates
    exam = make_exam(app, quota=5)
    with app.app_context():
        from models import CertificateType, ExamPlan, Site
        plan = db.session.get(ExamPlan, exam["id"])
        # a certificate of its own: other tests count the demo certificates' registrations
        cert = CertificateType(code=f"9{exam['id']:015d}", name="批量报名测试证书", issuer="测试机构")
        db.session.add(cert)
        db.session.flush()
        plan.certificate_type_id, cert_code = cert.id, cert.code
        db.session.commit()
        site_code = db.session.get(Site, db.session.get(ExamSite, exam["sites"][0]).site_id).code
        from models.enums import CandidateSource
        with app.test_request_context():
            school = str(CandidateSource.SCHOOL.label)
    page = "/imports/registrations/"
    template = download(c, f"{page}template/registrations?exam_plan_id={exam['id']}&mode=certificate")
    rows = [[n, num, school, cert_code, "", site_code, ""] for n, num in people]
    data = fill(template, rows)
    form = {"exam_plan_id": str(exam["id"]), "mode": "certificate"}
    state = job_of(c, upload(c, page, "registrations", data, **form))
    assert state["result"]["errors"] == 1 and state["result"]["created"] == 0, state  # 报考丙 not verified
    with app.app_context():
        assert db.session.query(Registration).filter_by(exam_plan_id=exam["id"]).count() == 0
    data = fill(download(c, f"{page}template/registrations?exam_plan_id={exam['id']}"), rows[:2])
    state = job_of(c, upload(c, page, "registrations", data, **form))
    assert state["result"]["created"] == 2, state
    with app.app_context():
        regs = db.session.query(Registration).filter_by(exam_plan_id=exam["id"]).all()
        assert {r.status for r in regs} == {"submitted"} and all(r.seat_held for r in regs)
        assert all(len(r.subjects) == 2 for r in regs)
        assert db.session.get(ExamSite, exam["sites"][0]).seats_taken == 2
        assert all(r.matter_id and r.matter.state == "submitted" and r.matter.due_date for r in regs)
        first = regs[0].id
    # filed in a batch, reviewed like any registration (B7): approval creates the order
    assert login("association").post(f"/registration-review/{first}/decide", {"action": "approve"},
                                     token_from=f"/registration-review/{first}").status_code == 302
    with app.app_context():
        assert db.session.get(Registration, first).status == "approved"
    state = job_of(c, upload(c, page, "registrations", data, **form))  # again: nothing doubled
    assert state["result"]["unchanged"] == 2 and state["result"]["created"] == 0, state
    with app.app_context():
        assert db.session.get(ExamSite, exam["sites"][0]).seats_taken == 2


@pytest.mark.parametrize("username", ["association", "institution"])
def test_import_pages_open_for_association_and_institution(app, login, username):
    c = login(username)
    for page in (CANDIDATES, "/imports/registrations/", "/imports/rooms/", "/imports/invigilators/"):
        r = c.get(page)
        assert r.status_code == 200, (page, r.status_code)
        assert 'name="file"' in r.text
    assert ("institution_id" in c.get(CANDIDATES).text) == (username == "association")


@pytest.mark.parametrize("username", ["candidate", "expert", "finance"])
def test_other_roles_cannot_import(app, client, username):
    from tests.conftest import Client
    c = Client(app)
    c.login(username)
    assert c.get(CANDIDATES).status_code in (302, 403, 404)


def test_batch_registration_by_subject_and_template_names_the_subjects(app, login, accurate_candidates):
    c, people = accurate_candidates
    exam = make_exam(app, quota=5)
    with app.app_context():
        from models import CertificateType, ExamPlan, Site
        cert = CertificateType(code=f"8{exam['id']:015d}", name="按科目报名测试证书", issuer="测试机构")
        db.session.add(cert)
        db.session.flush()
        db.session.get(ExamPlan, exam["id"]).certificate_type_id = cert.id
        db.session.commit()
        cert_code = cert.code
        site_code = db.session.get(Site, db.session.get(ExamSite, exam["sites"][1]).site_id).code
        from models.enums import CandidateSource
        with app.test_request_context():
            school = str(CandidateSource.SCHOOL.label)
    page = "/imports/registrations/"
    book = download(c, f"{page}template/registrations?exam_plan_id={exam['id']}&mode=subject")
    assert len([cell.value for cell in book.worksheets[0][2]]) == 8  # the subject column
    name, number = people[0]
    rows = [[name, number, school, cert_code, "", site_code, "", "理论"],
            [name, number, school, cert_code, "", site_code, "", "不存在的科目"]]
    form = {"exam_plan_id": str(exam["id"]), "mode": "subject"}
    state = job_of(c, upload(c, page, "registrations", fill(book, rows), **form))
    assert state["result"]["errors"] == 1, state
    book = download(c, f"{page}template/registrations?exam_plan_id={exam['id']}&mode=subject")
    state = job_of(c, upload(c, page, "registrations", fill(book, rows[:1]), **form))
    assert state["result"]["created"] == 1, state
    with app.app_context():
        reg = db.session.query(Registration).filter_by(exam_plan_id=exam["id"]).one()
        assert [s.subject.name for s in reg.subjects] == ["理论"] and reg.status == "submitted"


# --- pinyin offered, not silently filled ---------------------------------------------------------------
def test_empty_pinyin_is_offered_for_checking_on_the_result_page(app, login):
    c = login("institution")
    names = ["单田芳", "曾国藩", "解缙"] + [f"拼音{chr(0x7532 + i)}" for i in range(22)]  # 25 rows, pinyin empty
    rows = [school_row(n, male_id(), phone()) for n in names]
    rows[3][1] = "Pin Yin"  # given: not offered
    data = fill(download(c, f"{CANDIDATES}template/school_candidates"), localise(app, rows))
    state = job_of(c, upload(c, CANDIDATES, "school_candidates", data))
    result = state["result"]
    assert result["created"] == 25 and result["filled"] == 24, result
    assert result["filled_rows"][:3] == [[3, "单田芳", "Shan Tianfang"], [4, "曾国藩", "Zeng Guofan"],
                                         [5, "解缙", "Xie Jin"]]
    assert len(result["filled_rows"]) == 20 and 6 not in [r[0] for r in result["filled_rows"]]
    page = c.get(f"{CANDIDATES}job/{state['id']}").text
    assert "24 行拼音为空，已按姓名生成，请核对" in page
    assert "Shan Tianfang" in page and "另有 4 行" in page
    r = c.get(f"/files/{result['filled_attachment_id']}")
    listed = [row for row in load_workbook(io.BytesIO(r.data)).worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert len(listed) == 24 and listed[0] == (3, "单田芳", "姓名拼音", "Shan Tianfang")
    with app.app_context():
        assert db.session.query(Person).filter_by(name="解缙").one().pinyin == "Xie Jin"
    assert login(second_institution_user(app)).get(f"/files/{result['filled_attachment_id']}").status_code == 404


def test_wrong_pinyin_form_is_refused_with_the_computed_one_offered(app, login):
    c = login("institution")
    rows = [school_row("张三峰", male_id(), phone(), pinyin="zhang sanfeng"),
            school_row("单田芳", male_id(), phone(), pinyin="ShanTianfang"),
            school_row("曾国藩", male_id(), phone(), pinyin="Zeng3 Guofan"),
            school_row("解缙", male_id(), phone(), pinyin="Jie Jin")]  # right form: a reading is the person's
    data = fill(download(c, f"{CANDIDATES}template/school_candidates"), localise(app, rows))
    state = job_of(c, upload(c, CANDIDATES, "school_candidates", data))
    assert state["result"]["created"] == 0 and state["result"]["errors"] == 3, state
    reported, _ws = report_rows(c, state)
    by_row = {row: (column, reason, value) for row, column, reason, value in reported}
    assert by_row[3] == ("姓名拼音", "拼音格式应为 Zhang Sanfeng：姓与名分开、首字母大写、中间一个空格"
                                    "（按姓名为 Zhang Sanfeng）。", "zhang sanfeng")
    assert "（按姓名为 Shan Tianfang）" in by_row[4][1]
    assert "（按姓名为 Zeng Guofan）" in by_row[5][1]
    assert 6 not in by_row
    with app.app_context():
        assert db.session.query(Person).filter(Person.name == "张三峰").count() == 0


# --- ID types other than the resident ID card ---------------------------------------------------------
def _id_row(app, name, id_type, number, gender="男"):
    with app.test_request_context():
        from models.enums import IdType
        label = next(str(m.label) for m in IdType if m.value == id_type)
    row = localise(app, [school_row(name, number, phone(), gender=gender)])[0]
    row[3] = label
    return row


def _residence_permit():
    """A 港澳台居民居住证 number: 18 digits from 81/82/83 with the GB 11643 check digit."""
    first17 = f"81000019900101{random.randint(0, 999):03d}"
    return first17 + check_digit(first17)


def test_other_id_types_import_with_their_own_number_forms(app, login):
    c = login("institution")
    permit = _residence_permit()
    n = random.randint(10 ** 7, 9 * 10 ** 7)  # numbers of this run: other tests may use round ones
    good = [("护照甲", "passport", f"e{n}", f"E{n}"), ("回乡甲", "hk_macao", f"H{n}", f"H{n}"),
            ("回乡乙", "hk_macao", f"M{n}12", f"M{n}12"), ("台胞甲", "taiwan", f"{n}", f"{n}"),
            ("军官甲", "officer", f"南字第{n}号", f"南字第{n}号"), ("居住甲", "resident", permit, permit)]
    rows = [_id_row(app, name, kind, number, gender="女" if kind != "resident" else
                    ("男" if int(permit[16]) % 2 else "女")) for name, kind, number, _n in good]
    data = fill(download(c, f"{CANDIDATES}template/school_candidates"), rows)
    state = job_of(c, upload(c, CANDIDATES, "school_candidates", data))
    assert state["result"]["created"] == len(good) and state["result"]["errors"] == 0, state
    with app.app_context():
        people = {p.name: p for p in db.session.query(Person).filter(Person.name.in_([g[0] for g in good]))}
        for name, kind, _typed, stored in good:
            assert people[name].id_type == kind and people[name].full_id_number() == stored
        assert people["护照甲"].birth_date is None and people["护照甲"].gender == "female"
        assert people["居住甲"].birth_date == datetime.date(1990, 1, 1)
    # the same file again: matched by number, updated
    state = job_of(c, upload(c, CANDIDATES, "school_candidates", data))
    assert state["result"]["updated"] == len(good), state


def test_bad_numbers_of_each_id_type_are_named_by_row(app, login):
    c = login("institution")
    good = male_id()
    bad = [("护照乙", "passport", "E12"), ("回乡丙", "hk_macao", "X12345678"), ("回乡丁", "hk_macao", "H1234567"),
           ("台胞乙", "taiwan", "1234567"), ("军官乙", "officer", "军官证"),
           ("身份乙", "resident", good[:17] + ("1" if good[17] == "0" else "0")), ("护照丙", "passport", "E1234567")]
    rows = [_id_row(app, name, kind, number) for name, kind, number in bad]
    data = fill(download(c, f"{CANDIDATES}template/school_candidates"), rows)
    state = job_of(c, upload(c, CANDIDATES, "school_candidates", data))
    assert state["result"]["created"] == 0 and state["result"]["errors"] == 6, state
    reported, _ws = report_rows(c, state)
    by_row = {row: (column, reason, value) for row, column, reason, value in reported}
    assert by_row[3] == ("证件号码", "护照号码为 5 到 20 位字母和数字。", "E12")
    assert by_row[4][1] == by_row[5][1] == "港澳居民来往内地通行证号码为 H 或 M 加 8 位或 10 位数字。"
    assert by_row[6][1] == "台湾居民来往大陆通行证号码为 8 位数字（旧证 10 位）。"
    assert "南字第2011123号" in by_row[7][1]
    assert by_row[8] == ("证件号码", "身份证号码校验位错误。", bad[5][2])
    assert 9 not in by_row  # the good row: nothing stored all the same
    with app.app_context():
        assert db.session.query(Person).filter(Person.name == "护照丙").count() == 0
