"""证书查询 (SPEC E5, issue 6): the public verification page by number + name + image code, the QR
link, the PDF check against the stored SHA-256, and the rate-limited JSON for third parties —
through HTTP with CSRF, showing nothing about the holder beyond the public facts."""
import datetime
import hashlib
import io
import re

import pytest

from app.extensions import db
from app.services import certificate_pdf, certificates
from models import Certificate, Person, PlatformUser
from tests.conftest import Client
from tests.portal_helpers import captcha_answer
from tests.results_helpers import issued_certificate, new_person, sat_exam

NOT_FOUND = "未查询到证书，请核对证书编号和持证人姓名。"


@pytest.fixture(scope="module")
def exam(app):
    return sat_exam(app)


def _admin():
    return db.session.query(PlatformUser).filter_by(username="association").one()


def _holder(app, exam, name="赵验证"):
    """A certificate with its rendered PDF, the holder with an e-mail; returns the facts the tests need."""
    person_id = new_person(app, name=name)
    cert_id = issued_certificate(app, person_id, exam=exam)
    with app.test_request_context():
        person = db.session.get(Person, person_id)
        person.email = f"holder{person_id}@example.org"
        cert = db.session.get(Certificate, cert_id)
        certificate_pdf.render(cert)
        db.session.commit()
        return {"id": cert_id, "serial": cert.serial, "token": cert.token, "name": name,
                "masked": cert.holder_id_masked, "sha": cert.pdf_sha256, "full_id": person.full_id_number(),
                "phone": person.phone, "email": person.email, "pdf": _stored_pdf(cert)}


def _stored_pdf(cert):
    from app.services import files
    from models import Attachment

    with open(files.path_of(db.session.get(Attachment, cert.pdf_id)), "rb") as fh:
        return fh.read()


def _ask(c, serial, name, captcha=None):
    c.get("/verify/")
    return c.post("/verify/", {"serial": serial, "name": name,
                               "captcha": captcha if captcha is not None else captcha_answer(c)})


def _no_leak(text, holder):
    for secret in (holder["full_id"], holder["phone"], holder["email"]):
        assert secret not in text


def _message(text):
    return re.search(r'<div class="alert alert-danger">(.*?)</div>', text, re.S).group(1).strip()


def test_verification_by_number_and_name(app, exam):
    holder = _holder(app, exam)
    c = Client(app)
    page = c.get("/verify/")
    assert page.status_code == 200 and "证书查询" in page.text and "图形验证码" in page.text
    r = _ask(c, holder["serial"], holder["name"])
    assert r.status_code == 200
    for shown in (holder["serial"], holder["name"], holder["masked"], holder["sha"], "有效", "证书查询结果",
                  "颁证机构", "发证日期", "有效期至"):
        assert shown in r.text
    assert f'/verify/c/{holder["token"]}/pdf' in r.text
    _no_leak(r.text, holder)
    # the portal's menu leads everyone here
    assert 'href="/verify/"' in Client(app).get("/portal/").text


def test_wrong_name_answers_like_an_unknown_number(app, exam):
    holder = _holder(app, exam)
    c = Client(app)
    wrong_name = _ask(c, holder["serial"], holder["name"] + "二")
    unknown = _ask(c, "NOPE-000000", holder["name"])
    assert wrong_name.status_code == unknown.status_code == 200
    assert _message(wrong_name.text) == _message(unknown.text) == NOT_FOUND
    assert holder["masked"] not in wrong_name.text and holder["sha"] not in wrong_name.text
    # the name must be the holder's exactly, not a part of it
    assert NOT_FOUND in _ask(c, holder["serial"], holder["name"][:1]).text


def test_wrong_image_code_is_named(app, exam):
    holder = _holder(app, exam)
    c = Client(app)
    r = _ask(c, holder["serial"], holder["name"], captcha="0000")
    assert "图形验证码错误" in r.text and holder["masked"] not in r.text
    # the image code is single use: the same answer twice does not pass
    c.get("/verify/")
    answer = captcha_answer(c)
    assert holder["masked"] in c.post("/verify/", {"serial": holder["serial"], "name": holder["name"],
                                                    "captcha": answer}).text
    assert "图形验证码" in c.post("/verify/", {"serial": holder["serial"], "name": holder["name"],
                                             "captcha": answer}).text
    # empty fields are named
    assert "请填写证书编号" in _ask(c, "", holder["name"]).text


