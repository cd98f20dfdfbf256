"""颁发证书, the certificate PDF, 证书导入, the back-office list and cancellation (SPEC E4, E5, E8),
through HTTP with real logins, real workbooks and real PDFs."""
import datetime
import hashlib
import io
import shutil
import subprocess
import threading

import openpyxl
import pytest
from sqlalchemy import func

from app.extensions import db
from app.services import certificate_pdf, certificates, files
from models import Attachment, Certificate, CertificateEvent, CertificateType, Person, PlatformUser, Registration
from tests.conftest import second_institution_user, wait_for_job
from tests.portal_helpers import new_id_number
from tests.results_helpers import give_scores, issued_certificate, new_person, passed, sat_exam, seat
from tests.test_registration_concurrency import db_dialect

pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")


def _pdf_text(data):
    run = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return run.stdout.decode()


def _stored(cert):
    attachment = db.session.get(Attachment, cert.pdf_id)
    with open(files.path_of(attachment), "rb") as fh:
        return attachment, fh.read()


def _certs_of(app, plan_id):
    with app.app_context():
        return (db.session.query(Certificate).join(Registration, Registration.id == Certificate.registration_id)
                .filter(Registration.exam_plan_id == plan_id).order_by(Certificate.id).all())


def _exam_with(app, passing=3, failing=1):
    exam = sat_exam(app)
    regs = [passed(app, exam, new_person(app))[0] for _ in range(passing)]
    for _ in range(failing):
        reg, _t = seat(app, exam, new_person(app))
        give_scores(app, reg, {exam["subjects"][0]: 20, exam["subjects"][1]: 30}, publish=True)
    return exam, regs


# --- the PDF ----------------------------------------------------------------------------------------------
@pdftotext
def test_pdf_is_stored_with_its_hash_and_carries_the_facts(app):
    cert_id = issued_certificate(app, new_person(app, name="欧阳明慧"))
    with app.test_request_context():
        cert = db.session.get(Certificate, cert_id)
        item = certificate_pdf.render(cert)
        db.session.commit()
        attachment, data = _stored(cert)
        assert data.startswith(b"%PDF-") and attachment.kind == "certificate"
        assert cert.pdf_sha256 == hashlib.sha256(data).hexdigest() == attachment.sha256
        assert attachment.id == item.id and attachment.person_id == cert.person_id
        text = _pdf_text(data)
        for fact in (cert.serial, "欧阳明慧", cert.holder_id_masked, cert.certificate_type.name, "扫码验证",
                     cert.token, cert.certificate_type.issuer):
            assert fact in text.replace("\n", " ").replace(" ", "") or fact in text, fact
        # the same certificate renders to the same bytes: the hash a verifier compares is stable
        assert hashlib.sha256(certificate_pdf.pdf_bytes(cert)).hexdigest() == cert.pdf_sha256


# --- 颁发证书 ----------------------------------------------------------------------------------------------
def test_batch_issuing_is_idempotent(app, login):
    exam, regs = _exam_with(app)
    c = login("association")
    page = c.get("/certificate-issue/")
    assert page.status_code == 200 and "颁发证书" in page.text
    day = datetime.date.today() - datetime.timedelta(days=3)
    r = c.post(f"/certificate-issue/{exam['id']}", {"issue_date": day.isoformat()}, token_from="/certificate-issue/")
    assert r.status_code == 302
    assert "已颁发 3 本证书" in c.get("/certificate-issue/").text
    first = _certs_of(app, exam["id"])
    assert sorted(c_.registration_id for c_ in first) == sorted(regs)  # the failed one has none
    with app.app_context():
        for cert in first:
            cert = db.session.get(Certificate, cert.id)
            assert cert.issue_date == day
            assert cert.valid_until == certificates.add_years(day, cert.certificate_type.validity_years)
            _attachment, data = _stored(cert)
            assert hashlib.sha256(data).hexdigest() == cert.pdf_sha256
    # the second run issues nothing
    c.post(f"/certificate-issue/{exam['id']}", {"issue_date": day.isoformat()})  # nothing left: no form to show
    assert "已颁发 0 本证书" in c.get("/certificate-issue/").text
    assert [x.id for x in _certs_of(app, exam["id"])] == [x.id for x in first]


def test_bad_issue_date_issues_nothing(app, login):
    exam, _regs = _exam_with(app, passing=1, failing=0)
    c = login("association")
    c.post(f"/certificate-issue/{exam['id']}", {"issue_date": "2026-02-30"}, token_from="/certificate-issue/")
    assert "发证日期" in c.get("/certificate-issue/").text
    assert _certs_of(app, exam["id"]) == []


