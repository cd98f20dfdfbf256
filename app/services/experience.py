"""F2/F3: the five experience tables of 个人信息填报 (seed 002), their columns and checks.

One definition serves the application form, the base-information library (个人基础信息库,
rows with no matter), the expert's judgement screen and the detail pages.  A row's values
live in ExperienceEntry.data under the column keys below; ``clean_row`` checks a submitted
row and raises ExperienceError naming the table, the row and the field."""
import datetime
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models.enums import ExperienceKind as K


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    kind: str = "text"  # text, date, int, phone
    required: bool = True
    max_length: int = 128


def _period(start_label=_l("Start date"), end_label=_l("End date"), end_required=False):
    return [Column("start", start_label, "date"), Column("end", end_label, "date", required=end_required)]


_referee = [Column("referee", _l("Referee name"), max_length=40), Column("referee_phone", _l("Referee phone"), "phone")]

TABLES = {
    K.EDUCATION: _period(_l("Enrolment date"), _l("Graduation date"), True) + [
        Column("school", _l("School name")), Column("major", _l("Major studied")),
        Column("degree", _l("Education level"), max_length=40)],
    K.WORK: [Column("employer", _l("Employer"))] + _period() + [
        Column("department", _l("Department"), required=False), Column("title", _l("Position / title"))] + _referee,
    K.PROFESSIONAL: [Column("employer", _l("Employer"))] + _period() + [
        Column("department", _l("Department"), required=False), Column("title", _l("Position / title")),
        Column("post", _l("Post"))] + _referee,
    K.AUDIT: _period(end_required=True) + [
        Column("auditee", _l("Auditee name")), Column("onsite_days", _l("On-site audit days"), "int"),
        Column("audit_type", _l("Audit type"), max_length=40)],
    K.CPD: [Column("course", _l("Course name")), Column("start", _l("Start date"), "date"),
            Column("valid_until", _l("Valid until"), "date"), Column("hours", _l("Course hours"), "int"),
            Column("category", _l("Course category"), max_length=40)],
}
# the education row carries its degree document (学历文件)
WITH_DOCUMENT = {K.EDUCATION}
MAX_ROWS = 30


class ExperienceError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def label(kind):
    return K(kind).label


def clean_row(kind, values, row_no=None):
    """A submitted row (dict of strings) → the stored dict; ExperienceError names table, row and field."""
    kind = K(kind)
    where = _("%(table)s, row %(n)d", table=kind.label, n=row_no) if row_no else str(kind.label)
    data = {}
    for c in TABLES[kind]:
        raw = (values.get(c.key) or "").strip()
        field = f"{kind.value}-{row_no or 0}-{c.key}"
        if not raw:
            if c.required:
                raise ExperienceError(field, _("%(where)s: please fill in %(field)s.", where=where, field=c.label))
            data[c.key] = ""
            continue
        if c.kind == "date":
            try:
                datetime.date.fromisoformat(raw)
            except ValueError:
                raise ExperienceError(field, _("%(where)s: %(field)s is not a date (YYYY-MM-DD).", where=where,
                                               field=c.label)) from None
        elif c.kind == "int":
            if not raw.isdigit() or not 0 < int(raw) <= 10000:
                raise ExperienceError(field, _("%(where)s: %(field)s must be a whole number above 0.", where=where,
                                               field=c.label))
            raw = int(raw)
        elif c.kind == "phone":
            digits = raw.replace("-", "").replace(" ", "")
            if not digits.isdigit() or not 7 <= len(digits) <= 12:
                raise ExperienceError(field, _("%(where)s: %(field)s is not a phone number.", where=where,
                                               field=c.label))
        elif len(raw) > c.max_length:
            raise ExperienceError(field, _("%(where)s: %(field)s has at most %(n)d characters.", where=where,
                                           field=c.label, n=c.max_length))
        data[c.key] = raw
    end_key = "valid_until" if kind == K.CPD else "end"
    if data.get("start") and data.get(end_key) and data[end_key] < data["start"]:
        raise ExperienceError(f"{kind.value}-{row_no or 0}-{end_key}",
                              _("%(where)s: the end date is before the start date.", where=where))
    if data.get("start") and data["start"] > datetime.date.today().isoformat():
        raise ExperienceError(f"{kind.value}-{row_no or 0}-start",
                              _("%(where)s: the start date is in the future.", where=where))
    return data


def summary(kind, data):
    """One line naming a row (the expert's opinion lists nonconforming rows by it)."""
    kind = K(kind)
    parts = [str(data.get(c.key, "")) for c in TABLES[kind][:4] if data.get(c.key)]
    return f"{kind.label}：{' / '.join(parts)}"