def test_qr_link_shows_the_result_and_unknown_tokens_are_404(app, exam):
    holder = _holder(app, exam)
    with app.test_request_context():
        url = certificates.verification_url(db.session.get(Certificate, holder["id"]))
    assert url.endswith(f'/verify/c/{holder["token"]}') and holder["serial"] not in url
    c = Client(app)
    r = c.get(f'/verify/c/{holder["token"]}')
    assert r.status_code == 200 and holder["serial"] in r.text and "有效" in r.text
    _no_leak(r.text, holder)
    missing = c.get("/verify/c/not-a-token")
    assert missing.status_code == 404 and "未查询到证书" in missing.text and "证书查询" in missing.text


def test_cancelled_certificate_verifies_as_cancelled(app, exam):
    holder = _holder(app, exam)
    with app.test_request_context():
        certificates.cancel(db.session.get(Certificate, holder["id"]), "本人申请注销", _admin())
        db.session.commit()
    c = Client(app)
    for r in (c.get(f'/verify/c/{holder["token"]}'), _ask(c, holder["serial"], holder["name"])):
        assert r.status_code == 200
        assert "已注销" in r.text and "本人申请注销" in r.text and datetime.date.today().isoformat() in r.text


def test_replaced_certificate_points_to_the_new_number(app, exam):
    holder = _holder(app, exam)
    with app.test_request_context():
        new = certificates.new_version(db.session.get(Certificate, holder["id"]), _admin(), reason="遗失补发")
        db.session.commit()
        new_serial = new.serial
    r = Client(app).get(f'/verify/c/{holder["token"]}')
    assert r.status_code == 200
    assert "已被替换" in r.text and "遗失补发" in r.text and new_serial in r.text and "新证书编号" in r.text
    # the new version verifies by its own number and the same name
    assert "有效" in _ask(Client(app), new_serial, holder["name"]).text


def test_expired_certificate_verifies_as_expired(app, exam):
    holder = _holder(app, exam)
    ended = datetime.date.today() - datetime.timedelta(days=3)
    with app.app_context():
        db.session.get(Certificate, holder["id"]).valid_until = ended
        db.session.commit()
    r = Client(app).get(f'/verify/c/{holder["token"]}')
    assert "已过期" in r.text and "过期日期" in r.text and ended.isoformat() in r.text


def _upload(c, token, data, filename="certificate.pdf", csrf=True):
    form = {"pdf": (io.BytesIO(data), filename)}
    if csrf:
        form["csrf_token"] = c.csrf("/verify/")
    return c.http.post(f"/verify/c/{token}/pdf", data=form, content_type="multipart/form-data")


def test_pdf_check_matches_the_issued_file_and_catches_an_edit(app, exam):
    holder = _holder(app, exam)
    assert hashlib.sha256(holder["pdf"]).hexdigest() == holder["sha"]
    c = Client(app)
    same = _upload(c, holder["token"], holder["pdf"])
    assert same.status_code == 200 and "与签发文件一致" in same.text and "不一致" not in same.text
    tampered = holder["pdf"].replace(holder["serial"].encode(), b"X" * len(holder["serial"]), 1)
    if tampered == holder["pdf"]:  # the serial is inside a compressed stream: change a byte near the end
        tampered = holder["pdf"][:-40] + bytes([holder["pdf"][-40] ^ 1]) + holder["pdf"][-39:]
    edited = _upload(c, holder["token"], tampered)
    assert edited.status_code == 200 and "与签发文件不一致，文件可能被修改" in edited.text
    assert hashlib.sha256(tampered).hexdigest() in edited.text
    # a picture is not a PDF; an empty form names the file; over 10 MB is refused with the limit
    assert "只能核验 PDF 文件" in _upload(c, holder["token"], b"\x89PNG\r\n\x1a\nxxxx", "a.png").text
    assert "请选择要核验的 PDF 文件" in _upload(c, holder["token"], b"").text
    big = _upload(c, holder["token"], b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024))
    assert big.status_code == 400 and "文件超过 10 MB" in big.text
    # beyond the request size limit the answer is the same page, not a bare error
    app.config["MAX_CONTENT_LENGTH"], limit = 1024 * 1024, app.config["MAX_CONTENT_LENGTH"]
    try:
        huge = _upload(c, holder["token"], b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024))
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert huge.status_code == 413 and "文件超过 10 MB" in huge.text and "证书查询" in huge.text
    # no CSRF token, no check
    assert _upload(c, holder["token"], holder["pdf"], csrf=False).status_code == 400
    # an unknown token has nothing to compare with
    assert _upload(c, "not-a-token", holder["pdf"]).status_code == 404


