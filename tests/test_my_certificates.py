"""我的证书 (SPEC E4, E5): the holder sees and downloads their own certificates, with state,
version and the verification link; nobody downloads another person's certificate."""
import datetime
import hashlib

from app.extensions import db
from app.services import certificates
from models import Certificate, PlatformUser
from tests.conftest import Client, second_institution_user
from tests.results_helpers import issued_certificate, new_person, person_of_phone, person_of_user


def test_holder_sees_and_downloads_own_certificates(app, login):
    person = person_of_user(app, "candidate")
    valid = issued_certificate(app, person)
    cancelled = issued_certificate(app, person)
    with app.app_context():
        admin = db.session.query(PlatformUser).filter_by(username="association").one()
        cert = db.session.get(Certificate, cancelled)
        certificates.cancel(cert, "以欺骗手段取得", admin)
        db.session.commit()
        valid_cert = db.session.get(Certificate, valid)
        serial, token, pdf_id = valid_cert.serial, valid_cert.token, valid_cert.pdf_id
        cancelled_serial = cert.serial
    assert pdf_id is None  # made on the first download
    c = login("candidate")
    page = c.get("/portal/certificates")
    assert page.status_code == 200
    assert serial in page.text and cancelled_serial in page.text
    assert "有效" in page.text and "已注销" in page.text and "以欺骗手段取得" in page.text
    assert f"/verify/c/{token}" in page.text
    assert "我的证书" in c.get("/portal/me").text  # the portal's menu
    # the valid certificate offers its matters (E6–E8), the cancelled one none
    assert f"/portal/certificates/matters/reissue?cert={valid}" in page.text
    assert f"/portal/certificates/matters/cancellation?cert={valid}" in page.text
    assert f"cert={cancelled}" not in page.text
    assert f"/portal/certificates/matters/annual?cert={valid}" not in page.text  # far from expiry
    pdf = c.get(f"/portal/certificates/{valid}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    with app.app_context():
        cert = db.session.get(Certificate, valid)
        assert cert.pdf_sha256 == hashlib.sha256(pdf.data).hexdigest()
    # the second download is the same stored file
    assert c.get(f"/portal/certificates/{valid}.pdf").data == pdf.data


def test_expired_certificate_shows_as_expired(app, login):
    person = person_of_user(app, "candidate")
    cert_id = issued_certificate(app, person)
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        cert.valid_until = datetime.date.today() - datetime.timedelta(days=2)
        db.session.commit()
        serial = cert.serial
    text = login("candidate").get("/portal/certificates").text
    block = text[text.index(serial) - 600:text.index(serial)]
    assert "已过期" in block


def test_nobody_downloads_another_persons_certificate(app, login, candidate):
    """Another candidate, an institution user of another institution and anonymous visitors."""
    own = login("institution")
    with app.app_context():
        own_institution = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
    holder = new_person(app, name="持证人甲", institution_id=own_institution)
    cert_id = issued_certificate(app, holder, institution_id=own_institution)
    # the logged-in candidate of the fixture is another person
    other_client, phone, _number = candidate
    assert person_of_phone(app, phone) != holder
    assert other_client.get(f"/portal/certificates/{cert_id}.pdf").status_code == 404
    assert "持证人甲" not in other_client.get("/portal/certificates").text
    demo = login("candidate")
    assert demo.get(f"/portal/certificates/{cert_id}.pdf").status_code == 404
    assert demo.get("/portal/certificates/999999999.pdf").status_code == 404  # the same answer
    # anonymous: to the login page, no PDF
    anonymous = Client(app)
    r = anonymous.get(f"/portal/certificates/{cert_id}.pdf")
    assert r.status_code == 302 and "/portal/login" in r.location
    assert anonymous.get(f"/certificateview/pdf/{cert_id}").status_code in (302, 401, 403)
    # an institution user of another institution: not through the back office either
    other = login(second_institution_user(app))
    assert other.get(f"/certificateview/pdf/{cert_id}").status_code == 404
    assert other.get(f"/portal/certificates/{cert_id}.pdf").status_code == 404
    # the holder's own institution may (its own rows), and the file's own download checks the scope too
    pdf = own.get(f"/certificateview/pdf/{cert_id}")
    assert pdf.status_code == 200
    with app.app_context():
        pdf_id = db.session.get(Certificate, cert_id).pdf_id
    assert other.get(f"/files/{pdf_id}").status_code in (403, 404)
    assert other_client.get(f"/files/{pdf_id}").status_code in (403, 404)
    assert anonymous.get(f"/files/{pdf_id}").status_code in (302, 401, 403, 404)