def test_large_batch_runs_as_a_job_with_progress(app, login):
    exam, regs = _exam_with(app, passing=4, failing=0)
    c = login("association")
    before, app.config["CERTIFICATE_SYNC_MAX"] = app.config["CERTIFICATE_SYNC_MAX"], 2
    try:
        r = c.post(f"/certificate-issue/{exam['id']}", {"issue_date": datetime.date.today().isoformat()},
                   token_from="/certificate-issue/")
    finally:
        app.config["CERTIFICATE_SYNC_MAX"] = before
    assert r.status_code == 302 and "/certificate-issue/job/" in r.location
    job_id = int(r.location.rstrip("/").rsplit("/", 1)[1])
    assert "job-progress" in c.get(r.location).text
    state = wait_for_job(c, job_id)
    assert state["status"] == "done" and state["result"]["issued"] == 4, state
    assert len(_certs_of(app, exam["id"])) == 4
    # an institution user does not see the Association's job
    assert login("institution").get(f"/jobs/{job_id}").status_code == 404


def test_two_batches_at_once_issue_one_certificate_each(app):
    if db_dialect(app) != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")
    exam, regs = _exam_with(app, passing=12, failing=0)
    gate = threading.Barrier(2)
    counts, errors = [], []

    def batch():
        with app.test_request_context():
            try:
                user = db.session.query(PlatformUser).filter_by(username="association").one()
                gate.wait(timeout=30)
                counts.append(certificate_pdf.issue_batch(exam["id"], user, datetime.date.today()))
            except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
                errors.append(exc)
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [threading.Thread(target=batch) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert sum(counts) == 12
    certs = _certs_of(app, exam["id"])
    assert sorted(c.registration_id for c in certs) == sorted(regs)
    assert len({c.serial for c in certs}) == 12 and all(c.pdf_sha256 for c in certs)


@pytest.mark.parametrize("user", ["institution", "expert", "support", "finance"])
def test_only_the_association_issues(app, login, user):
    exam, _regs = _exam_with(app, passing=1, failing=0)
    c = login(user)
    assert c.get("/certificate-issue/").status_code in (302, 403)
    r = c.post(f"/certificate-issue/{exam['id']}", {"issue_date": datetime.date.today().isoformat()})
    assert r.status_code in (302, 403)
    assert _certs_of(app, exam["id"]) == []


def test_candidate_cannot_issue(app, login):
    exam, _regs = _exam_with(app, passing=1, failing=0)
    c = login("candidate")
    assert c.get("/certificate-issue/").status_code in (302, 403)
    c.post(f"/certificate-issue/{exam['id']}", {"issue_date": datetime.date.today().isoformat()},
           token_from="/portal/me")
    assert _certs_of(app, exam["id"]) == []


# --- the list, the page, cancellation ------------------------------------------------------------------------
def _institution_id(app, username):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username=username).one().institution_id


