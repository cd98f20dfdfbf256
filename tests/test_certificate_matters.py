"""E6–E8 through HTTP: the service catalogue, reissue and information change (institution
confirmation → Association approval → new version), the holder's edits while returned or
unreviewed, a holder without an institution, and the cancellation request."""
import io

from PIL import Image

from app.extensions import db
from app.services import certificates
from models import Attachment, Certificate, Matter, Person, PlatformUser
from tests.conftest import second_institution_user
from tests.portal_helpers import new_id_number
from tests.results_helpers import issued_certificate, person_of_phone


def institution_of(app, username="institution"):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username=username).one().institution_id


def png(color="white"):
    out = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(out, "PNG")
    return out.getvalue()


def matter_of(app, cert_id, type_code):
    with app.app_context():
        return db.session.query(Matter).filter_by(object_type="Certificate", object_id=cert_id,
                                                   type_code=type_code).order_by(Matter.id.desc()).first()


def state_of(app, matter_id):
    with app.app_context():
        return db.session.get(Matter, matter_id).state


def take(c, name, matter_id, opinion=None):
    data = {"ids": str(matter_id), "csrf_token": c.csrf()}
    if opinion:
        data["opinion"] = opinion
    return c.http.post(f"/matterview/transition/{name}", data=data)


def holder_cert(app, candidate, institution_id=None):
    c, phone, _number = candidate
    return c, issued_certificate(app, person_of_phone(app, phone), institution_id=institution_id
                                 or institution_of(app))


def file_reissue(c, cert_id, scan, name="signed.pdf", **extra):
    data = {"certificate": str(cert_id), "reason_kind": "lost", "reason": "乘地铁时遗失",
            "signed_form": (io.BytesIO(scan), name), **extra}
    return c.post("/portal/certificates/matters/reissue", data, token_from="/portal/certificates/matters/reissue")


def test_service_catalogue_lists_the_online_matters(app, login):
    page = login("candidate").get("/portal/services")
    assert page.status_code == 200
    for name in ("证书补发申请", "证书信息变更申请", "证书注销申请", "年度确认申请"):
        assert name in page.text or name.replace("申请", "") in page.text
    assert "/portal/certificates/matters/reissue" in page.text
    # F1: annual confirmation links only when a certificate is near expiry, else it says why
    assert "/portal/certificates/matters/annual" in page.text or "您的证书目前均无需年度确认" in page.text
    assert "1 个工作日" in page.text  # 年度确认申请's deadline from the catalogue
    assert "在线办理" in page.text
    home = login("candidate").get("/portal/")
    assert "/portal/services" in home.text


