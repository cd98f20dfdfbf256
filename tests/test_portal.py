"""考生门户: registration, profile, both logins, passwords (SPEC A1–A5, issue 3).

Codes are real: captcha answers are read from the server-side store, SMS codes
from the outbox the console sender writes to; nothing turns a check off."""
import datetime
import re

import pytest

from app.extensions import db
from models import Delivery, Person, PlatformUser, SmsCode
from tests.conftest import Client
from tests.portal_helpers import (
    captcha_answer,
    complete,
    let_time_pass,
    new_id_number,
    new_phone,
    register,
    request_code,
    sms_code,
)


def test_public_pages_are_chinese_and_list_open_exams(client):
    home = client.get("/")
    assert home.status_code == 200
    for text in ("报名中", "公告", "证书查询", "成绩查询", "联系我们", "注册", "登录"):
        assert text in home.text, text
    assert 'name="viewport"' in home.text  # phone friendly
    assert client.get("/portal/agreement").status_code == 200


def test_register_complete_profile_and_see_it(app):
    c = Client(app)
    phone, number = new_phone(), new_id_number()
    r = register(c, phone)
    assert r.status_code == 302 and r.headers["Location"].endswith("/portal/profile/complete")
    r = complete(c, name="王小丫", id_number=number, email="xiaoya@example.org", gender="male")
    assert r.status_code == 302
    page = c.get("/portal/me").text
    assert "王小丫" in page and number[:6] + "********" + number[-4:] in page and number not in page
    with app.app_context():
        person = db.session.query(Person).filter_by(phone=phone).one()
        # birth date and gender come from the ID number, whatever the form said
        assert person.birth_date.strftime("%Y%m%d") == number[6:14]
        assert person.gender == ("male" if int(number[16]) % 2 else "female")
        user = db.session.query(PlatformUser).filter_by(phone=phone).one()
        assert [r.name for r in user.roles] == ["Candidate"] and user.email == "xiaoya@example.org"
    assert c.get("/personview/list/").status_code in (302, 403)  # never the back office


def test_both_ways_to_log_in(app, candidate):
    _c, phone, number = candidate
    for account in (phone, number):
        c = Client(app)
        c.get("/portal/login")
        r = c.post("/portal/login", {"account": account, "password": "Passw0rd!", "captcha": captcha_answer(c)})
        assert r.status_code == 302 and r.headers["Location"].endswith("/portal/me"), account
    c = Client(app)
    assert request_code(c, phone, "login", "/portal/login?mode=sms").json["ok"]
    r = c.post("/portal/login", {"mode": "sms", "phone": phone, "sms_code": sms_code(c, phone)})
    assert r.status_code == 302
    assert "张三丰" in c.get("/portal/me").text


def test_wrong_login_says_nothing_about_the_account(app, candidate):
    _c, phone, _n = candidate
    answers = []
    for account in (phone, "13000000009"):
        c = Client(app)
        c.get("/portal/login")
        r = c.post("/portal/login", {"account": account, "password": "Wrong1234", "captcha": captcha_answer(c)})
        answers.append(re.search(r'alert-danger">([^<]+)<', r.text).group(1))
    assert answers[0] == answers[1] == "账号、密码或验证码不正确。"


def test_wrong_captcha_is_refused_and_single_use(app, candidate):
    _c, phone, _n = candidate
    c = Client(app)
    c.get("/portal/login")
    r = c.post("/portal/login", {"account": phone, "password": "Passw0rd!", "captcha": "XXXX"})
    assert r.status_code == 200 and "图形验证码错误" in r.text
    r = c.post("/portal/sms", {"phone": new_phone(), "purpose": "register", "captcha": "ZZZZ"})
    assert r.status_code == 400 and r.json["field"] == "captcha"


@pytest.mark.parametrize("id_number,message", [
    ("110105198001010012", "校验位"),        # wrong check digit
    ("110105198002300016", "出生日期"),      # 30 February
    ("11010519800101", "18"),               # wrong length
])
def test_bad_id_numbers_are_refused_and_nothing_stored(app, id_number, message):
    c = Client(app)
    phone = new_phone()
    register(c, phone)
    r = complete(c, id_number=id_number)
    assert r.status_code == 200 and message in r.text
    with app.app_context():
        assert db.session.query(Person).filter_by(phone=phone).count() == 0


@pytest.mark.parametrize("name", ["张 三", "张三3", "一二三四五六七八九十一二三四五六七八九十一", "<b>"])
def test_bad_names_are_refused(app, name):
    c = Client(app)
    register(c, new_phone())
    r = complete(c, name=name)
    assert r.status_code == 200 and "20" in r.text


