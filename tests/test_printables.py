"""B9 printables: the application form and the pledge as PDF with the CJK font
embedded, fetched over HTTP by the candidate and by reviewers within their scope;
the signed scan uploaded back."""
import io
import re
import shutil
import subprocess
import time

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image

from app.extensions import db
from app.services import accounts, printables
from models import (
    Attachment,
    Education,
    ExamPlan,
    ExamSite,
    Institution,
    MaterialEntry,
    PlatformUser,
    Registration,
    RegistrationSubject,
    WorkExperience,
)
from models.enums import SectionCode

NAME = "张三丰"  # the candidate fixture's name
RARE = "\U0002a6a5"  # 𪚥: CJK Ext-B, not in Noto Sans CJK SC
MM = 72 / 25.4  # PDF points per millimetre


# --- helpers ------------------------------------------------------------------------------
@pytest.fixture
def font(app):
    if not printables.font_available(app.config):
        pytest.skip(f"no CJK font at PDF_FONT_PATH={app.config.get('PDF_FONT_PATH')!r}: "
                    "install fonts-noto-cjk (make install does) or put the font into app/fonts/")


def _jpeg(size=(295, 413), colour=(40, 90, 200)):
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG")
    return buf.getvalue()


def _png(size=(600, 800)):
    buf = io.BytesIO()
    Image.new("RGB", size, (250, 250, 250)).save(buf, "PNG")
    return buf.getvalue()