def test_reissue_chain_with_return_edit_and_approval(app, login, candidate):
    c, cert_id = holder_cert(app, candidate)
    with app.app_context():
        old_serial = db.session.get(Certificate, cert_id).serial
    page = c.get("/portal/certificates/matters/reissue")
    assert page.status_code == 200 and f'name="certificate" value="{cert_id}"' in page.text and old_serial in page.text
    # the reissue form to print, sign and upload back
    form = c.get(f"/portal/certificates/{cert_id}/reissue-form.pdf")
    assert form.status_code == 200 and form.mimetype == "application/pdf" and form.data.startswith(b"%PDF-")
    # refused: no reason, not a scan, nothing written
    r = file_reissue(c, cert_id, form.data, reason="")
    assert r.status_code == 200 and "请填写：情况说明" in r.text
    r = file_reissue(c, cert_id, b"just some text", name="form.txt")
    assert "只接受 JPG、PNG 或 PDF 格式的文件" in r.text
    assert matter_of(app, cert_id, "certificate_reissue") is None
    r = file_reissue(c, cert_id, form.data)
    assert r.status_code == 302
    matter = matter_of(app, cert_id, "certificate_reissue")
    assert matter.state == "institution_review" and matter.institution_id == institution_of(app)
    first_scan = matter.payload["attachment_ids"][0]
    # one open matter per certificate and kind
    r = file_reissue(c, cert_id, form.data)
    assert "已有一个未办结的同类事项" in r.text
    # in 我的事项 with its stage
    mine = c.get("/portal/me/matters")
    assert matter.business_no in mine.text and "机构初核" in mine.text
    # the reviewer's page shows the content and links the scan; another institution cannot pass or open it
    inst = login("institution")
    show = inst.get(f"/matterview/show/{matter.id}").text
    assert "乘地铁时遗失" in show and f"/files/{first_scan}" in show
    assert inst.get(f"/files/{first_scan}").status_code == 200
    other = login(second_institution_user(app))
    take(other, "pass_institution_review", matter.id)
    assert state_of(app, matter.id) == "institution_review"
    assert other.get(f"/files/{first_scan}").status_code == 404
    # the institution returns it; the holder replaces the scan and resubmits
    take(inst, "return_institution_review", matter.id, "签名不清晰")
    assert state_of(app, matter.id) == "returned"
    edit_url = f"/portal/certificates/matters/item/{matter.id}/edit"
    page = c.get(edit_url)
    assert page.status_code == 200 and "签名不清晰" in page.text
    r = c.post(edit_url, {"reason_kind": "damaged", "reason": "证书被水浸泡损坏",
                          "signed_form": (io.BytesIO(png()), "scan.png")}, token_from=edit_url)
    assert r.status_code == 302
    with app.app_context():
        m = db.session.get(Matter, matter.id)
        assert m.state == "institution_review" and m.payload["reason_kind"] == "damaged"
        (scan_id,) = m.payload["attachment_ids"]
        assert scan_id != first_scan and db.session.get(Attachment, scan_id).content_type == "image/png"
    # still unreviewed: the holder may edit again (saved, no transition)
    r = c.post(edit_url, {"reason_kind": "damaged", "reason": "证书被水浸泡，无法辨认"}, token_from=edit_url)
    assert r.status_code == 302 and state_of(app, matter.id) == "institution_review"
    take(inst, "pass_institution_review", matter.id)
    assert state_of(app, matter.id) == "association_review"
    # a reviewer acted: no more editing
    r = c.get(edit_url, follow_redirects=True)
    assert "不能再修改" in r.text
    r = c.post(edit_url, {"reason_kind": "lost", "reason": "改"}, token_from="/portal/certificates/matters/reissue",
               follow_redirects=True)
    assert "不能再修改" in r.text
    take(login("association"), "pass_association_review", matter.id)
    with app.app_context():
        m = db.session.get(Matter, matter.id)
        old = db.session.get(Certificate, cert_id)
        new = db.session.get(Certificate, m.payload["new_certificate_id"])
        assert m.state == "done" and m.payload["reason"] == "证书被水浸泡，无法辨认"
        assert old.status == "replaced" and old.replaced_by_id == new.id
        assert new.serial != old_serial and new.version == 2 and new.status == "valid"
        assert new.pdf_id is not None and new.pdf_sha256
        assert [e.kind for e in old.events][-1] == "replaced" and old.events[-1].matter_id == m.id
    assert "已完结" in c.get(f"/portal/certificates/matters/item/{matter.id}").text


def test_change_chain_issues_a_version_with_the_new_holder_data(app, login, candidate):
    c, cert_id = holder_cert(app, candidate)
    url = "/portal/certificates/matters/change"
    new_number = new_id_number()
    base = {"certificate": str(cert_id), "new_name": "王五", "new_id_number": new_number, "reason": "姓名登记有误"}
    r = c.post(url, {**base, "new_id_number": "123"}, token_from=url)
    assert "新证件号码" in r.text
    r = c.post(url, base, token_from=url)
    assert "请选择文件：证明材料" in r.text
    r = c.post(url, {**base, "documents": [(io.BytesIO(png()), "户籍证明.png"),
                                           (io.BytesIO(png("gray")), "身份证.png")]}, token_from=url)
    assert r.status_code == 302
    matter = matter_of(app, cert_id, "certificate_change")
    assert len(matter.payload["attachment_ids"]) == 2 and new_number not in str(matter.payload)
    # returned; the holder removes one document and adds another
    inst = login("institution")
    take(inst, "return_institution_review", matter.id, "请补充更名证明")
    edit_url = f"/portal/certificates/matters/item/{matter.id}/edit"
    assert new_number in c.get(edit_url).text  # the holder's own value, to correct
    removed = matter.payload["attachment_ids"][0]
    r = c.post(edit_url, {**base, "new_name": "王小五", "remove": str(removed),
                          "documents": (io.BytesIO(png("blue")), "更名证明.png")}, token_from=edit_url)
    assert r.status_code == 302
    with app.app_context():
        m = db.session.get(Matter, matter.id)
        assert m.state == "institution_review" and removed not in m.payload["attachment_ids"]
        assert len(m.payload["attachment_ids"]) == 2 and m.payload["new_name"] == "王小五"
    take(inst, "pass_institution_review", matter.id)
    show = login("association").get(f"/matterview/show/{matter.id}").text
    assert "王小五" in show and "更名证明.png" in show
    take(login("association"), "pass_association_review", matter.id)
    with app.app_context():
        m = db.session.get(Matter, matter.id)
        new = db.session.get(Certificate, m.payload["new_certificate_id"])
        old = db.session.get(Certificate, cert_id)
        assert new.holder_name == "王小五" and new.holder_id_masked == new_number[:6] + "********" + new_number[-4:]
        assert old.status == "replaced" and old.holder_name != "王小五"
        # the person's profile stays the holder's own
        assert db.session.get(Person, old.person_id).name == old.holder_name
        facts = certificates.public_facts(new)
        assert facts["holder_name"] == "王小五" and facts["state"] == "valid"