def test_duplicates_are_refused_with_a_login_link(app, candidate):
    first, phone, number = candidate
    c = Client(app)
    r = c.post("/portal/sms", {"phone": phone, "purpose": "register", "captcha": (c.get("/portal/register"),
                                                                                   captcha_answer(c))[1]})
    assert r.status_code == 400 and "已注册" in r.json["message"]
    register(c, new_phone())
    r = complete(c, id_number=number)
    assert "该证件号码已注册" in r.text and "/portal/login" in r.text
    with first.app.app_context():
        email = db.session.query(Person).filter_by(phone=phone).one().email
    r = complete(c, email=email)
    assert "该电子邮箱已注册" in r.text


def test_sms_limits_expiry_reuse_and_lockout(app):
    c = Client(app)
    phone = new_phone()
    assert request_code(c, phone, "register", "/portal/register").json["ok"]
    again = request_code(c, phone, "register", "/portal/register")
    assert again.status_code == 400 and "秒" in again.json["message"]  # one per phone per 2 minutes
    code = sms_code(c, phone)
    with app.app_context():
        row = db.session.query(SmsCode).filter_by(phone=phone).one()
        assert code not in row.code_hash and len(row.code_hash) == 64  # stored hashed
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    for _attempt in range(5):
        r = c.post("/portal/register", {"phone": phone, "sms_code": wrong, "password": "Passw0rd!",
                                        "password2": "Passw0rd!", "agree": "y"})
        assert r.status_code == 200
    assert "错误次数过多" in r.text
    r = c.post("/portal/register", {"phone": phone, "sms_code": code, "password": "Passw0rd!",
                                    "password2": "Passw0rd!", "agree": "y"})
    assert "错误次数过多" in r.text  # locked, even with the right code
    with app.app_context():
        assert db.session.query(PlatformUser).filter_by(phone=phone).count() == 0
        # an expired code
        db.session.query(SmsCode).filter_by(phone=phone).update(
            {"created_at": datetime.datetime.now() - datetime.timedelta(minutes=5)})
        db.session.commit()
    assert request_code(c, phone, "register", "/portal/register").json["ok"]
    code = sms_code(c, phone)
    with app.app_context():
        db.session.query(SmsCode).filter_by(phone=phone, used_at=None).update(
            {"expires_at": datetime.datetime.now() - datetime.timedelta(seconds=1)})
        db.session.commit()
    r = c.post("/portal/register", {"phone": phone, "sms_code": code, "password": "Passw0rd!",
                                    "password2": "Passw0rd!", "agree": "y"})
    assert "已失效" in r.text


def test_a_used_code_cannot_be_used_again(app, candidate):
    _c, phone, _n = candidate
    c = Client(app)
    request_code(c, phone, "login", "/portal/login?mode=sms")
    code = sms_code(c, phone)
    assert c.post("/portal/login", {"mode": "sms", "phone": phone, "sms_code": code}).status_code == 302
    other = Client(app)
    r = other.post("/portal/login", {"mode": "sms", "phone": phone, "sms_code": code})
    assert r.status_code == 200 and "已失效" in r.text


def test_daily_cap_per_phone(app):
    phone = new_phone()
    with app.app_context():
        now = datetime.datetime.now()
        for i in range(app.config["SMS_DAILY_LIMIT_PER_PHONE"]):
            db.session.add(SmsCode(phone=phone, purpose="login", code_hash="x" * 64,
                                   created_at=now.replace(hour=0, minute=1) + datetime.timedelta(seconds=i),
                                   expires_at=now))
        db.session.commit()
    r = request_code(Client(app), phone, "register", "/portal/register")
    assert r.status_code == 400 and "今日" in r.json["message"]


def test_registration_needs_the_agreement_and_a_good_password(app):
    c = Client(app)
    phone = new_phone()
    request_code(c, phone, "register", "/portal/register")
    base = {"phone": phone, "sms_code": sms_code(c, phone), "password": "Passw0rd!", "password2": "Passw0rd!"}
    assert "用户协议" in c.post("/portal/register", base).text
    assert "8" in c.post("/portal/register", {**base, "agree": "y", "password": "short", "password2": "short"}).text
    assert "不一致" in c.post("/portal/register", {**base, "agree": "y", "password2": "Other123"}).text
    with app.app_context():
        assert db.session.query(PlatformUser).filter_by(phone=phone).count() == 0


