"""H5 公告: who sees which announcement (one rule, ``visible_to``), the safe rich text of the body,
and the association's writes (save, publish, withdraw, pin).

Visibility: published by the association, ``publish_at`` reached, not withdrawn (``withdraw_at`` empty or
later), and the audience matches —

* everyone: every visitor, anonymous included;
* candidates: logged-in portal users (candidates: no back-office role);
* institutions: institution users;
* one exam: the candidates registered for that exam and the users of the institutions taking part in it
  (an exam site of theirs, or a registration filed under them).

Admin and Association see every audience (still only inside the visibility window).
"""
import datetime
from html import unescape

import nh3
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import and_, false, or_, select, true

from app.extensions import db
from app.roles import ADMIN, ASSOCIATION, CANDIDATE, INSTITUTION
from app.scoping import role_names
from models import Announcement, Attachment, ExamPlan, ExamSite, Person, Registration, Site
from models.enums import AnnouncementCategory, AnnouncementTarget

PAGE_SIZE = 20
TITLE_MAX = 255
BODY_MAX = 50_000
ATTACHMENT_MAX = 10 * 1024 * 1024
ATTACHMENT_TYPES = {".pdf": "application/pdf", ".doc": "application/msword",
                    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    ".xls": "application/vnd.ms-excel",
                    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    ".zip": "application/zip", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
ATTACHMENT_KIND = "announcement"
# the first bytes each accepted type starts with (a renamed text file is refused)
MAGIC = {".pdf": (b"%PDF",), ".png": (b"\x89PNG",), ".jpg": (b"\xff\xd8",), ".jpeg": (b"\xff\xd8",),
         ".zip": (b"PK",), ".docx": (b"PK",), ".xlsx": (b"PK",), ".doc": (b"\xd0\xcf\x11\xe0",),
         ".xls": (b"\xd0\xcf\x11\xe0",)}

# the allow-list of the rich text: anything else (script, style, iframe, on* handlers, javascript: links) goes
ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "h3", "h4",
                "table", "thead", "tbody", "tr", "th", "td", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}


class AnnouncementError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def sanitise(html):
    """The body as safe HTML: only the allow-listed tags and attributes, links http(s)/mailto only."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     clean_content_tags={"script", "style"}, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer")


def safe_html(html):
    """The body to render: sanitised again at every rendering, so no stored markup is ever trusted (bodies
    written before the sanitiser existed included)."""
    return Markup(sanitise(html))


def plain_text(html):
    """The body without markup (for list excerpts): nh3 returns escaped text, unescaped here because the
    template escapes it once more."""
    return " ".join(unescape(nh3.clean(html or "", tags=set())).split())


def _now(now):
    return now or datetime.datetime.now()


def visible_to(user, now=None):
    """A filter clause on Announcement: the announcements ``user`` (None or anonymous: a visitor) may see."""
    now = _now(now)
    live = and_(Announcement.published.is_(True), Announcement.publish_at <= now,
                or_(Announcement.withdraw_at.is_(None), Announcement.withdraw_at > now))
    return and_(live, _audience(user))


def _audience(user):
    names = role_names(user)
    if names & {ADMIN, ASSOCIATION}:
        return true()
    targets = [Announcement.target == AnnouncementTarget.EVERYONE.value]
    if CANDIDATE in names:  # a portal user (who may also be a teacher or an expert)
        targets.append(Announcement.target == AnnouncementTarget.CANDIDATES.value)
        registered = select(Registration.exam_plan_id).join(Person, Person.id == Registration.person_id) \
            .where(Person.user_id == user.id)
        targets.append(and_(Announcement.target == AnnouncementTarget.EXAM.value,
                            Announcement.exam_plan_id.in_(registered)))
    if INSTITUTION in names and user.institution_id is not None:
        targets.append(Announcement.target == AnnouncementTarget.INSTITUTIONS.value)
        hosting = select(ExamSite.exam_plan_id).join(Site, Site.id == ExamSite.site_id) \
            .where(Site.institution_id == user.institution_id)
        filing = select(Registration.exam_plan_id).where(Registration.institution_id == user.institution_id)
        targets.append(and_(Announcement.target == AnnouncementTarget.EXAM.value,
                            or_(Announcement.exam_plan_id.in_(hosting), Announcement.exam_plan_id.in_(filing))))
    return or_(*targets) if targets else false()


def ordered(query):
    """Pinned first, then the newest."""
    return query.order_by(Announcement.pinned.desc(), Announcement.publish_at.desc(), Announcement.id.desc())


def search(user, keyword=None, category=None, page=1, now=None, page_size=PAGE_SIZE):
    """(rows of the page, total, pages) of the announcements ``user`` sees, by title/body keyword and category."""
    query = db.session.query(Announcement).filter(visible_to(user, now))
    keyword = (keyword or "").strip()[:50]
    if keyword:
        pattern = "%" + keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.filter(or_(Announcement.title.ilike(pattern, escape="\\"),
                                 Announcement.body.ilike(pattern, escape="\\")))
    if category in {c.value for c in AnnouncementCategory}:
        query = query.filter(Announcement.category == category)
    total = query.count()
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = ordered(query).offset((page - 1) * page_size).limit(page_size).all()
    return rows, total, pages


def latest(user, limit=5, now=None):
    return ordered(db.session.query(Announcement).filter(visible_to(user, now))).limit(limit).all()


def get_visible(announcement_id, user, now=None):
    """The announcement if ``user`` may see it now, else None (the same answer whether it exists or not)."""
    return db.session.query(Announcement).filter(Announcement.id == announcement_id,
                                                 visible_to(user, now)).first()


def attachment_of(announcement_id, user, now=None):
    """The attachment of an announcement ``user`` may see, else None."""
    item = get_visible(announcement_id, user, now)
    if item is None or item.attachment_id is None:
        return None
    return db.session.get(Attachment, item.attachment_id)


def is_withdrawn(item, now=None):
    return item.withdraw_at is not None and item.withdraw_at <= _now(now)


def status_of(item, now=None):
    """How the back office reads an announcement's state (draft, scheduled, visible, withdrawn/expired)."""
    now = _now(now)
    if not item.published:
        return _("Draft")
    if is_withdrawn(item, now):
        return _("Withdrawn")
    if item.publish_at > now:
        return _("Scheduled")
    return _("Visible")


