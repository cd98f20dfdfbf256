"""Working-day calendar (SPEC I3): chinese-calendar's holidays and make-up
workdays, overridden by the administrator's CalendarDay rows."""
import datetime

import chinese_calendar

from app.extensions import db
from models import CalendarDay


def _default_is_workday(day):
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package does not know yet
        return day.weekday() < 5


def _overrides(start, end):
    rows = db.session.query(CalendarDay).filter(CalendarDay.day >= start, CalendarDay.day <= end)
    return {row.day: row.is_workday for row in rows}


def is_workday(day):
    return _overrides(day, day).get(day, _default_is_workday(day))


def add_workdays(start, count):
    """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
    if isinstance(start, datetime.datetime):
        start = start.date()
    if not count:
        return start
    overrides = _overrides(start, start + datetime.timedelta(days=count * 3 + 30))
    day, left = start, count
    while left:
        day += datetime.timedelta(days=1)
        if overrides.get(day, _default_is_workday(day)):
            left -= 1
    return day