def test_change_password_ends_other_sessions(app, candidate):
    c, phone, _n = candidate
    other = Client(app)
    other.get("/portal/login")
    other.post("/portal/login", {"account": phone, "password": "Passw0rd!", "captcha": captcha_answer(other)})
    assert other.get("/portal/me").status_code == 200
    r = c.post("/portal/me/password", {"old_password": "nope12345", "password": "NewPassw0rd", "password2":
                                       "NewPassw0rd"}, token_from="/portal/me/password")
    assert "当前密码不正确" in r.text
    r = c.post("/portal/me/password", {"old_password": "Passw0rd!", "password": "NewPassw0rd",
                                       "password2": "NewPassw0rd"}, token_from="/portal/me/password")
    assert r.status_code == 302
    assert c.get("/portal/me").status_code == 200
    assert other.get("/portal/me").status_code == 302


def test_reset_password_by_sms(app, candidate):
    _c, phone, _n = candidate
    c = Client(app)
    assert request_code(c, phone, "reset", "/portal/password/reset").json["ok"]
    r = c.post("/portal/password/reset", {"phone": phone, "sms_code": sms_code(c, phone), "password": "Reset2026x",
                                          "password2": "Reset2026x"})
    assert r.status_code == 302
    c2 = Client(app)
    c2.get("/portal/login")
    r = c2.post("/portal/login", {"account": phone, "password": "Reset2026x", "captcha": captcha_answer(c2)})
    assert r.status_code == 302


def test_unknown_phone_gets_the_same_answer_for_login_codes(app):
    c = Client(app)
    r = request_code(c, new_phone(), "login", "/portal/login?mode=sms")
    assert r.status_code == 200 and r.json["ok"]


def test_applying_needs_a_complete_profile(app):
    from models import ExamPlan

    with app.app_context():
        open_exam = next(p for p in db.session.query(ExamPlan) if p.status == "open").id
    c = Client(app)
    assert "/portal/login" in c.get(f"/portal/exams/{open_exam}/apply").headers["Location"]
    register(c, new_phone())
    r = c.get(f"/portal/exams/{open_exam}/apply", follow_redirects=True)
    assert "完善个人资料后才能去报名" in r.text


def test_my_matters_lists_only_mine(app, login):
    c = login("candidate")
    page = c.get("/portal/me/matters").text
    assert "投诉：考点秩序混乱" in page and "考核站点申请" not in page
    assert "已完结" in c.get("/portal/me/matters?tab=completed").text


def test_message_support_reply_and_notification(app, candidate, login):
    from models import MessageThread, Notification

    c, phone, _n = candidate
    r = c.post("/portal/messages", {"category": "registration", "content": "照片上传总是失败，怎么办？",
                                    "contact": phone}, token_from="/portal/messages")
    assert r.status_code == 302
    with app.app_context():
        thread = db.session.query(MessageThread).filter_by(contact=phone).one()
        tid, uid = thread.id, thread.user_id
        assert thread.status == "pending"
    assert "待回复" in c.get("/portal/messages").text
    support = login("support")
    assert "照片上传总是失败" in support.get(f"/messagethreadview/show/{tid}").text
    queue = support.get("/messagethreadview/list/?_flt_0_status=pending").text
    assert f"/messagethreadview/show/{tid}" in queue
    support.post(f"/messagethreadview/reply/{tid}", {"content": "请使用白底证件照，大小不超过1MB。"},
                 token_from=f"/messagethreadview/show/{tid}")
    page = c.get(f"/portal/messages/{tid}").text
    assert "请使用白底证件照" in page and "已回复" in page
    with app.app_context():
        note = db.session.query(Notification).filter_by(user_id=uid).order_by(Notification.id.desc()).first()
        assert note.link == f"/portal/messages/{tid}"
    assert note.title in c.get("/notifications/").text
    c.post(f"/portal/messages/{tid}", {"content": "好的，谢谢！还有一个问题。"}, token_from=f"/portal/messages/{tid}")
    with app.app_context():
        assert db.session.get(MessageThread, tid).status == "pending"  # back in the queue


def test_bad_messages_are_refused(app, candidate):
    from models import MessageThread

    c, phone, _n = candidate
    for data, word in (({"category": "other", "content": "", "contact": phone}, "请填写"),
                       ({"category": "other", "content": "字" * 501, "contact": phone}, "500"),
                       ({"category": "other", "content": "你好", "contact": "not-a-contact"}, "手机号"),
                       ({"category": "nope", "content": "你好", "contact": phone}, "类别")):
        r = c.post("/portal/messages", data, token_from="/portal/messages")
        assert r.status_code == 200 and word in r.text, word
    with app.app_context():
        assert db.session.query(MessageThread).filter_by(contact="not-a-contact").count() == 0


