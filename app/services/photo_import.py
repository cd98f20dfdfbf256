"""Batch photo import (SPEC D5): a zip of ``<ID number>.jpg|png`` files.

The archive is read defensively before anything is stored: unsafe paths
(zip-slip), nested archives, too many files and zip bombs (declared or actual
uncompressed size, compression ratio) refuse the whole archive.  Each member
is read in a bounded way.  Then every file is matched by ID number within the
user's scope and checked against the photo rules; the accepted photos are
stored in one transaction, and a report (matched, unmatched, refused, with
reasons) is returned and kept as a workbook.
"""
import os
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _

from app import crypto
from app.exports import workbook_bytes
from app.extensions import db
from app.roles import INSTITUTION
from app.scoping import role_names, sees_all
from app.services import files, photos
from models import Person
from models.enums import VerifyState

DEFAULT_RULES = {"formats": ["jpeg", "png"], "max_bytes": 5 * 1024 * 1024, "size": [295, 413],
                 "background": "red"}
BACKGROUNDS = ("red", "blue", "white")
PHOTO_EXTENSIONS = {".jpg", ".jpeg", ".png"}
ARCHIVE_EXTENSIONS = {".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zipx", ".cab", ".arj"}
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh",
                 b"\xfd7zXZ\x00")
IGNORED = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)", re.IGNORECASE)
UTF8_FLAG = 0x800
CHUNK = 64 * 1024


def limits():
    """Archive limits, overridable in config (PHOTO_IMPORT_*)."""
    cfg = current_app.config
    return {"max_files": cfg.get("PHOTO_IMPORT_MAX_FILES", 3000),
            "max_total": cfg.get("PHOTO_IMPORT_MAX_TOTAL_MB", 300) * 1024 * 1024,
            "max_ratio": cfg.get("PHOTO_IMPORT_MAX_RATIO", 100)}


