"""E9 through HTTP: annual confirmation is offered only for certificates near expiry or expired,
the form's answers are checked field by field, institution review → Association approval
extends the validity with the history kept."""
import datetime

from app.extensions import db
from app.services.certificates import add_years
from models import Certificate, CertificateEvent, Matter
from tests.conftest import second_institution_user
from tests.test_certificate_matters import holder_cert, matter_of, state_of, take

URL = "/portal/certificates/matters/annual"
TOKEN_PAGE = "/portal/me/password"  # a page with a form, also when the annual page has none
TODAY = datetime.date.today()


def expiring(app, cert_id, days):
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        cert.valid_until = TODAY + datetime.timedelta(days=days)
        db.session.commit()
        return cert.valid_until


def answers(cert_id, **extra):
    return {"certificate": str(cert_id), "complaints": "no", "cpd_done": "yes", "still_fit": "yes",
            "code_of_conduct": "yes", "cpd_start": f"{TODAY.year - 1}-03-01", "cpd_end": f"{TODAY.year - 1}-06-30",
            "year": str(TODAY.year), "cpd_content": "参加质量管理体系审核员继续教育 24 学时", "remarks": "", **extra}


def test_nothing_to_confirm_far_from_expiry(app, candidate):
    c, cert_id = holder_cert(app, candidate)
    expiring(app, cert_id, 400)
    page = c.get(URL)
    assert page.status_code == 200 and "没有需要进行年度确认的证书" in page.text
    r = c.post(URL, answers(cert_id), token_from=TOKEN_PAGE)
    assert r.status_code == 200 and "暂不需要年度确认" in r.text
    assert matter_of(app, cert_id, "annual_confirmation") is None


def test_near_expiry_confirmation_extends_validity(app, login, candidate):
    c, cert_id = holder_cert(app, candidate)
    before = expiring(app, cert_id, 30)
    page = c.get(URL)
    assert f'name="certificate" value="{cert_id}"' in page.text
    for question in ("是否有投诉记录", "是否完成专业发展/继续教育", "确认年度", "专业发展内容", "备注"):
        assert question in page.text
    # each refusal names its field; nothing is filed
    r = c.post(URL, answers(cert_id, complaints=""), token_from=TOKEN_PAGE)
    assert "请回答：是否有投诉记录" in r.text
    r = c.post(URL, answers(cert_id, cpd_start=f"{TODAY.year}-06-01", cpd_end=f"{TODAY.year}-01-01"),
               token_from=TOKEN_PAGE)
    assert "专业发展结束时间早于开始时间" in r.text
    r = c.post(URL, answers(cert_id, cpd_start="2025-13-01"), token_from=TOKEN_PAGE)
    assert "专业发展开始时间不是有效日期" in r.text
    r = c.post(URL, answers(cert_id, year="1999"), token_from=TOKEN_PAGE)
    assert "请选择：确认年度" in r.text
    assert matter_of(app, cert_id, "annual_confirmation") is None
    assert c.post(URL, answers(cert_id), token_from=TOKEN_PAGE).status_code == 302
    matter = matter_of(app, cert_id, "annual_confirmation")
    assert matter.state == "institution_review" and matter.payload["cpd_done"] is True
    assert matter.payload["valid_until_before"] == before.isoformat()
    # one open confirmation per certificate: not offered, and refused when posted
    assert f'name="certificate" value="{cert_id}"' not in c.get(URL).text
    assert "已有一个未办结的同类事项" in c.post(URL, answers(cert_id), token_from=TOKEN_PAGE).text
    assert matter.business_no in c.get("/portal/me/matters").text
    # another institution cannot pass it; its own does, the Association approves
    take(login(second_institution_user(app)), "pass_institution_review", matter.id)
    assert state_of(app, matter.id) == "institution_review"
    take(login("institution"), "pass_institution_review", matter.id)
    association = login("association")
    show = association.get(f"/matterview/show/{matter.id}").text
    assert "参加质量管理体系审核员继续教育" in show and before.isoformat() in show
    take(association, "pass_association_review", matter.id)
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert cert.valid_until == add_years(before, 1)
        event = db.session.query(CertificateEvent).filter_by(certificate_id=cert_id, kind="extended").one()
        assert (event.valid_until_before, event.valid_until_after, event.matter_id) == (before, cert.valid_until,
                                                                                      matter.id)
        assert db.session.get(Matter, matter.id).payload["valid_until_after"] == cert.valid_until.isoformat()
    page = c.get(f"/portal/certificates/matters/item/{matter.id}").text
    assert before.isoformat() in page and add_years(before, 1).isoformat() in page
    # extended a year: nothing to confirm any more
    assert "没有需要进行年度确认的证书" in c.get(URL).text


def test_expired_certificate_is_offered_and_extended_from_today(app, login, candidate):
    c, cert_id = holder_cert(app, candidate)
    expiring(app, cert_id, -10)
    assert f'name="certificate" value="{cert_id}"' in c.get(URL).text
    assert c.post(URL, answers(cert_id, cpd_done="no", cpd_start="", cpd_end="", cpd_content=""),
                  token_from=TOKEN_PAGE).status_code == 302
    matter = matter_of(app, cert_id, "annual_confirmation")
    take(login("institution"), "pass_institution_review", matter.id)
    take(login("association"), "pass_association_review", matter.id)
    with app.app_context():
        assert db.session.get(Certificate, cert_id).valid_until == add_years(TODAY, 1)


def test_someone_elses_certificate_cannot_be_confirmed(app, login, candidate):
    c, cert_id = holder_cert(app, candidate)
    expiring(app, cert_id, 30)
    other = login("candidate")
    assert f'value="{cert_id}"' not in other.get(URL).text
    assert other.post(URL, answers(cert_id), token_from=TOKEN_PAGE).status_code == 404
    assert matter_of(app, cert_id, "annual_confirmation") is None