def _text(pdf, *args):
    assert shutil.which("pdftotext"), "poppler-utils is needed (make install / .ci/run install it)"
    out = subprocess.run(["pdftotext", *args, "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def _pages(pdf):
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def _other_institution(app):
    """An institution that is not the demo institution user's."""
    own = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
    return db.session.query(Institution).filter(Institution.id != own).order_by(Institution.id).first().id, own


def build_registration(app, phone, works=3, photo=True, net_no=True, extra_materials=None):
    """A registration of the candidate with ``phone`` with rows in every section (direct rows:
    the wizard's own tests cover how they get there)."""
    with app.app_context():
        user = db.session.query(PlatformUser).filter_by(phone=phone).one()
        person = accounts.person_of(user)
        if photo:
            accounts.store_photo(person, _jpeg())
        other, _own = _other_institution(app)
        plan = db.session.query(ExamPlan).filter(ExamPlan.subjects.any()).order_by(ExamPlan.id).first()
        site = db.session.query(ExamSite).filter_by(exam_plan_id=plan.id).first()
        reg = Registration(exam_plan_id=plan.id, person_id=person.id, institution_id=other, exam_site_id=site.id,
                           status="submitted", city="北京市", category="makeup_first",
                           net_no=f"T{person.id:07d}{int(time.time() * 1000) % 10 ** 6:06d}"[:20] if net_no else None)
        reg.subjects = [RegistrationSubject(subject_id=s.id) for s in plan.subjects]
        db.session.add(reg)
        db.session.flush()
        reg.educations = [
            Education(person_id=person.id, registration_id=reg.id, school="北京师范大学", major="教育技术学",
                      education_level="bachelor", degree="教育学学士", start_month="2010-09",
                      graduation_month="2014-06"),
            Education(person_id=person.id, registration_id=reg.id, school="华东师范大学", major="计算机应用技术",
                      education_level="master", degree="工学硕士", start_month="2014-09", graduation_month="2017-06",
                      is_highest=True),
        ]
        reg.works = [WorkExperience(person_id=person.id, registration_id=reg.id, employer=f"第{i + 1}号检测中心",
                                    department="质量部", title="检验员",
                                    start_month=f"{2000 + i % 25}-{1 + i % 12:02d}",
                                    end_month=None if i == 0 else f"{2001 + i % 25}-{1 + i % 12:02d}",
                                    years_in_occupation=i % 40, referee="李四", referee_phone="13900001111")
                     for i in range(works)]
        data = {
            SectionCode.NON_DEGREE: {"培训机构": "中国认证认可协会", "培训内容": "内审员培训", "起止时间": "2021-03"},
            SectionCode.ADVANCED_STUDY: {"进修单位": "德国TÜV莱茵", "进修内容": "质量管理体系审核"},
            SectionCode.SUPERVISION: {"姓名": "王" + RARE, "类别": "硕士研究生", "人数": 3},
            SectionCode.PRACTICAL: {"考试名称": "专业实践能力考试", "成绩": 86.5, "通过": True},
            SectionCode.LANGUAGE: {"语种": "英语", "等级": "CET-6", "分数": 560, "年份": "2016", "证书编号": "X1",
                                   "备注": "无", "表情": "\U0001f600"},
            SectionCode.CONTINUING: {"学分": 24, "年度": ["2022", "2023"]},
            **(extra_materials or {}),
        }
        reg.materials = [MaterialEntry(section=code.value, data=row) for code, row in data.items()]
        db.session.commit()
        return reg.id


@pytest.fixture
def own(app, candidate):
    """(candidate client, registration id) with a full registration."""
    c, phone, _number = candidate
    return c, build_registration(app, phone)


# --- the PDFs ------------------------------------------------------------------------------
def test_application_form_pdf_has_the_cjk_font_and_every_section(app, font, own):
    c, rid = own
    started = time.perf_counter()
    r = c.get(f"/portal/registrations/{rid}/form.pdf")
    elapsed = time.perf_counter() - started
    assert r.status_code == 200, r.text[:300]
    assert r.mimetype == "application/pdf" and r.data.startswith(b"%PDF-")
    assert "no-store" in r.headers["Cache-Control"]
    pdf = r.data
    # the Noto CJK font is embedded as a subset (a 6-letter tag before its name), not the whole 16 MB file
    assert re.search(rb"/FontName\s*/[A-Z]{6}\+NotoSansCJK", pdf), "Noto Sans CJK is not embedded as a subset"
    assert b"/FontFile3" in pdf or b"/FontFile2" in pdf
    assert len(pdf) < 600_000
    assert elapsed < 10
    text = _text(pdf)
    with app.app_context():
        reg = db.session.get(Registration, rid)
        net_no, exam = reg.net_no, reg.exam_plan.name
        with force_locale("zh"):
            labels = [str(code.label) for code in SectionCode]
    assert net_no in text and NAME in text and exam[:10] in text
    assert "网报号" in text
    for label in labels:  # 基本信息, 学历学位教育情况, 主要工作简历, 非学历教育情况 … all nine sections
        assert label in text, label
    for value in ("北京师范大学", "华东师范大学", "第3号检测中心", "中国认证认可协会", "德国TÜV莱茵", "CET-6", "86.5",
                  "2022、2023", "________________"):
        assert value in text, value
    # keys of the material rows are printed as given
    for key in ("培训机构", "进修单位", "证书编号"):
        assert key in text
    # a character outside the font is a visible placeholder, not a crash or a blank
    assert "王" + printables.PLACEHOLDER in text
    assert RARE not in text and "\U0001f600" not in text
    # the photo is drawn (an image XObject)
    assert b"/Subtype /Image" in pdf


def test_pledge_pdf(app, font, own):
    c, rid = own
    r = c.get(f"/portal/registrations/{rid}/pledge.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert re.search(rb"/FontName\s*/[A-Z]{6}\+NotoSansCJK", r.data)
    text = _text(r.data)
    with app.app_context():
        reg = db.session.get(Registration, rid)
        pledge = reg.exam_plan.pledge or ""
        net_no = reg.net_no
    assert net_no in text and NAME in text
    assert pledge[:8] in text.replace("\n", "")
    assert _pages(r.data) == 1


def test_long_resume_spans_pages_and_no_text_leaves_the_page(app, font, candidate):
    c, phone, _number = candidate
    long_text = "很长的继续教育内容" * 500 + " " + "A" * 400  # one cell taller than a page, one unbreakable word
    rid = build_registration(app, phone, works=40, extra_materials={SectionCode.CONTINUING: {"内容": long_text}})
    started = time.perf_counter()
    r = c.get(f"/portal/registrations/{rid}/form.pdf")
    elapsed = time.perf_counter() - started
    assert r.status_code == 200
    pages = _pages(r.data)
    assert pages >= 4, pages
    text = _text(r.data)
    assert "第40号检测中心" in text and "第1号检测中心" in text
    # every word lies inside the A4 page's margins (15 mm each side; the footer sits above the bottom edge)
    boxes = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', _text(r.data, "-bbox"))
    assert len(boxes) > 500
    for x0, y0, x1, y1 in ((float(v) for v in box) for box in boxes):
        assert 15 * MM - 1 <= x0 and x1 <= 195 * MM + 1, (x0, x1)
        assert 10 * MM <= y0 and y1 <= 292 * MM, (y0, y1)
    # the heading row of the résumé repeats on the following pages
    with app.app_context(), force_locale("zh"):
        employer = printables.label(WorkExperience, "employer")
    assert text.count(employer) >= 2
    assert elapsed < 15


def test_form_without_photo_or_net_number(app, font, candidate):
    c, phone, _number = candidate
    rid = build_registration(app, phone, photo=False, net_no=False, works=0)
    r = c.get(f"/portal/registrations/{rid}/form.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF-")
    assert NAME in _text(r.data)


def test_renderer_replaces_what_the_font_lacks(app, font):
    with app.app_context():
        sheet = printables.Sheet("t")
        assert sheet.clean("王\U0002a6a5\x00\x07a\tb\u200bc") == "王" + printables.PLACEHOLDER + "a bc"
        assert sheet.replaced == 1
        # Chinese line breaking: no line starts with a closing punctuation mark
        lines = sheet.fit("本人承诺所填信息真实、准确、完整，如有虚假，本人愿意承担一切后果。" * 3, 40)
        assert len(lines) > 3 and not any(line[:1] in printables.NO_LINE_START for line in lines)
        assert all(sheet.get_string_width(line) <= 40 for line in lines)


def test_font_configuration(app, font):
    """A .ttc collection gives its Simplified Chinese face; without a bold file titles use the regular one."""
    path = app.config["PDF_FONT_PATH"]
    with app.app_context():
        files = printables.font_files({"PDF_FONT_PATH": path, "PDF_FONT_BOLD_PATH": None})
        assert len(files) == 1 and files[0][:2] == ("", path)
        if path.lower().endswith(".ttc"):
            from fontTools.ttLib import TTCollection

            face = TTCollection(path, lazy=True).fonts[files[0][2]]
            assert face["name"].getDebugName(6).startswith("NotoSansCJKsc-")
        sheet = printables.Sheet("t", "网报号 1", config={"PDF_FONT_PATH": path, "APP_NAME": "x"})
        assert sheet.bold == ""
        sheet.section("基本信息")
        sheet.data_table(["序号", "内容"], [["1", "中文" + RARE]], [20, 160])
        text = _text(bytes(sheet.output()))
    assert "基本信息" in text and "中文" + printables.PLACEHOLDER in text
    with pytest.raises(printables.FontMissing):
        printables.font_files({"PDF_FONT_PATH": "/nonexistent.ttc"})


# --- who may print what --------------------------------------------------------------------
def test_only_the_candidate_and_reviewers_in_scope(app, font, own, login, client):
    c, rid = own
    # another candidate, anonymous visitors
    other = login("candidate")
    for path in (f"/portal/registrations/{rid}/form.pdf", f"/portal/registrations/{rid}/pledge.pdf"):
        assert other.get(path).status_code == 404
        assert client.get(path).status_code == 302
    assert c.get("/portal/registrations/99999999/form.pdf").status_code == 404
    # back office: the Association sees all, an institution only its own registrations
    back = f"/printables/registrations/{rid}/form.pdf"
    assert login("association").get(back).status_code == 200
    assert login("association").get(f"/printables/registrations/{rid}/pledge.pdf").status_code == 200
    inst = login("institution")
    assert inst.get(back).status_code == 404  # registered through another institution
    with app.app_context():
        _other, own_institution = _other_institution(app)
        db.session.get(Registration, rid).institution_id = own_institution
        db.session.commit()
    r = inst.get(back)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    # the institution sees the masked ID number, the Association the full one (audited)
    with app.app_context():
        reg = db.session.get(Registration, rid)
        masked, full = reg.person.id_number_masked, reg.person.full_id_number()
    assert masked in _text(r.data) and full not in _text(r.data)
    assert full in _text(login("association").get(back).data)
    assert full in _text(c.get(f"/portal/registrations/{rid}/form.pdf").data)  # the candidate's own form
    # roles that may not read registrations, and candidates, are refused
    assert login("expert").get(back).status_code in (403, 404)
    assert other.get(back).status_code in (403, 404)
    assert client.get(back).status_code == 302


def test_missing_font_is_a_clear_error_page(app, own):
    c, rid = own
    saved = app.config["PDF_FONT_PATH"]
    app.config["PDF_FONT_PATH"] = "/nonexistent/NotoSansCJK-Regular.ttc"
    try:
        r = c.get(f"/portal/registrations/{rid}/form.pdf")
    finally:
        app.config["PDF_FONT_PATH"] = saved
    assert r.status_code == 503 and r.mimetype == "text/html"
    with app.test_request_context(), force_locale("zh"):
        message = _("The PDF cannot be made right now: the Chinese font is missing on the server. "
                    "Please try again later or contact us.")
    assert message in r.text


# --- the signed scan -----------------------------------------------------------------------
def _upload(c, rid, data, filename, next_page="/portal/me"):
    return c.post(f"/portal/registrations/{rid}/signed-form",
                  {"scan": (io.BytesIO(data), filename), "next": next_page})


def _flash(c, response):
    assert response.status_code == 302
    return c.get(response.headers["Location"]).text


def _message(app, text, **kw):
    with app.test_request_context(), force_locale("zh"):
        return _(text, **kw)


def test_signed_scan_upload(app, own, login):
    c, rid = own
    r = _upload(c, rid, _png(), "签字申请表.png")
    assert r.status_code == 302 and r.headers["Location"].endswith("/portal/me")
    assert _message(app, "The signed application form has been uploaded.") in c.get("/portal/me").text
    with app.app_context():
        reg = db.session.get(Registration, rid)
        scan = db.session.get(Attachment, reg.signed_form_id)
        assert scan.kind == "signed_form" and scan.content_type == "image/png"
        assert scan.person_id == reg.person_id and scan.institution_id == reg.institution_id
        assert scan.filename == "签字申请表.png"
        first = scan.id
        _other, own_institution = _other_institution(app)
        inst_id = reg.institution_id
    # the candidate and the registration's institution may open it; the other institution may not
    assert c.get(f"/files/{first}").status_code == 200
    assert login("institution").get(f"/files/{first}").status_code == (200 if inst_id == own_institution else 404)
    assert login("association").get(f"/files/{first}").status_code == 200
    # a PDF scan replaces it; an unsafe next goes to My exams
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    r = _upload(c, rid, pdf, "scan.PDF", next_page="//evil.example/x")
    assert r.status_code == 302 and r.headers["Location"].endswith("/portal/me/exams")
    with app.app_context():
        reg = db.session.get(Registration, rid)
        assert reg.signed_form_id != first
        assert db.session.get(Attachment, reg.signed_form_id).content_type == "application/pdf"
    # a JPEG is re-encoded (metadata and trailing bytes dropped)
    r = _upload(c, rid, _jpeg() + b"<script>alert(1)</script>", "scan.jpg")
    assert r.status_code == 302
    with app.app_context():
        scan = db.session.get(Attachment, db.session.get(Registration, rid).signed_form_id)
        assert scan.content_type == "image/jpeg" and scan.filename == "scan.jpg"


@pytest.mark.parametrize("data, filename, message, kw", [
    (b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024), "big.jpg", "The file is larger than %(mb)d MB.", {"mb": 2}),
    (b"GIF89a" + b"\0" * 100, "scan.png", "Only JPG, PNG or PDF files are accepted.", {}),
    (b"plain text pretending", "scan.pdf", "Only JPG, PNG or PDF files are accepted.", {}),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "scan.png", "The picture is damaged and cannot be opened.", {}),
    (b"%PDF-1.4 truncated", "scan.pdf", "The PDF file is damaged or incomplete.", {}),
    (b"", "", "Please choose the scan of the signed application form.", {}),
])
def test_signed_scan_refusals(app, own, data, filename, message, kw):
    c, rid = own
    r = _upload(c, rid, data, filename)
    page = _flash(c, r)
    expected = _message(app, message, **kw)
    assert expected in page
    with app.app_context():
        assert db.session.get(Registration, rid).signed_form_id is None


def test_signed_scan_of_someone_else_is_404(app, own, login):
    _c, rid = own
    other = login("candidate")
    assert _upload(other, rid, _png(), "scan.png").status_code == 404
    with app.app_context():
        assert db.session.get(Registration, rid).signed_form_id is None


def test_printables_box_macro(app, own):
    _c, rid = own
    from flask import render_template_string

    with app.test_request_context(), app.app_context():
        reg = db.session.get(Registration, rid)
        html = render_template_string('{% from "portal/_printables.html" import printables_box %}'
                                      "{{ printables_box(reg) }}", reg=reg)
    assert f"/portal/registrations/{rid}/form.pdf" in html and f"/portal/registrations/{rid}/pledge.pdf" in html
    assert f"/portal/registrations/{rid}/signed-form" in html and 'name="scan"' in html
