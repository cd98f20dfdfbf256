"""The certificate PDF (SPEC E4, E5): one A4 landscape page drawn on the project's
``Sheet`` (the embedded CJK font), stored as an Attachment of the holder.

``render(cert)`` makes the bytes, stores them and sets ``cert.pdf_id`` and
``cert.pdf_sha256`` (the SHA-256 of exactly the stored bytes, which the public
verification shows so a printed or forwarded PDF can be checked); the caller
commits.  Issuing, the import, reissues and changes all call it.
"""
import datetime
import hashlib
import io
import logging

import segno
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.services import certificates, files
from app.services.certificates import verification_url
from app.services.printables import PhotoCache, Sheet, _text, label
from models import Certificate, Person, PlatformUser, Registration
from models.enums import CertLevel

log = logging.getLogger(__name__)

W, H = 297, 210  # A4 landscape, mm
CRIMSON = (142, 27, 31)
GOLD = (184, 146, 66)
INK = (35, 35, 35)
GREY = (110, 110, 110)
PHOTO_PX = (300, 400)  # 30 × 40 mm at ~250 dpi


def _date(day):
    return _("%(y)d-%(m)02d-%(d)02d", y=day.year, m=day.month, d=day.day) if day else _("Long-term")


def context(cert):
    """The certificate's printed facts as plain strings (the holder's data as kept on this version)."""
    ctype = cert.certificate_type
    level = CertLevel(ctype.level).label if ctype.level else ""
    url = verification_url(cert)
    return {
        "doc_title": f"{ctype.name} {cert.serial}",
        "issuer": ctype.issuer,
        "title": ctype.name,
        "level": _("Level: %(level)s", level=level) if level else "",
        "statement": _("%(name)s has passed the assessment and is hereby awarded this certificate.",
                       name=cert.holder_name or ""),
        "facts": [
            (label(Person, "name"), cert.holder_name or ""),
            (label(Certificate, "holder_id_masked"), cert.holder_id_masked or ""),
            (label(Certificate, "serial"), cert.serial),
            (label(Certificate, "issue_date"), _date(cert.issue_date)),
            (label(Certificate, "valid_until"), _date(cert.valid_until)),
        ],
        "issuer_label": _("Issuing organisation (seal)"),
        "issued_on": _date(cert.issue_date),
        "serial": cert.serial,
        "version": _("Version %(n)s", n=cert.version) if cert.version and cert.version > 1 else "",
        "url": url,
        "scan": _("Scan to verify"),
        "photo_label": _("Photo"),
    }


def _qr_png(url):
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=12, border=0)
    return out.getvalue()


def _photo(cert):
    try:
        return PhotoCache(PHOTO_PX).get(cert.photo_id)
    except OSError:  # the file is gone from the store: the certificate is still printed, without it
        log.warning("photo %s of certificate %s cannot be read", cert.photo_id, cert.id)
        return None


def _frame(sheet):
    """A double crimson frame with a thin gold rule inside and corner marks."""
    sheet.set_draw_color(*CRIMSON)
    sheet.set_line_width(2.2)
    sheet.rect(8, 8, W - 16, H - 16)
    sheet.set_line_width(0.5)
    sheet.rect(12, 12, W - 24, H - 24)
    sheet.set_draw_color(*GOLD)
    sheet.set_line_width(0.3)
    sheet.rect(14.5, 14.5, W - 29, H - 29)
    sheet.set_fill_color(*CRIMSON)
    for x, y in ((12, 12), (W - 12, 12), (12, H - 12), (W - 12, H - 12)):
        sheet.rect(x - 3, y - 3, 6, 6, style="F")
    sheet.set_fill_color(255)
    sheet.set_draw_color(0)