def test_list_shows_state_and_institutions_see_their_own(app, login):
    own = _institution_id(app, "institution")
    other_user = second_institution_user(app)
    other = _institution_id(app, other_user)
    mine = issued_certificate(app, new_person(app, name="本机构人", institution_id=own), institution_id=own)
    theirs = issued_certificate(app, new_person(app, name="他机构人", institution_id=other), institution_id=other)
    with app.app_context():
        cert = db.session.get(Certificate, mine)
        cert.valid_until = datetime.date.today() - datetime.timedelta(days=1)
        db.session.commit()
        mine_serial, theirs_serial = cert.serial, db.session.get(Certificate, theirs).serial
    a = login("association")
    page = a.get(f"/certificateview/list/?_flt_0_serial={mine_serial}")
    assert mine_serial in page.text and "已过期" in page.text and "本机构人" in page.text
    export = a.get(f"/certificateview/export/?_flt_0_serial={mine_serial}")
    rows = list(openpyxl.load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert "已过期" in rows[1] and "本机构人" in rows[1]
    show = a.get(f"/certificateview/show/{mine}")
    assert show.status_code == 200 and "颁发" in show.text and "注销证书" in show.text
    i = login("institution")
    assert f"/certificateview/show/{mine}" in i.get(f"/certificateview/list/?_flt_0_serial={mine_serial}").text
    assert f"/certificateview/show/{theirs}" not in i.get(f"/certificateview/list/?_flt_0_serial={theirs_serial}").text
    assert f"/certificateview/show/{theirs}" in a.get(f"/certificateview/list/?_flt_0_serial={theirs_serial}").text
    show = i.get(f"/certificateview/show/{mine}")
    assert show.status_code == 200 and "注销证书" not in show.text
    assert i.get(f"/certificateview/show/{theirs}").status_code in (302, 404)
    pdf = i.get(f"/certificateview/pdf/{mine}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert i.get(f"/certificateview/pdf/{theirs}").status_code == 404
    with app.app_context():
        cert = db.session.get(Certificate, mine)
        assert cert.pdf_sha256 == hashlib.sha256(pdf.data).hexdigest()
    assert cert.pdf_sha256 in a.get(f"/certificateview/show/{mine}").text


def test_association_cancels_with_a_reason_institution_cannot(app, login):
    own = _institution_id(app, "institution")
    cert_id = issued_certificate(app, new_person(app, institution_id=own), institution_id=own)
    for user in ("institution", "expert", "support", "finance"):
        r = login(user).post(f"/certificateview/cancel/{cert_id}", {"reason": "想注销"})
        assert r.status_code in (302, 403) and "/show/" not in (r.location or "")
    candidate = login("candidate")
    r = candidate.post(f"/certificateview/cancel/{cert_id}", {"reason": "想注销"}, token_from="/portal/me")
    assert r.status_code in (302, 403) and "/show/" not in (r.location or "")
    with app.app_context():
        assert db.session.get(Certificate, cert_id).status == "valid"
    a = login("association")
    a.post(f"/certificateview/cancel/{cert_id}", {"reason": "  "}, token_from=f"/certificateview/show/{cert_id}")
    with app.app_context():
        assert db.session.get(Certificate, cert_id).status == "valid"
    a.post(f"/certificateview/cancel/{cert_id}", {"reason": "以欺骗手段取得"},
           token_from=f"/certificateview/show/{cert_id}")
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert (cert.status, cert.status_reason) == ("revoked", "以欺骗手段取得")
        assert [e.kind for e in cert.events] == ["issued", "cancelled"]
    page = a.get(f"/certificateview/show/{cert_id}").text
    assert "已注销" in page and "以欺骗手段取得" in page


# --- 证书导入 ------------------------------------------------------------------------------------------------
HEADERS = ["证书编号", "姓名", "证件类型", "证件号码", "证书名称", "发证日期", "有效期至", "所属机构"]


def _workbook(rows):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(c, data):
    r = c.post("/imports/certificates/upload/certificates", {"file": (io.BytesIO(data), "certs.xlsx")},
               token_from="/imports/certificates/", content_type="multipart/form-data")
    assert r.status_code == 302, r.text[:300]
    return wait_for_job(c, int(r.location.rstrip("/").rsplit("/", 1)[1]))


def test_import_refuses_bad_rows_then_imports_the_fixed_file(app, login):
    taken_id = issued_certificate(app, new_person(app))
    existing_id = new_person(app, name="老持证人")
    with app.app_context():
        ctype = db.session.query(CertificateType).order_by(CertificateType.id).first()
        taken = db.session.get(Certificate, taken_id).serial
        existing_number = db.session.get(Person, existing_id).full_id_number()
        institution = db.session.query(PlatformUser).filter_by(username="institution").one().institution
        ctype_name, ctype_code, validity = ctype.name, ctype.code, ctype.validity_years
        institution_id, institution_name = institution.id, institution.name
    n = datetime.datetime.now().strftime("%H%M%S%f")
    fresh = new_id_number()
    bad = [
        [f"OLD{n}1", "新持证人", "居民身份证", fresh, ctype_name, "2019-05-01", "2025-04-30", institution_name],
        [f"OLD{n}1", "新持证人", "居民身份证", fresh, ctype_code, "2019-05-01", "2025-04-30", ""],  # same number
        [taken, "另一人", "居民身份证", new_id_number(), ctype_code, "2019-05-01", "", ""],  # number in the DB
        [f"OLD{n}3", "王小二", "居民身份证", existing_number, ctype_code, "2019-05-01", "", ""],  # name differs
        [f"OLD{n}4", "赵六", "居民身份证", new_id_number(), "没有这个证书", "2019-05-01", "", ""],
        [f"OLD{n}5", "钱七", "居民身份证", new_id_number(), ctype_code, "2019-02-30", "", ""],
        [f"OLD{n}6", "孙八", "居民身份证", new_id_number(), ctype_code, "2020-05-01", "2020-04-01", ""],
    ]
    a = login("association")
    state = _upload(a, _workbook(bad))
    assert state["status"] == "done" and state["result"]["errors"] >= 6, state
    report = a.get(f"/files/{state['result']['attachment_id']}")
    rows = list(openpyxl.load_workbook(io.BytesIO(report.data)).active.iter_rows(min_row=2, values_only=True))
    reasons = {(row[0], row[1]) for row in rows}
    assert {(3, "证书编号"), (4, "证书编号"), (5, "姓名"), (6, "证书名称"), (7, "发证日期"), (8, "有效期至")} <= reasons
    with app.app_context():
        assert db.session.query(Certificate).filter(Certificate.serial.like(f"OLD{n}%")).count() == 0
        assert db.session.query(Person).filter_by(name="新持证人").count() == 0
    good = [bad[0], [f"OLD{n}3", "老持证人", "居民身份证", existing_number, ctype_code, "2018-03-01", "", ""]]
    state = _upload(a, _workbook(good))
    assert state["status"] == "done" and state["result"]["errors"] == 0 and state["result"]["created"] == 2, state
    with app.app_context():
        certs = db.session.query(Certificate).filter(Certificate.serial.like(f"OLD{n}%")).order_by(
            Certificate.serial).all()
        assert [c.source for c in certs] == ["imported", "imported"]
        first, second = certs
        assert first.holder_name == "新持证人" and "*" in first.holder_id_masked
        assert first.valid_until == datetime.date(2025, 4, 30) and first.institution_id == institution_id
        assert second.person_id == existing_id
        assert second.valid_until == certificates.add_years(datetime.date(2018, 3, 1), validity)
        assert certificates.state_of(first).value == "expired"
        for cert in certs:
            assert [e.kind for e in cert.events] == ["imported"]
            _attachment, data = _stored(cert)
            assert hashlib.sha256(data).hexdigest() == cert.pdf_sha256
        holder = db.session.query(Person).filter_by(name="新持证人").one()
        assert holder.id_number_hash and holder.full_id_number() == fresh
        assert db.session.query(func.count(CertificateEvent.id)).filter(
            CertificateEvent.certificate_id.in_([c.id for c in certs])).scalar() == 2
    # importing the same file again refuses it: the numbers exist now
    state = _upload(a, _workbook(good))
    assert state["result"]["errors"] == 2


def test_import_template_has_the_columns(app, login):
    a = login("association")
    r = a.get("/imports/certificates/template/certificates")
    assert r.status_code == 200
    headers = [str(v or "").lstrip("*") for v in next(openpyxl.load_workbook(io.BytesIO(r.data)).active.iter_rows(
        min_row=2, max_row=2, values_only=True))]
    assert headers[:7] == HEADERS[:7] and "所属机构" in headers[7]


@pytest.mark.parametrize("user", ["institution", "expert", "support", "candidate"])
def test_only_the_association_imports(app, login, user):
    c = login(user)
    assert c.get("/imports/certificates/").status_code in (302, 403)
    r = c.post("/imports/certificates/upload/certificates", {"file": (io.BytesIO(_workbook([])), "certs.xlsx")},
               token_from="/portal/me" if user == "candidate" else None, content_type="multipart/form-data")
    assert r.status_code in (302, 403)
    assert "/imports/certificates/job/" not in (r.location or "")


# --- the certificate type's number scheme -----------------------------------------------------------------
def test_certificate_type_form_checks_the_number_scheme(app, login):
    a = login("association")
    with app.app_context():
        ctype = db.session.query(CertificateType).order_by(CertificateType.id.desc()).first()
        pk, before = ctype.id, ctype.number_scheme
        form = {"code": ctype.code, "name": ctype.name, "level": ctype.level, "issuer": ctype.issuer,
                "validity_years": ctype.validity_years, "enabled": "y"}
    r = a.post(f"/certificatetypeview/edit/{pk}", {**form, "number_scheme": "{code}{year}"},
               token_from=f"/certificatetypeview/edit/{pk}")
    assert "{seq}" in r.text or "{seq}" in a.get(f"/certificatetypeview/edit/{pk}").text
    with app.app_context():
        assert db.session.get(CertificateType, pk).number_scheme == before
    a.post(f"/certificatetypeview/edit/{pk}", {**form, "number_scheme": "ZS-{year}-{seq:06d}"},
           token_from=f"/certificatetypeview/edit/{pk}")
    with app.app_context():
        ctype = db.session.get(CertificateType, pk)
        assert ctype.number_scheme == "ZS-{year}-{seq:06d}"
        ctype.number_scheme = before
        db.session.commit()
