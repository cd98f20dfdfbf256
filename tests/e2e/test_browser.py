"""End to end in a real browser (issue 3): Debian's chromium driven by Playwright
registers a candidate, completes the profile, logs in by SMS code and uploads a
photo.  Codes come from where the app keeps them, as in the HTTP tests."""
import os
import re
import threading

import pytest
from PIL import Image
from werkzeug.serving import make_server

from app.extensions import db
from models import CaptchaChallenge, Delivery, Person
from tests.portal_helpers import let_time_pass, new_id_number, new_phone

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")


@pytest.fixture
def server(app):
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
        yield context.new_page()
        browser.close()


def latest_captcha(app):
    with app.app_context():
        return db.session.query(CaptchaChallenge).filter_by(used_at=None).order_by(
            CaptchaChallenge.created_at.desc()).first().answer


def latest_code(app, phone):
    with app.app_context():
        body = db.session.query(Delivery).filter_by(channel="sms", recipient=phone).order_by(
            Delivery.id.desc()).first().body
    return re.search(r"\d{6}", body).group(0)


def get_sms_code(app, page, phone):
    page.fill("#captcha", latest_captcha(app))
    with page.expect_response(lambda r: r.url.endswith("/portal/sms")) as sent:
        page.click(".js-send-sms")
    assert sent.value.json()["ok"], sent.value.json()
    page.wait_for_function("document.querySelector('.js-send-sms').disabled")  # the countdown runs
    return latest_code(app, phone)


def test_register_log_in_by_sms_and_upload_a_photo(app, server, page, tmp_path):
    phone, number = new_phone(), new_id_number()
    page.goto(server + "/portal/register")
    page.fill("#phone", phone)
    code = get_sms_code(app, page, phone)
    page.fill("#sms_code", code)
    page.fill("#password", "Browser2026")
    page.fill("#password2", "Browser2026")
    page.check("input[name=agree]")
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/profile/complete")
    page.fill("#name", "浏览器测试")
    page.fill("#id_number", number)
    page.fill("#email", f"b{phone}@example.org")
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/me")
    assert "浏览器测试" in page.content()

    page.goto(server + "/logout/")
    let_time_pass(app, phone)  # the next code may be sent two minutes after the last
    page.goto(server + "/portal/login?mode=sms")
    page.fill("#phone", phone)
    page.fill("#sms_code", get_sms_code(app, page, phone))
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/me")

    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (295, 413), (250, 250, 250)).save(photo, "JPEG")
    page.goto(server + "/portal/me/photo")
    page.set_input_files("#photo", str(photo))
    page.click("form button[type=submit]")
    page.wait_for_url("**/portal/me")
    assert page.locator("img.img-thumbnail").count() == 1
    with app.app_context():
        assert db.session.query(Person).filter_by(phone=phone).one().photo_id is not None
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        os.makedirs(shots, exist_ok=True)
        page.screenshot(path=os.path.join(shots, "e2e_profile_phone.png"), full_page=True)


