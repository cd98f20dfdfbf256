"""My profile, phone rebinding, e-mail activation and photos (SPEC A6, A7; issue 3)."""
import datetime
import io
import re

import pytest
from freezegun import freeze_time
from PIL import Image

from app.extensions import db
from app.services import photos
from models import Attachment, Delivery, Person, PlatformUser, UploadToken
from tests.conftest import Client
from tests.portal_helpers import (
    captcha_answer,
    let_time_pass,
    new_phone,
    register,
    request_code,
    sms_code,
)


def picture(size=(295, 413), colour=(255, 255, 255), fmt="JPEG", face=True):
    image = Image.new("RGB", size, colour)
    if face:  # something in the middle, like a head
        for x in range(size[0] // 3, 2 * size[0] // 3):
            for y in range(size[1] // 4, size[1] // 2):
                image.putpixel((x, y), (200, 160, 140))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def upload(c, url, data, name="photo.jpg", token_from=None):
    token = c.csrf(token_from or url)
    return c.http.post(url, data={"csrf_token": token, "photo": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def person_for(app, phone):
    with app.app_context():
        return db.session.query(Person).filter_by(phone=phone).one()


def test_edit_profile_and_activate_the_new_email(app, candidate):
    c, phone, number = candidate
    r = c.post("/portal/me/edit", {"name": "张三", "email": "zhang.new@example.org"}, token_from="/portal/me/edit")
    assert r.status_code == 302
    person = person_for(app, phone)
    assert person.name == "张三" and person.email == "zhang.new@example.org" and not person.email_verified
    assert person.id_number_masked == number[:6] + "********" + number[-4:]  # untouched
    with app.app_context():
        mail = db.session.query(Delivery).filter_by(recipient="zhang.new@example.org").order_by(
            Delivery.id.desc()).first()
    link = re.search(r"/portal/email/activate/\S+", mail.body).group(0)
    assert "已激活" not in c.get("/portal/me").text
    c.get(link)
    assert person_for(app, phone).email_verified
    assert "已激活" in c.get("/portal/me").text
    assert "无效" in c.get(link[:-3] + "abc", follow_redirects=True).text


def test_activation_links_expire(app, candidate):
    from app.services import accounts

    c, phone, _n = candidate
    c.post("/portal/me/edit", {"name": "张三", "email": "old.link@example.org"}, token_from="/portal/me/edit")
    with app.test_request_context(), freeze_time(datetime.datetime.now() - datetime.timedelta(days=2)):
        accounts.send_activation(db.session.query(Person).filter_by(phone=phone).one(), "http://localhost/")
    with app.app_context():
        mail = db.session.query(Delivery).filter_by(recipient="old.link@example.org").order_by(
            Delivery.id.desc()).first()
    link = re.search(r"/portal/email/activate/\S+", mail.body).group(0)
    assert "已过期" in c.get(link, follow_redirects=True).text
    assert not person_for(app, phone).email_verified


def test_id_number_and_birth_date_cannot_be_edited(app, candidate):
    c, phone, number = candidate
    before = person_for(app, phone)
    c.post("/portal/me/edit", {"name": "张三", "email": before.email, "id_number": "110105199001010014",
                               "birth_date": "2000-01-01", "id_type": "passport"}, token_from="/portal/me/edit")
    after = person_for(app, phone)
    assert (after.id_number_hash, after.birth_date, after.id_type) == (
        before.id_number_hash, before.birth_date, before.id_type)


def test_rebind_phone_with_a_code_sent_to_the_new_phone(app, candidate):
    c, old_phone, _n = candidate
    new = new_phone()
    r = request_code(c, new, "rebind", "/portal/me/phone")
    assert r.json["ok"]
    wrong = c.post("/portal/me/phone", {"phone": new, "sms_code": "000000"}, token_from="/portal/me/phone")
    assert "错误" in wrong.text
    let_time_pass(app, new)
    request_code(c, new, "rebind", "/portal/me/phone")
    r = c.post("/portal/me/phone", {"phone": new, "sms_code": sms_code(c, new)}, token_from="/portal/me/phone")
    assert r.status_code == 302
    with app.app_context():
        user = db.session.query(PlatformUser).filter_by(phone=new).one()
        assert db.session.query(Person).filter_by(user_id=user.id).one().phone == new
    fresh = Client(app)
    fresh.get("/portal/login")
    assert fresh.post("/portal/login", {"account": new, "password": "Passw0rd!",
                                        "captcha": captcha_answer(fresh)}).status_code == 302


def test_rebind_refuses_a_phone_in_use(app, candidate):
    c, _p, _n = candidate
    r = request_code(c, "13800000000", "rebind", "/portal/me/phone")
    assert r.status_code == 400 and "已被使用" in r.json["message"]


def test_photo_from_the_computer_is_checked_and_re_encoded(app, candidate):
    c, phone, _n = candidate
    original = picture()
    r = upload(c, "/portal/me/photo", original)
    assert r.status_code == 302
    person = person_for(app, phone)
    assert person.photo_id and person.verify_state == "pending"
    stored = c.get(f"/files/{person.photo_id}")
    assert stored.status_code == 200 and stored.data[:3] == b"\xff\xd8\xff" and stored.data != original
    assert "/files/" in c.get("/portal/me").text


@pytest.mark.parametrize("data,name,message", [
    (picture() + b"\0" * (5 * 1024 * 1024), "big.jpg", "KB"),                                      # too large
    (picture(fmt="GIF"), "photo.gif", "JPG"),                                                       # wrong format
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", "scan.jpg", "JPG"),                  # a PDF renamed
    (picture(size=(100, 100)), "small.jpg", "295"),                                                 # too small
    (picture(size=(600, 413)), "wide.jpg", "宽高比"),                                              # not a portrait
])
def test_bad_photos_are_refused_with_the_reason(app, candidate, data, name, message):
    c, phone, _n = candidate
    r = upload(c, "/portal/me/photo", data, name)
    assert r.status_code == 200 and message in r.text
    assert person_for(app, phone).photo_id is None


def test_decompression_bomb_is_refused(app):
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, "PNG")  # 144 million pixels in a few kilobytes
    assert len(bomb.getvalue()) < 100_000
    with app.test_request_context(), pytest.raises(photos.PhotoError, match="像素"):
        photos.check_and_reencode(bomb.getvalue())


def test_exam_rules_override_the_defaults(app):
    with app.test_request_context():
        red = {"background": "red", "size": [295, 413], "formats": ["jpeg"], "max_bytes": 1024 * 1024}
        photos.check_and_reencode(picture(colour=(210, 20, 20)), red)
        with pytest.raises(photos.PhotoError, match="背景"):
            photos.check_and_reencode(picture(colour=(255, 255, 255)), red)
        with pytest.raises(photos.PhotoError, match="390"):
            photos.check_and_reencode(picture(), {"size": [390, 567]})
        with pytest.raises(photos.PhotoError, match="JPG"):
            photos.check_and_reencode(picture(fmt="PNG"), red)
        blue = picture(size=(390, 567), colour=(40, 90, 200))
        photos.check_and_reencode(blue, {"background": "blue", "size": [390, 567]})


def test_scan_to_upload_from_the_phone(app, candidate):
    c, phone, _n = candidate
    page = c.get("/portal/me/photo").text
    mobile_url = re.search(r'href="(http[^"]+/portal/m/[^"]+)"', page).group(1)
    qr = re.search(r'src="(/portal/me/photo/qr/[^"]+)"', page).group(1)
    svg = c.get(qr)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    path = mobile_url.split("://", 1)[1].split("/", 1)[1]
    phone_browser = Client(app)  # not logged in: the link alone identifies the person
    assert phone_browser.get("/" + path).status_code == 200
    r = upload(phone_browser, "/" + path, picture(colour=(250, 250, 250)))
    assert r.status_code == 200 and "已保存" in r.text
    assert person_for(app, phone).photo_id is not None
    assert phone_browser.get("/" + path).status_code == 410  # single use


def test_upload_links_expire_and_belong_to_one_person(app, candidate):
    c, phone, _n = candidate
    page = c.get("/portal/me/photo").text
    path = "/" + re.search(r'href="http[^"]+?/(portal/m/[^"]+)"', page).group(1)
    other = Client(app)
    register(other, new_phone())
    r = other.get(path)
    assert r.status_code == 410 and "属于其他人" in r.text
    token = path.rsplit("/", 1)[1]
    with app.app_context():
        db.session.get(UploadToken, token).expires_at = datetime.datetime.now() - datetime.timedelta(seconds=1)
        db.session.commit()
    r = upload(Client(app), path, picture(), token_from="/portal/login")
    assert r.status_code == 410
    assert person_for(app, phone).photo_id is None


def test_a_candidate_never_opens_another_candidates_photo(app, candidate):
    c, phone, _n = candidate
    upload(c, "/portal/me/photo", picture())
    photo_id = person_for(app, phone).photo_id
    other = Client(app)
    register(other, new_phone())
    assert other.get(f"/files/{photo_id}").status_code == 404
    with app.app_context():
        assert db.session.get(Attachment, photo_id).kind == "photo"


def test_majors_by_new_or_former_name_or_free_text(app, candidate):
    from models import Major

    c, phone, _n = candidate
    email = person_for(app, phone).email
    with app.app_context():
        assert db.session.query(Major).count() >= 90  # the engineering catalogue, not five made-up rows
        renamed = db.session.query(Major).filter_by(code="080501").one()
        assert (renamed.name, renamed.old_name) == ("能源与动力工程", "热能与动力工程")
    page = c.get("/portal/me/edit").text
    assert "热能与动力工程" in page and "能源与动力工程" in page
    c.post("/portal/me/edit", {"name": "张三丰", "email": email, "major": "热能与动力工程"},
           token_from="/portal/me/edit")
    person = person_for(app, phone)
    with app.app_context():
        assert db.session.get(Major, person.major_id).name == "能源与动力工程" and person.major_text is None
    assert "能源与动力工程" in c.get("/portal/me").text
    c.post("/portal/me/edit", {"name": "张三丰", "email": email, "major": "细胞治疗技术"},
           token_from="/portal/me/edit")
    person = person_for(app, phone)
    assert person.major_id is None and person.major_text == "细胞治疗技术"


def test_after_rebinding_the_old_number_is_free(app, candidate):
    c, old, _n = candidate
    new = new_phone()
    request_code(c, new, "rebind", "/portal/me/phone")
    assert c.post("/portal/me/phone", {"phone": new, "sms_code": sms_code(c, new)},
                  token_from="/portal/me/phone").status_code == 302
    stale = Client(app)
    stale.get("/portal/login")
    r = stale.post("/portal/login", {"account": old, "password": "Passw0rd!", "captcha": captcha_answer(stale)})
    assert r.status_code == 200  # the old number no longer logs in
    assert register(Client(app), old).status_code == 302  # and someone else may register it
