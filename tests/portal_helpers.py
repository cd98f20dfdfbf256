"""Helpers of the portal tests: real captcha answers from the server-side store,
real SMS codes from the outbox the console sender writes to."""
import datetime
import itertools
import random
import re

import pytest

from app.demo import demo_id_number
from app.extensions import db
from models import CaptchaChallenge, Delivery, SmsCode
from tests.conftest import Client

_phones = itertools.count(random.randint(1000, 9000) * 10000)
_births = itertools.count(1)


def new_phone():
    return f"139{next(_phones) % 10 ** 8:08d}"


def new_id_number():
    n = next(_births)
    return demo_id_number("110105", datetime.date(1980, 1, 1) + datetime.timedelta(days=n * 37), n % 900 + 50)


def captcha_answer(c):
    with c.http.session_transaction() as session:
        token = session["captcha"]
    with c.app.app_context():
        return db.session.get(CaptchaChallenge, token).answer


def sms_code(c, phone):
    with c.app.app_context():
        item = (db.session.query(Delivery).filter_by(channel="sms", recipient=phone)
                .order_by(Delivery.id.desc()).first())
        return re.search(r"\d{6}", item.body).group(0)


def let_time_pass(app, phone, minutes=3):
    """The codes of ``phone`` were sent ``minutes`` ago (the resend limit has passed)."""
    with app.app_context():
        for row in db.session.query(SmsCode).filter_by(phone=phone):
            row.created_at -= datetime.timedelta(minutes=minutes)
        db.session.commit()


def request_code(c, phone, purpose, page):
    c.get(page)
    return c.post("/portal/sms", {"phone": phone, "purpose": purpose, "captcha": captcha_answer(c)})


def register(c, phone, password="Passw0rd!"):
    assert request_code(c, phone, "register", "/portal/register").json["ok"]
    return c.post("/portal/register", {"phone": phone, "sms_code": sms_code(c, phone), "password": password,
                                       "password2": password, "agree": "y"})


def complete(c, name="张三丰", id_number=None, email=None, **extra):
    data = {"name": name, "id_type": "resident", "id_number": id_number or new_id_number(),
            "email": email or f"{random.randint(10 ** 8, 10 ** 9)}@example.org", **extra}
    return c.post("/portal/profile/complete", data)


@pytest.fixture
def candidate(app):
    """A registered candidate with a completed profile: (client, phone, id_number)."""
    c = Client(app)
    phone, number = new_phone(), new_id_number()
    assert register(c, phone).status_code == 302
    assert complete(c, id_number=number).status_code == 302
    let_time_pass(app, phone)
    return c, phone, number