def test_holder_without_institution_goes_straight_to_the_association(app, login, candidate):
    c, cert_id = holder_cert(app, candidate)
    with app.app_context():
        db.session.get(Certificate, cert_id).institution_id = None
        db.session.commit()
    assert file_reissue(c, cert_id, png(), name="scan.png").status_code == 302
    matter = matter_of(app, cert_id, "certificate_reissue")
    assert matter.state == "association_review" and matter.institution_id is None
    with app.app_context():
        assert [(h.transition, h.to_state) for h in db.session.get(Matter, matter.id).history] == [
            ("submit", "association_review")]
    # still unreviewed there: the holder may edit
    assert "修改附件" in c.get(f"/portal/certificates/matters/item/{matter.id}").text
    take(login("institution"), "pass_institution_review", matter.id)
    assert state_of(app, matter.id) == "association_review"
    take(login("association"), "pass_association_review", matter.id)
    with app.app_context():
        assert db.session.get(Certificate, cert_id).status == "replaced"


def test_cancellation_request_approved_cancels(app, login, candidate):
    c, cert_id = holder_cert(app, candidate)
    url = "/portal/certificates/matters/cancellation"
    r = c.post(url, {"certificate": str(cert_id), "reason": ""}, token_from=url)
    assert "请填写：注销原因" in r.text
    assert c.post(url, {"certificate": str(cert_id), "reason": "本人不再从事该工作"}, token_from=url).status_code == 302
    matter = matter_of(app, cert_id, "certificate_cancellation")
    assert matter.state == "association_review"
    take(login("association"), "pass_association_review", matter.id)
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert cert.status == "revoked" and cert.status_reason == "本人不再从事该工作"
        assert str(certificates.state_of(cert).label) == "已注销"
    # a cancelled certificate is offered for nothing any more
    assert f'name="certificate" value="{cert_id}"' not in c.get(url).text
    assert f'name="certificate" value="{cert_id}"' not in c.get("/portal/certificates/matters/reissue").text


def test_nobody_files_for_or_sees_someone_elses_certificate(app, login, candidate):
    c, cert_id = holder_cert(app, candidate)
    assert file_reissue(c, cert_id, png(), name="scan.png").status_code == 302
    matter = matter_of(app, cert_id, "certificate_reissue")
    other = login("candidate")  # the demo candidate
    assert other.get(f"/portal/certificates/{cert_id}/reissue-form.pdf").status_code == 404
    assert other.get(f"/portal/certificates/matters/item/{matter.id}").status_code == 404
    assert other.get(f"/portal/certificates/matters/item/{matter.id}/edit").status_code == 404
    with app.app_context():
        serial = db.session.get(Certificate, cert_id).serial
    assert serial not in other.get("/portal/certificates/matters/change").text
    r = other.post("/portal/certificates/matters/cancellation", {"certificate": str(cert_id), "reason": "x"},
                   token_from="/portal/certificates/matters/cancellation")
    assert r.status_code == 404
    assert other.get(f"/files/{matter.payload['attachment_ids'][0]}").status_code == 404
    assert matter_of(app, cert_id, "certificate_cancellation") is None
    assert other.get("/portal/certificates/matters/unknown").status_code == 404
    # not logged in: the login page
    anonymous = c.__class__(app)
    assert anonymous.get("/portal/certificates/matters/reissue").status_code == 302
