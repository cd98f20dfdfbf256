"""工作日历 (SPEC I3): a year's twelve months as a calendar grid, each day's kind from chinese-calendar
(working day, rest day, statutory holiday with its name, make-up working day) and the administrator's
CalendarDay overrides, which app.workdays.add_workdays reads for every deadline.  Overrides are written
through the ORM, so the audit log records each one (app/audit.py)."""
import calendar
import datetime
from dataclasses import dataclass

import chinese_calendar
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from models import CalendarDay

MIN_YEAR, MAX_YEAR = 2000, 2100
NOTE_MAX = 128

WORKDAY, RESTDAY, HOLIDAY, MAKEUP = "workday", "restday", "holiday", "makeup"
KIND_LABELS = {WORKDAY: _l("Working day"), RESTDAY: _l("Rest day"), HOLIDAY: _l("Statutory holiday"),
               MAKEUP: _l("Make-up working day")}
# chinese_calendar.Holiday values -> their Chinese names
HOLIDAY_NAMES = {
    "New Year's Day": _l("New Year's Day"),
    "Spring Festival": _l("Spring Festival"),
    "Tomb-sweeping Day": _l("Tomb-sweeping Day"),
    "Labour Day": _l("Labour Day"),
    "Dragon Boat Festival": _l("Dragon Boat Festival"),
    "National Day": _l("National Day"),
    "Mid-autumn Festival": _l("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": _l("Victory Day (70th anniversary)"),
}


class CalendarError(ValueError):
    """Bad input, naming the field (``field`` is the form field's name)."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


@dataclass
class Day:
    date: datetime.date
    kind: str  # the default kind (chinese-calendar, or weekdays for a year it does not know)
    holiday: str | None  # the holiday's name (holidays and make-up working days)
    default_workday: bool
    override: CalendarDay | None

    @property
    def is_workday(self):
        return self.override.is_workday if self.override is not None else self.default_workday

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]

    @property
    def shown_kind(self):
        """The kind in effect: an override turns the day into a working or a rest day."""
        if self.override is None:
            return self.kind
        return WORKDAY if self.override.is_workday else RESTDAY


@dataclass
class Month:
    number: int
    weeks: list  # lists of 7 Day-or-None, Monday first
    workdays: int
    overrides: int


def known_year(year):
    """Whether chinese-calendar has the State Council's holiday arrangement of ``year``."""
    try:
        chinese_calendar.is_workday(datetime.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def holiday_name(name):
    return HOLIDAY_NAMES.get(name, name) if name else None


def _default(day, known):
    if not known:
        workday = day.weekday() < 5
        return (WORKDAY if workday else RESTDAY), None, workday
    is_holiday, name = chinese_calendar.get_holiday_detail(day)
    if is_holiday:
        return (HOLIDAY if name else RESTDAY), holiday_name(name), False
    return (MAKEUP if name or day.weekday() >= 5 else WORKDAY), holiday_name(name), True


def parse_year(raw, default=None):
    if raw in (None, ""):
        return default or datetime.date.today().year
    try:
        year = int(str(raw).strip())
    except ValueError:
        year = None
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        raise CalendarError("year", _("%(field)s must be a whole number from %(low)d to %(high)d.", field=_("Year"),
                                      low=MIN_YEAR, high=MAX_YEAR))
    return year


def parse_day(raw):
    try:
        day = datetime.date.fromisoformat((raw or "").strip())
    except ValueError:
        raise CalendarError("day", _("%(field)s is not a valid date.", field=_("Date"))) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise CalendarError("day", _("%(field)s must be between %(low)s and %(high)s.", field=_("Date"),
                                     low=f"{MIN_YEAR}-01-01", high=f"{MAX_YEAR}-12-31"))
    return day


def overrides_of(year):
    rows = db.session.query(CalendarDay).filter(CalendarDay.day >= datetime.date(year, 1, 1),
                                                CalendarDay.day <= datetime.date(year, 12, 31))
    return {row.day: row for row in rows}


def year_grid(year):
    """The twelve months of ``year``; each Month has its weeks of Days and its count of working days."""
    known, overrides, months = known_year(year), overrides_of(year), []
    for number in range(1, 13):
        weeks, workdays, changed = [], 0, 0
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, number):
            cells = []
            for date in week:
                if date.month != number:
                    cells.append(None)
                    continue
                kind, name, default = _default(date, known)
                day = Day(date, kind, name, default, overrides.get(date))
                workdays += day.is_workday
                changed += day.override is not None
                cells.append(day)
            weeks.append(cells)
        months.append(Month(number, weeks, workdays, changed))
    return months


def day_info(date):
    kind, name, default = _default(date, known_year(date.year))
    return Day(date, kind, name, default, db.session.get(CalendarDay, date))


def set_override(form):
    """Make ``form['day']`` a working day (``is_workday`` "1") or a rest day ("0") with an optional note."""
    day = parse_day(form.get("day"))
    flag = (form.get("is_workday") or "").strip()
    if flag not in ("0", "1"):
        raise CalendarError("is_workday", _("%(field)s is required.", field=_("Working day / rest day")))
    note = (form.get("note") or "").strip()
    if len(note) > NOTE_MAX:
        raise CalendarError("note", _("%(field)s is too long (at most %(n)d characters).", field=_("Note"),
                                      n=NOTE_MAX))
    row = db.session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.is_workday = flag == "1"
    row.note = note or None
    db.session.commit()
    return row


def restore_default(raw_day):
    """Remove the override of a day: chinese-calendar (or weekdays) decides again."""
    day = parse_day(raw_day)
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise CalendarError("day", _("%(field)s: %(reason)s", field=_("Date"),
                                     reason=_("this day has no override.")))
    db.session.delete(row)
    db.session.commit()
    return day
