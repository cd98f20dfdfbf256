"""End to end in a real browser (issue 3): Debian's chromium driven by Playwright
registers a candidate, completes the profile, logs in by SMS code and uploads a
photo.  Codes come from where the app keeps them, as in the HTTP tests.

With E2E_BASE_URL set (``make stack-e2e``, issue 16) the browser drives that running
stack instead of a server of its own, and the codes, the exam and the association's
decision go through that stack's database (DATABASE_URL, read from the stack's
stack.env), which is used as it is: never reset."""
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
BASE_URL = os.environ.get("E2E_BASE_URL", "").rstrip("/")
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")

if BASE_URL:
    @pytest.fixture(scope="session")
    def app():
        """The running stack's database as it is (the suite's own app fixture would rebuild it)."""
        from app import create_app

        return create_app({"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"], "SERVER_NAME": None})


@pytest.fixture
def server(app):
    if BASE_URL:  # a running stack (scripts/stack.sh)
        yield BASE_URL
        return
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




def test_apply_for_an_exam_and_pay_in_the_browser(app, server, page, tmp_path, login):
    """Issue 4 in a real browser: the wizard from the exam page to submission, then online payment
    through the sandbox gateway once the association approved."""
    from tests.registration_helpers import decide, make_exam

    exam = make_exam(app)
    page.goto(server + "/portal/login")
    page.fill("#account", "13800000000")
    page.fill("#password", "Demo@2026")
    page.fill("#captcha", latest_captcha(app))
    page.click("form [type=submit]")
    page.wait_for_url("**/portal/me")

    page.goto(server + f"/portal/exams/{exam['id']}")
    page.click("text=去报名")
    page.click("text=我已阅读报名须知")
    page.click("button[value=accept]")
    page.wait_for_url("**/personal")
    page.fill("#employer", "北京浏览器测试有限公司")
    page.fill("#address", "北京市海淀区中关村南大街5号")
    page.click("text=保存并继续")
    page.wait_for_url("**/photo")
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (295, 413), (250, 250, 250)).save(photo, "JPEG")
    page.set_input_files("#photo", str(photo))
    assert page.locator(".file-name").first.text_content() == "photo.jpg"  # the translated picker
    page.click("text=上传并继续")
    page.wait_for_url("**/application")
    page.check(f"input[name=exam_site_id][value='{exam['sites'][0]}']")
    page.fill("#city", "北京市")
    page.click("text=保存并继续")
    page.wait_for_url("**/materials")
    for section, fields, selects in (
            ("学历学位教育情况", {"#school": "北京工业大学", "#major": "软件工程", "#graduation_month": "2016-07"},
             {"#education_level": "bachelor"}),
            ("主要工作简历", {"#employer": "北京浏览器测试有限公司", "#start_month": "2016-08",
                        "#years_in_occupation": "6"}, {})):
        page.click(f"text={section}")
        for selector, value in fields.items():
            page.fill(selector, value)
        for selector, value in selects.items():
            page.select_option(selector, value)
        page.click("button[value=add]")
        page.wait_for_selector("text=已填写")  # the saved section's page, once loaded
        page.click("text=返回材料目录")
    page.click("text=下一步：确认提交")
    page.wait_for_url("**/confirm")
    page.click("text=提交报名")
    page.wait_for_url(re.compile(r".*/portal/registrations/\d+$"))
    assert "已提交" in page.content()
    rid = int(page.url.rsplit("/", 1)[1])

    assert decide(login("association"), rid, "approve").status_code == 302
    page.reload()
    page.click("text=在线缴费")
    page.click("form[action$='/pay'] button")
    page.wait_for_url("**/sandbox-gateway/pay/**")
    page.click("button[value=confirm]")
    page.wait_for_function("document.body.innerText.includes('已缴费')", timeout=30000)
    page.goto(server + f"/portal/registrations/{rid}")
    assert "报名成功" in page.content()