class ArchiveError(ValueError):
    """The whole archive is refused; ``code`` names the rule (for tests and logs)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


@dataclass
class Report:
    matched: list = field(default_factory=list)    # (file name, person name, masked ID number)
    unmatched: list = field(default_factory=list)  # (file name, reason)
    refused: list = field(default_factory=list)    # (file name, reason)

    def as_dict(self):
        return {"matched": self.matched, "unmatched": self.unmatched, "refused": self.refused}


def member_name(info):
    """The member's name as its author saw it: zips made on Chinese Windows
    carry GBK names without the UTF-8 flag (zipfile then reads them as cp437)."""
    if info.flag_bits & UTF8_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _unsafe(name):
    """Absolute, drive-letter, backslash or parent-directory paths (zip-slip)."""
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name:
        return True
    if re.match(r"^[A-Za-z]:", name):
        return True
    return any(part == ".." for part in name.split("/"))


def _read_bounded(zf, info, limit):
    """At most ``limit`` + 1 bytes of the member (never what a forged header claims)."""
    out = bytearray()
    with zf.open(info) as fh:
        while len(out) <= limit:
            chunk = fh.read(min(CHUNK, limit + 1 - len(out)))
            if not chunk:
                break
            out += chunk
    return bytes(out)


def read_archive(stream, max_bytes):
    """[(file name, bytes or None, refusal or None)] of the archive's photo files,
    or ArchiveError refusing the whole archive.  ``stream`` is a path or file object."""
    lim = limits()
    try:
        zf = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ArchiveError("not_zip", _("The file is not a zip archive.")) from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > lim["max_files"]:
            raise ArchiveError("too_many", _("The archive holds %(n)d files; at most %(max)d are accepted at once.",
                                             n=len(infos), max=lim["max_files"]))
        names = []
        declared = 0
        for info in infos:
            name = member_name(info)
            if _unsafe(name):
                raise ArchiveError("unsafe_path", _("The archive contains an unsafe path: %(name)s.", name=name))
            if info.flag_bits & 0x1:
                raise ArchiveError("encrypted", _("Encrypted archives are not accepted: %(name)s.", name=name))
            if posixpath.splitext(name)[1].lower() in ARCHIVE_EXTENSIONS:
                raise ArchiveError("nested", _("Archives inside the archive are not accepted: %(name)s.", name=name))
            declared += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if declared > lim["max_total"] or (info.file_size > 1024 * 1024 and ratio > lim["max_ratio"]):
                raise ArchiveError("bomb", _("The archive unpacks to far more data than photos take "
                                             "(a zip bomb?); it was not opened."))
            names.append((info, name))
        members = []
        actual = 0
        for info, name in names:
            if IGNORED.search(name):
                continue
            shown = posixpath.basename(name)
            if posixpath.splitext(shown)[1].lower() not in PHOTO_EXTENSIONS:
                members.append((name, None, _("Only JPG and PNG photos are accepted.")))
                continue
            try:
                data = _read_bounded(zf, info, max_bytes)
            except zipfile.BadZipFile:
                members.append((name, None, _("The file is damaged in the archive.")))
                continue
            except (NotImplementedError, RuntimeError, OSError, EOFError):
                members.append((name, None, _("The file cannot be unpacked.")))
                continue
            actual += len(data)
            if actual > lim["max_total"]:
                raise ArchiveError("bomb", _("The archive unpacks to far more data than photos take "
                                             "(a zip bomb?); it was not opened."))
            if data.startswith(ARCHIVE_MAGIC):
                raise ArchiveError("nested", _("Archives inside the archive are not accepted: %(name)s.", name=name))
            if len(data) > max_bytes:
                members.append((name, None, _("The photo is larger than %(kb)d KB.", kb=max_bytes // 1024)))
                continue
            members.append((name, data, None))
        return members


def scope_query(user, institution_id=None):
    """People the user may attach photos to: an institution its own, the association any
    (or the chosen institution's)."""
    query = db.session.query(Person)
    if sees_all(user):
        return query.filter(Person.institution_id == institution_id) if institution_id else query
    if INSTITUTION in role_names(user) and user.institution_id is not None:
        return query.filter(Person.institution_id == user.institution_id)
    return query.filter(Person.id.is_(None))


def rules_from(background=None, width=None, height=None):
    """Per-import rules: the background colour ("" = any) and the exact size."""
    rules = dict(DEFAULT_RULES)
    if background is not None:
        rules["background"] = background if background in BACKGROUNDS else None
    if width and height:
        rules["size"] = [int(width), int(height)]
    return rules


def import_photos(stream, user, institution_id=None, rules=None, progress=None):
    """Check and store the photos of a zip archive; the Report.  ArchiveError when the
    archive itself is refused (nothing stored)."""
    rules = {**DEFAULT_RULES, **(rules or {})}
    members = read_archive(stream, rules["max_bytes"])
    report = Report()
    query = scope_query(user, institution_id)
    seen = {}
    accepted = []
    for n, (name, data, refusal) in enumerate(members, start=1):
        if progress and n % 20 == 0:
            progress(n, len(members))
        if refusal:
            report.refused.append((name, str(refusal)))
            continue
        stem = crypto.normalise_id_number(posixpath.splitext(posixpath.basename(name))[0])
        if not re.fullmatch(r"[0-9A-Z]{6,20}", stem):
            report.unmatched.append((name, _("The file name is not an ID number.")))
            continue
        if stem in seen:
            report.refused.append((name, _("Another file (%(name)s) has the same ID number.", name=seen[stem])))
            continue
        seen[stem] = name
        person = query.filter(Person.id_number_hash == crypto.blind_index(stem)).first()
        if person is None:
            report.unmatched.append((name, _("No candidate with this ID number.")))
            continue
        try:
            jpeg = photos.check_and_reencode(data, rules)
        except photos.PhotoError as exc:
            report.refused.append((name, str(exc)))
            continue
        accepted.append((name, person, jpeg))
    paths = []
    try:
        for name, person, jpeg in accepted:
            item = files.store(jpeg, f"{person.id_number_masked}.jpg", "image/jpeg", "photo", user=user,
                               person=person)
            paths.append(files.path_of(item))
            db.session.flush()
            person.photo_id = item.id
            # a new photo is verified again, whatever the state was
            person.verify_state = VerifyState.PENDING.value
            person.verify_note = None
            report.matched.append((name, person.name, person.id_number_masked))
        db.session.commit()
    except Exception:
        db.session.rollback()
        for path in paths:  # nothing half-written: no orphan files either
            if os.path.exists(path):
                os.remove(path)
        raise
    return report


def report_rows(report):
    rows = [(f, _("Matched"), person, masked, "") for f, person, masked in report["matched"]]
    rows += [(f, _("Unmatched"), "", "", reason) for f, reason in report["unmatched"]]
    rows += [(f, _("Refused"), "", "", reason) for f, reason in report["refused"]]
    return rows


def store_report(report, user):
    """The report as a workbook the user's institution may download; the caller commits."""
    headers = [_("File name"), _("Outcome"), _("Candidate"), _("ID number"), _("Reason")]
    data = workbook_bytes(headers, report_rows(report), sheet=_("Photo import")).getvalue()
    return files.store(data, "photo_import_report.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "report", user=user,
                       institution_id=user.institution_id)


def run_import_job(job_id, attachment_id, user_id, institution_id=None, rules=None):
    """The import as a job: the uploaded zip (an attachment) is imported, the report kept
    as a workbook, and the zip itself removed whatever the outcome."""
    from app.services import jobs
    from models import Attachment, PlatformUser

    user = db.session.get(PlatformUser, user_id)
    upload = db.session.get(Attachment, attachment_id)
    path = files.path_of(upload)
    try:
        report = import_photos(path, user, institution_id, rules,
                               progress=lambda done, total: jobs.progress(job_id, done, total))
    except ArchiveError as exc:
        jobs.fail(job_id, exc)
        return "refused"
    except Exception as exc:  # recorded on the job; the page shows it
        current_app.logger.exception("photo import failed")
        jobs.fail(job_id, _("The import failed: %(error)s", error=str(exc)[:300]))
        return "failed"
    finally:
        _discard(upload.id, path)
    data = report.as_dict()
    item = store_report(data, user)
    db.session.commit()
    jobs.finish(job_id, {
        "message": _("Photos stored: %(matched)d; unmatched: %(unmatched)d; refused: %(refused)d.",
                     matched=len(report.matched), unmatched=len(report.unmatched), refused=len(report.refused)),
        "attachment_id": item.id, "report": data})
    return "done"


def _discard(attachment_id, path):
    from models import Attachment

    db.session.query(Attachment).filter_by(id=attachment_id).delete(synchronize_session=False)
    db.session.commit()
    if os.path.exists(path):
        os.remove(path)