def draw(sheet, c, photo, qr):
    sheet.add_page(orientation="L")
    _frame(sheet)
    sheet.set_text_color(*CRIMSON)
    _text(sheet, 30, 24, W - 60, 8, c["issuer"], 13, sheet.bold, "C")
    _text(sheet, 30, 34, W - 60, 18, c["title"], 30, sheet.bold, "C")
    sheet.set_text_color(*INK)
    _text(sheet, 30, 53, W - 60, 8, c["level"], 14, align="C")
    sheet.set_draw_color(*GOLD)
    sheet.set_line_width(0.6)
    sheet.line(W / 2 - 60, 64, W / 2 + 60, 64)
    # the holder's photo on the left, the facts in the middle, the QR code on the right
    top = 76
    px, pw, ph = 30, 36, 48
    sheet.set_draw_color(*GREY)
    sheet.set_line_width(0.3)
    sheet.rect(px, top, pw, ph)
    if photo is not None:
        sheet.image(io.BytesIO(photo), px + 0.8, top + 0.8, pw - 1.6, ph - 1.6, keep_aspect_ratio=True)
    else:
        sheet.set_text_color(*GREY)
        _text(sheet, px, top + ph / 2 - 3, pw, 6, c["photo_label"], 9, align="C")
        sheet.set_text_color(*INK)
    fx, label_w, value_w, row_h = 82, 30, 110, 11
    for i, (name, value) in enumerate(c["facts"]):
        y = top + i * row_h
        sheet.set_text_color(*GREY)
        _text(sheet, fx, y, label_w, row_h, name, 11.5, align="R")
        sheet.set_text_color(*INK)
        _text(sheet, fx + label_w + 4, y, value_w, row_h, value, 15 if i < 1 else 13, sheet.bold)
        sheet.set_draw_color(215, 205, 185)
        sheet.line(fx + label_w + 4, y + row_h - 1.5, fx + label_w + 4 + value_w, y + row_h - 1.5)
    qs = 38
    qx = W - 30 - qs
    sheet.image(io.BytesIO(qr), qx, top, qs, qs)
    sheet.set_text_color(*CRIMSON)
    _text(sheet, qx - 6, top + qs + 2, qs + 12, 6, c["scan"], 11, sheet.bold, "C")
    # the statement, then the issuer and date at the bottom right where the seal goes
    sheet.set_text_color(*INK)
    _text(sheet, 30, 140, W - 60, 9, c["statement"], 13, align="C")
    sx, sw = W - 30 - 90, 90
    sheet.set_text_color(*GREY)
    _text(sheet, sx, 156, sw, 7, c["issuer_label"], 10, align="C")
    sheet.set_text_color(*INK)
    _text(sheet, sx, 164, sw, 8, c["issuer"], 14, sheet.bold, "C")
    _text(sheet, sx, 173, sw, 7, c["issued_on"], 11, align="C")
    # the number and the verification address, small, at the bottom left
    sheet.set_text_color(*GREY)
    _text(sheet, 30, 166, 140, 6, f"{label(Certificate, 'serial')}：{c['serial']}  {c['version']}".rstrip(), 9)
    _text(sheet, 30, 172, 150, 6, _("Verify at: %(url)s", url=c["url"]), 8)
    sheet.set_text_color(0)
    sheet.set_draw_color(0)
    sheet.set_line_width(0.25)


def pdf_bytes(cert):
    c = context(cert)
    sheet = Sheet(c["doc_title"], first_page=False, numbered=False)
    sheet.set_auto_page_break(False)
    draw(sheet, c, _photo(cert), _qr_png(c["url"]))
    sheet.set_subject(c["url"])
    # a fixed creation date: the same certificate renders to the same bytes (the hash is stable)
    sheet.set_creation_date(datetime.datetime.combine(cert.issue_date, datetime.time(), datetime.timezone.utc))
    return bytes(sheet.output())


def render(cert, user=None):
    """Render, store and link the certificate's PDF; returns the Attachment. The caller commits."""
    data = pdf_bytes(cert)
    holder = cert.person or db.session.get(Person, cert.person_id)
    item = files.store(data, f"{cert.serial}.pdf", "application/pdf", "certificate", user=user, person=holder,
                       institution_id=cert.institution_id)
    db.session.flush()
    cert.pdf_id = item.id
    cert.pdf_sha256 = hashlib.sha256(data).hexdigest()
    return item


# --- 颁发证书: a batch per exam (E4) ---------------------------------------------------------------------
def issue_batch(plan_id, actor, issue_date, progress=None):
    """Issue and render the certificate of every registration of the exam that passed and has none;
    returns how many were issued.  Each row commits on its own, so a second batch running at the same
    time (another click, another worker) waits for the number counter and then finds the row issued:
    ``issue`` returns None, or the unique (registration, version) refuses it and only that row's
    savepoint is rolled back."""
    ids = [r.id for r in certificates.passed_without_certificate(plan_id)]
    issued = 0
    for done, reg_id in enumerate(ids, start=1):
        try:
            with db.session.begin_nested():
                cert = certificates.issue(db.session.get(Registration, reg_id), actor, issue_date)
                if cert is not None:
                    render(cert, actor)
        except IntegrityError:
            cert = None
        db.session.commit()
        issued += cert is not None
        if progress is not None:
            progress(done, len(ids))
    return issued


def run_issue_job(job_id, plan_id, user_id, issue_date):
    """The background batch (app.tasks.issue_certificates): progress on the job, the count as its result."""
    from app.services import jobs

    try:
        user = db.session.get(PlatformUser, user_id)
        issued = issue_batch(plan_id, user, datetime.date.fromisoformat(issue_date),
                             progress=lambda done, total: jobs.progress(job_id, done, total))
    except certificates.CertificateError as exc:
        jobs.fail(job_id, exc)
        return "refused"
    except Exception as exc:  # recorded on the job; the page shows it
        log.exception("issuing job %s failed", job_id)
        jobs.fail(job_id, exc)
        return "failed"
    jobs.finish(job_id, {"issued": issued, "message": _("%(n)s certificates issued.", n=issued)})
    return "done"