def test_json_for_third_parties(app, exam):
    holder = _holder(app, exam)
    http = app.test_client()
    http.environ_base["REMOTE_ADDR"] = Client(app).http.environ_base["REMOTE_ADDR"]
    r = http.get("/verify/api", query_string={"serial": holder["serial"], "name": holder["name"]})
    assert r.status_code == 200 and r.json["found"] is True
    assert r.json["serial"] == holder["serial"] and r.json["id_number"] == holder["masked"]
    assert r.json["state"] == "valid" and r.json["pdf_sha256"] == holder["sha"]
    with app.test_request_context():
        assert set(r.json) == {"found"} | set(certificates.public_facts(db.session.get(Certificate, holder["id"])))
    _no_leak(r.text, holder)
    by_token = http.get(f'/verify/api/c/{holder["token"]}')
    assert by_token.status_code == 200 and by_token.json["serial"] == holder["serial"]
    for query in ({"serial": holder["serial"], "name": "别人"}, {"serial": "NOPE-1", "name": holder["name"]}):
        missing = http.get("/verify/api", query_string=query)
        assert missing.status_code == 404 and missing.json == {"found": False}
    assert http.get("/verify/api/c/not-a-token").json == {"found": False}
    assert http.get("/verify/api", query_string={"serial": holder["serial"]}).status_code == 400


def test_json_is_rate_limited_per_ip(app, exam, monkeypatch):
    holder = _holder(app, exam)
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "3 per minute")
    http = app.test_client()
    http.environ_base["REMOTE_ADDR"] = Client(app).http.environ_base["REMOTE_ADDR"]
    codes = [http.get(f'/verify/api/c/{holder["token"]}').status_code for _ in range(3)]
    limited = http.get("/verify/api", query_string={"serial": holder["serial"], "name": holder["name"]})
    assert codes == [200, 200, 200] and limited.status_code == 429
    assert limited.json["found"] is False and "查询次数过多" in limited.json["message"]
    # another address is not affected
    other = Client(app).http
    assert other.get(f'/verify/api/c/{holder["token"]}').status_code == 200


def test_the_form_lookups_share_the_limit(app, exam, monkeypatch):
    """Each POST of the 证书查询 form counts against the same per-IP limit; showing the form does not."""
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "2 per minute")
    c = Client(app)
    for _ in range(3):
        assert c.get("/verify/").status_code == 200
    codes = [c.post("/verify/", {"serial": "NOPE", "name": "某人", "captcha": "x"}, token_from="/verify/").status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "查询次数过多" in c.post("/verify/", {"serial": "NOPE", "name": "某人"}, token_from="/verify/").text


def test_page_reads_in_english(app, exam):
    holder = _holder(app, exam, name="钱英文")
    c = Client(app)
    c.get("/lang/en")
    page = c.get("/verify/")
    assert "Certificate verification" in page.text and "Image code" in page.text
    r = c.get(f'/verify/c/{holder["token"]}')
    assert "Valid" in r.text and "Issuing organisation" in r.text and "SHA-256 of the issued PDF" in r.text
    assert "证书查询结果" not in r.text