def test_a_candidate_never_opens_another_candidates_thread(app, candidate):
    from models import MessageThread

    c, phone, _n = candidate
    c.post("/portal/messages", {"category": "other", "content": "我的私人问题", "contact": phone},
           token_from="/portal/messages")
    with app.app_context():
        tid = db.session.query(MessageThread).filter_by(contact=phone).first().id
    other = Client(app)
    register(other, new_phone())
    assert other.get(f"/portal/messages/{tid}").status_code == 404
    assert other.post(f"/portal/messages/{tid}", {"content": "插话"},
                      token_from="/portal/messages").status_code == 404
    assert "我的私人问题" not in other.get("/portal/messages").text


def test_candidates_log_in_only_through_the_portal(app, candidate):
    _c, phone, _n = candidate
    r = Client(app).post("/login/", {"username": phone, "password": "Passw0rd!"})
    assert r.status_code == 302 and "/login" in r.headers["Location"]  # refused on the staff form
    page = Client(app).get("/portal/nowhere")
    assert page.status_code == 404 and "portal.css" in page.text  # errors in the portal's own layout


def test_daily_cap_per_ip(app):
    c = Client(app)
    ip = c.http.environ_base["REMOTE_ADDR"]
    with app.app_context():
        now = datetime.datetime.now()
        for i in range(app.config["SMS_DAILY_LIMIT_PER_IP"]):
            db.session.add(SmsCode(phone=f"1370001{i:04d}", purpose="register", code_hash="x" * 64, ip=ip,
                                   created_at=now.replace(hour=0, minute=2), expires_at=now))
        db.session.commit()
    r = request_code(c, new_phone(), "register", "/portal/register")
    assert r.status_code == 400 and "网络" in r.json["message"]


def test_sms_login_can_require_the_id_number(app, candidate):
    _c, phone, number = candidate
    app.config["PORTAL_SMS_LOGIN_NEEDS_ID"] = True
    try:
        c = Client(app)
        assert 'name="id_number"' in c.get("/portal/login?mode=sms").text
        request_code(c, phone, "login", "/portal/login?mode=sms")
        wrong = c.post("/portal/login", {"mode": "sms", "phone": phone, "sms_code": sms_code(c, phone),
                                         "id_number": "110105199001010014"})
        assert wrong.status_code == 200 and "不正确" in wrong.text
        let_time_pass(app, phone)
        request_code(c, phone, "login", "/portal/login?mode=sms")
        right = c.post("/portal/login", {"mode": "sms", "phone": phone, "sms_code": sms_code(c, phone),
                                         "id_number": number})
        assert right.status_code == 302
    finally:
        app.config["PORTAL_SMS_LOGIN_NEEDS_ID"] = False


def test_portal_login_is_throttled_per_ip(app):
    c = Client(app)
    token = c.csrf("/portal/login")
    codes = [c.http.post("/portal/login", data={"account": "13000000001", "password": "bad-pass-1",
                                                 "captcha": "XXXX", "csrf_token": token}).status_code
             for _ in range(11)]
    assert codes[-1] == 429


def test_a_candidate_never_opens_another_candidates_notifications(app, candidate):
    from app.services import notifications
    from models import Notification

    c, phone, _n = candidate
    with app.app_context():
        me = db.session.query(PlatformUser).filter_by(phone=phone).one()
        notifications.notify([me], "私人通知", email=False)
        db.session.commit()
        nid = db.session.query(Notification).filter_by(user_id=me.id, title="私人通知").one().id
    other = Client(app)
    register(other, new_phone())
    assert "私人通知" not in other.get("/notifications/").text
    assert other.post(f"/notifications/{nid}/open", {}, token_from="/portal/messages").status_code == 404
    other.post("/notifications/clear", {}, token_from="/portal/messages")
    with app.app_context():
        assert db.session.get(Notification, nid) is not None


def test_registered_and_unknown_phones_answer_alike(app, candidate):
    """Login and reset codes: same answers, same resend limit, same wrong-code message."""
    _c, known, _n = candidate
    unknown = new_phone()
    answers = {}
    for phone in (known, unknown):
        c = Client(app)
        first = request_code(c, phone, "login", "/portal/login?mode=sms")
        second = request_code(c, phone, "login", "/portal/login?mode=sms")
        wrong = c.post("/portal/login", {"mode": "sms", "phone": phone, "sms_code": "000000"})
        message = re.search(r'help-block js-sms-message">([^<]*)<', wrong.text).group(1)
        answers[phone] = (first.status_code, first.json["message"], second.status_code, message[:6])
    assert answers[known] == answers[unknown]
    with app.app_context():
        assert db.session.query(Delivery).filter_by(recipient=unknown).count() == 0  # nobody got a code