# --- the association's writes ---------------------------------------------------------------
def _parse_moment(value, field, label, required):
    value = (value or "").strip()
    if not value:
        if required:
            raise AnnouncementError(field, _("%(field)s is required.", field=label))
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise AnnouncementError(field, _("%(field)s is not a valid date and time.", field=label))


def _check_upload(upload):
    """(bytes, filename, content type) of an allowed upload, or None when nothing was chosen."""
    if upload is None:
        return None
    data, filename = upload
    if not filename:
        return None
    ext = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    if ext not in ATTACHMENT_TYPES:
        raise AnnouncementError("attachment", _("Attachment: only PDF, Word, Excel, zip or image files are accepted."))
    if not data:
        raise AnnouncementError("attachment", _("Attachment: the file is empty."))
    if not data.startswith(MAGIC[ext]):
        raise AnnouncementError("attachment", _("Attachment: the file's content does not match its type."))
    if len(data) > ATTACHMENT_MAX:
        raise AnnouncementError("attachment", _("Attachment: the file is larger than %(mb)s MB.",
                                                mb=ATTACHMENT_MAX // (1024 * 1024)))
    return data, filename, ATTACHMENT_TYPES[ext]


def save(form, user, item=None, upload=None, now=None):
    """Create (``item`` None) or edit an announcement from the back-office form; raises AnnouncementError
    naming the field.  The caller commits."""
    from app.services import files

    title = (form.get("title") or "").strip()
    if not title:
        raise AnnouncementError("title", _("Title is required."))
    if len(title) > TITLE_MAX:
        raise AnnouncementError("title", _("Title may have at most %(n)s characters.", n=TITLE_MAX))
    category = form.get("category") or ""
    if category not in {c.value for c in AnnouncementCategory}:
        raise AnnouncementError("category", _("Choose a category."))
    target = form.get("target") or ""
    if target not in {t.value for t in AnnouncementTarget}:
        raise AnnouncementError("target", _("Choose the audience."))
    exam = None
    if target == AnnouncementTarget.EXAM.value:
        raw = (form.get("exam_plan_id") or "").strip()
        exam = db.session.get(ExamPlan, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
        if exam is None:
            raise AnnouncementError("exam_plan_id", _("Exam: choose the exam this announcement is for."))
    body = sanitise(form.get("body"))
    if not plain_text(body) and "<table" not in body:
        raise AnnouncementError("body", _("Content is required."))
    if len(body) > BODY_MAX:
        raise AnnouncementError("body", _("Content may have at most %(n)s characters.", n=BODY_MAX))
    publish_at = _parse_moment(form.get("publish_at"), "publish_at", _("Visible from"), required=False) \
        or (item.publish_at if item is not None else _now(now).replace(second=0, microsecond=0))
    withdraw_at = _parse_moment(form.get("withdraw_at"), "withdraw_at", _("Visible until"), required=False)
    if withdraw_at is not None and withdraw_at <= publish_at:
        raise AnnouncementError("withdraw_at", _("Visible until must be later than visible from."))
    stored = _check_upload(upload)
    if item is None:
        item = Announcement(published=False)
        db.session.add(item)
    item.title, item.category, item.target, item.body = title, category, target, body
    item.exam_plan_id = exam.id if exam is not None else None
    item.publish_at, item.withdraw_at = publish_at, withdraw_at
    item.pinned = form.get("pinned") in ("y", "on", "1", "true")
    if form.get("remove_attachment") in ("y", "on", "1"):
        item.attachment_id = None
    if stored is not None:
        data, filename, content_type = stored
        item.attachment = files.store(data, filename, content_type, ATTACHMENT_KIND, user=user)
    if form.get("publish") in ("y", "on", "1"):
        publish(item, now)
    db.session.flush()
    return item


def publish(item, now=None):
    """发布: released by the association; visible from ``publish_at`` (a past withdrawal is lifted)."""
    now = _now(now)
    item.published = True
    item.published_at = now
    if item.withdraw_at is not None and item.withdraw_at <= now:
        item.withdraw_at = None


def withdraw(item, now=None):
    """撤回: not visible from now on."""
    now = _now(now)
    if not item.published:
        raise AnnouncementError("form", _("Only a published announcement can be withdrawn."))
    # a scheduled one is withdrawn at its own start (so it is never shown and its form stays valid)
    item.withdraw_at = max(now, item.publish_at) if item.publish_at else now


def toggle_pin(item):
    item.pinned = not item.pinned
