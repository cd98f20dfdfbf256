"""Certificate rules (SPEC E4–E9, issue 6): numbers by scheme, idempotent issuing,
versions, cancellation, extension and the state a verifier sees."""
import datetime

import pytest

from app.extensions import db
from app.services import certificates
from app.services.certificates import CertificateError
from models import Certificate, CertificateType, PlatformUser, Registration
from tests.results_helpers import issued_certificate, new_person, passed, sat_exam


def _admin():
    return db.session.query(PlatformUser).filter_by(username="association").one()


@pytest.mark.parametrize("scheme, ok", [("{code}{year}{seq:05d}", True), ("ZS-{year}-{seq:06d}", True),
                                        ("{code}{year}", False), ("{code}{name}{seq}", False),
                                        ("{code}{seq:q}", False), ("{seq", False)])
def test_number_scheme_is_checked(app, scheme, ok):
    with app.test_request_context():
        assert (certificates.check_scheme(scheme) is None) is ok


def test_issue_is_idempotent_and_numbers_follow_the_scheme(app):
    exam = sat_exam(app)
    people = [new_person(app) for _ in range(3)]
    regs = [passed(app, exam, p)[0] for p in people]
    with app.app_context():
        ctype = db.session.query(CertificateType).order_by(CertificateType.id).first()
        ctype.number_scheme = "ZS{year}-{seq:04d}"
        db.session.commit()
        year = datetime.date.today().year
        issued = [certificates.issue(db.session.get(Registration, r), _admin()) for r in regs]
        db.session.commit()
        serials = [c.serial for c in issued]
        assert all(s.startswith(f"ZS{year}-") and len(s) == len(f"ZS{year}-0000") for s in serials)
        assert len(set(serials)) == 3
        # the second run issues nothing
        assert [certificates.issue(db.session.get(Registration, r), _admin()) for r in regs] == [None] * 3
        assert certificates.passed_without_certificate(exam["id"]) == []
        cert = issued[0]
        assert cert.valid_until == certificates.add_years(cert.issue_date, ctype.validity_years)
        assert cert.holder_name and cert.holder_id_masked and "*" in cert.holder_id_masked
        assert [e.kind for e in cert.events] == ["issued"]


def test_only_passed_registrations_get_a_certificate(app):
    exam = sat_exam(app)
    from tests.results_helpers import give_scores, seat

    reg, _ = seat(app, exam, new_person(app))
    give_scores(app, reg, {exam["subjects"][0]: 90, exam["subjects"][1]: None})
    with app.test_request_context():
        with pytest.raises(CertificateError, match="has not passed|未通过"):
            certificates.issue(db.session.get(Registration, reg), _admin())
        assert certificates.passed_without_certificate(exam["id"]) == []


def test_new_version_replaces_the_old_one(app):
    cert_id = issued_certificate(app, new_person(app, name="王五"))
    with app.test_request_context():
        old = db.session.get(Certificate, cert_id)
        new = certificates.new_version(old, _admin(), reason="遗失补发", holder_name="王五一")
        db.session.commit()
        assert (new.version, new.holder_name, new.valid_until) == (2, "王五一", old.valid_until)
        assert new.serial != old.serial
        assert certificates.state_of(old).value == "replaced"
        facts = certificates.public_facts(old)
        assert facts["replaced_by"] == new.serial and facts["state_reason"] == "遗失补发"
        with pytest.raises(CertificateError):
            certificates.new_version(old, _admin())


def test_cancel_needs_a_reason_and_cannot_repeat(app):
    cert_id = issued_certificate(app, new_person(app))
    with app.test_request_context():
        cert = db.session.get(Certificate, cert_id)
        with pytest.raises(CertificateError):
            certificates.cancel(cert, " ", _admin())
        certificates.cancel(cert, "持证人申请注销", _admin())
        db.session.commit()
        assert certificates.public_facts(cert)["state"] == "revoked"
        with pytest.raises(CertificateError):
            certificates.cancel(cert, "again", _admin())


def test_expiry_near_expiry_and_extension(app):
    cert_id = issued_certificate(app, new_person(app))
    with app.test_request_context():
        cert = db.session.get(Certificate, cert_id)
        today = datetime.date.today()
        assert not certificates.near_expiry(cert, today, days=90)
        cert.valid_until = today + datetime.timedelta(days=30)
        assert certificates.near_expiry(cert, today, days=90)
        cert.valid_until = today - datetime.timedelta(days=1)
        assert certificates.state_of(cert, today).value == "expired"
        assert certificates.near_expiry(cert, today, days=90)
        before = cert.valid_until
        certificates.extend(cert, _admin(), today=today)
        db.session.commit()
        assert cert.valid_until == certificates.add_years(today, 1)
        assert certificates.state_of(cert, today).value == "valid"
        event = cert.events[-1]
        assert (event.kind, event.valid_until_before, event.valid_until_after) == ("extended", before, cert.valid_until)