@pytest.mark.parametrize("target", ["/\t/evil.example", "//evil.example", "/\\evil.example", "http://evil.example"])
def test_next_never_leaves_the_site(app, candidate, target):
    _c, phone, _n = candidate
    c = Client(app)
    token = c.csrf("/portal/login")  # this page also issues the image code read next
    r = c.http.post("/portal/login", query_string={"next": target}, data={
        "account": phone, "password": "Passw0rd!", "captcha": captcha_answer(c), "csrf_token": token})
    assert r.status_code == 302 and "evil.example" not in r.headers["Location"]


def test_reset_keeps_the_code_when_the_password_is_weak(app, candidate):
    _c, phone, _n = candidate
    c = Client(app)
    request_code(c, phone, "reset", "/portal/password/reset")
    code = sms_code(c, phone)
    weak = c.post("/portal/password/reset", {"phone": phone, "sms_code": code, "password": "short",
                                             "password2": "short"})
    assert "8" in weak.text
    ok = c.post("/portal/password/reset", {"phone": phone, "sms_code": code, "password": "Good2026x",
                                           "password2": "Good2026x"})
    assert ok.status_code == 302


def test_nul_bytes_are_refused_not_a_500(app, candidate):
    c, phone, _n = candidate
    r = c.post("/portal/messages", {"category": "other", "content": "a\x00b", "contact": phone},
               token_from="/portal/messages")
    assert r.status_code == 400


def test_candidates_are_sent_to_the_portal_login(client):
    for url in ("/notifications/", "/files/1", "/portal/me"):
        r = client.get(url)
        assert r.status_code == 302 and "/portal/login" in r.headers["Location"], url


def test_a_candidate_imported_by_an_institution_claims_the_profile(app):
    """D4 → A2: a 本校考生 the institution imported (no account yet) registers with the mobile
    number the institution gave and takes over that record, registrations and all; a different
    number or another name is refused, and nobody takes a record that already has an account."""
    from models import Institution

    phone, number = new_phone(), new_id_number()
    with app.app_context():
        institution_id = db.session.query(Institution.id).order_by(Institution.id).first()[0]
        imported = Person(name="李四光", id_type="resident", phone=phone, source="school",
                          institution_id=institution_id, enrollment_year=2024)
        imported.set_id_number(number)
        db.session.add(imported)
        db.session.commit()
        imported_id = imported.id

    stranger = Client(app)  # knows the name and the ID number, but not the phone
    assert register(stranger, new_phone()).status_code == 302
    r = complete(stranger, name="李四光", id_number=number)
    assert r.status_code == 200 and "手机号" in r.text and "机构" in r.text
    owner = Client(app)
    assert register(owner, phone).status_code == 302
    r = complete(owner, name="李四", id_number=number)
    assert r.status_code == 200 and "姓名" in r.text
    r = complete(owner, name="李四光", id_number=new_id_number())  # a typo in the ID number
    assert r.status_code == 200 and "核对证件号码" in r.text
    r = complete(owner, name="李四光", id_number=number)
    assert r.status_code == 302, r.text[-2000:]
    with app.app_context():
        person = db.session.get(Person, imported_id)
        user = db.session.query(PlatformUser).filter_by(phone=phone).one()
        assert person.user_id == user.id and person.source == "school" and person.institution_id == institution_id
        assert db.session.query(Person).filter(Person.phone == phone).count() == 1
    late = Client(app)
    let_time_pass(app, phone)
    assert register(late, new_phone()).status_code == 302
    r = complete(late, name="李四光", id_number=number)
    assert r.status_code == 200 and "该证件号码已注册" in r.text


@pytest.mark.parametrize("id_type, bad, good", [
    ("hk_macao", "X1234567", "H{digits10}"), ("taiwan", "1234", "{digits8}"), ("officer", "南字", "南字第{digits8}号")])
def test_other_id_types_follow_the_same_rules_as_the_imports(app, id_type, bad, good):
    """A2 and D4 agree: the portal checks each document type with app.identity's rule."""
    c = Client(app)
    assert register(c, new_phone()).status_code == 302
    r = complete(c, id_type=id_type, id_number=bad, gender="female")
    assert r.status_code == 200 and "号码" in r.text
    digits = new_phone()[-10:]
    r = complete(c, id_type=id_type, id_number=good.format(digits10=digits, digits8=digits[-8:]), gender="female")
    assert r.status_code == 302, r.text[-1500:]
