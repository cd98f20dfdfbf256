"""Screenshots of the portal and back office at desktop and phone width, in
Debian's chromium, into screenshots/ (ignored by git).  Needs a running
server (`make run`) with demo data:

    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8080]
"""
import os
import sys

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "screenshots")
PUBLIC = [("home", "/"), ("register", "/portal/register"), ("login", "/portal/login"),
          ("login_sms", "/portal/login?mode=sms"), ("exams", "/portal/exams"),
          ("institution_register", "/portal/institutions/register")]
CANDIDATE = [("me", "/portal/me"), ("messages", "/portal/messages"), ("photo", "/portal/me/photo"),
             ("matters", "/portal/me/matters"), ("notifications", "/notifications/")]
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def latest_captcha():
    """The answer of the newest image code, read where the app keeps it (same machine, same database)."""
    sys.path.insert(0, os.path.dirname(OUT))
    from app import create_app
    from app.extensions import db
    from models import CaptchaChallenge

    with create_app().app_context():
        return db.session.query(CaptchaChallenge).filter_by(used_at=None).order_by(
            CaptchaChallenge.created_at.desc()).first().answer


def main():
    os.makedirs(OUT, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, locale="zh-CN")
            page = context.new_page()
            for name, url in PUBLIC:
                page.goto(BASE + url)
                page.screenshot(path=os.path.join(OUT, f"{size}_{name}.png"), full_page=True)
            page.goto(BASE + "/portal/login")  # the demo candidate, with the image code the server keeps
            page.fill("#account", "13800000000")
            page.fill("#password", "Demo@2026")
            page.fill("#captcha", latest_captcha())
            page.click("form [type=submit]")
            for name, url in CANDIDATE:
                page.goto(BASE + url)
                page.screenshot(path=os.path.join(OUT, f"{size}_{name}.png"), full_page=True)
            context.close()
        browser.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
