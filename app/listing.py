"""P1: back-office list queries that stay fast at a million rows, on PostgreSQL and SQLite alike.

- The count is exact up to ``LIST_EXACT_COUNT`` rows (``count(*)`` over at most that many + 1); beyond it
  PostgreSQL's planner estimate is shown, marked 约 (about), instead of counting a million rows a page.
- The next and previous pages are read by keyset (the rows beyond the last key shown); a page jumped to
  reads only its keys by OFFSET (an index-only scan), then its rows by key.
- When few rows match (the count is exact), their keys are found by the filters' own indexes first and then
  ordered, so PostgreSQL does not walk the primary key backwards hoping to meet matches early.
- The search box (``keyword``) reads what the user typed as an ID number (the blind index), a phone
  number (prefix), pinyin (prefix, spaces ignored) or a name (prefix), each answered by an index
  (migration 0018); lists of registrations, orders, certificates and matters find the person's rows, or
  their own row by its number.
"""
import json
import re

from flask import current_app
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import func, literal_column, or_, select

from app import crypto

ID_NUMBER = re.compile(r"^(\d{17}[\dXx]|\d{15})$")
PHONE_PREFIX = re.compile(r"^\d{3,11}$")
PINYIN = re.compile(r"^[A-Za-z][A-Za-z ]*$")


class ListCount(int):
    """The number of rows a list shows: exact, or PostgreSQL's estimate (reads '约 1,000,000')."""

    def __new__(cls, value, estimated=False):
        number = super().__new__(cls, value)
        number.estimated = estimated
        return number

    def __html__(self):
        text = f"{int(self):,}"
        return str(escape(_("about %(n)s", n=text) if self.estimated else text))


def count_rows(session, query, key):
    """A ListCount of ``query``'s rows (``key``: its primary key column): exact up to the limit, else
    estimated (PostgreSQL) or exact (SQLite)."""
    limit = current_app.config["LIST_EXACT_COUNT"]
    bounded = query.with_entities(key).order_by(None).limit(limit + 1).subquery()
    return _beyond_exact(session, query, session.execute(select(func.count()).select_from(bounded)).scalar())


def _beyond_exact(session, query, n):
    """``n`` rows counted up to the limit (+1) as the ListCount to show."""
    if n <= current_app.config["LIST_EXACT_COUNT"]:
        return ListCount(n)
    if session.get_bind().dialect.name != "postgresql":
        return ListCount(query.order_by(None).count())  # small databases: counting is cheap enough
    return ListCount(max(planned_rows(session, query), n), estimated=True)


def counted_page(query, key, direction, page, page_size):
    """The usual page's keys with, beside each, how many rows match (a window count) — among at most
    LIST_EXACT_COUNT + 1 matching rows: a subquery (key, total) for the caller to join its rows to, so the
    page and its count come in one statement.  The bounded inner SELECT lets the filters' own indexes find
    the rows before the keys are sorted (PostgreSQL would otherwise walk the primary key backwards hoping to
    meet matches early).  None beyond the rows counted exactly (the caller pages the long way)."""
    limit = current_app.config["LIST_EXACT_COUNT"]
    if (page or 0) * (page_size or 0) >= limit:
        return None
    matched = query.with_entities(key.label("key")).order_by(None).limit(limit + 1).subquery()
    return (select(matched.c.key, func.count().over().label("total"))
            .order_by(*key_order(matched.c.key, direction))
            .offset((page or 0) * (page_size or 0)).limit(page_size).subquery())


def exact_total(session, query, key, rows):
    """The ListCount of a page read with ``counted_page`` (``rows``: (item, total) pairs, None if not read)."""
    return _beyond_exact(session, query, rows[0][1]) if rows else count_rows(session, query, key)


def planned_rows(session, query):
    """The planner's row estimate of ``query`` (EXPLAIN, nothing is read)."""
    statement = query.order_by(None).statement
    compiled = statement.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    plan = session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def key_order(key, direction):
    return [key.asc() if direction == "asc" else key.desc()]


def keyset_page(query, key, direction, mode, edge, page_size):
    """The page after (``mode`` 'after') or before the key ``edge`` in the list's key order, read from the
    index at ``edge`` on, with no OFFSET; 'before' comes in reverse order."""
    descending = direction != "asc"
    beyond = key < edge if (mode == "after") == descending else key > edge
    order = key.desc() if (mode == "after") == descending else key.asc()
    return query.filter(beyond).order_by(order).limit(page_size)


# --- the search box ---------------------------------------------------------------------------------
def like_prefix(text):
    """``text`` as a LIKE prefix pattern, its own % and _ taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def pinyin_key(column):
    """The pinyin as the search box compares it: lower case, no spaces ('Wang Wei' -> 'wangwei')."""
    return func.lower(func.replace(column, literal_column("' '"), literal_column("''")))  # as the index reads


def search_kind(text):
    """How the search box reads ``text``: an ID number, a phone number (prefix), pinyin (prefix), another
    number (a registration's, order's, certificate's or matter's own: equality) or a name (prefix)."""
    if ID_NUMBER.match(text):
        return "id_number"
    if PHONE_PREFIX.match(text):
        return "phone"
    if PINYIN.match(text):
        return "pinyin"
    if text.isascii() and any(c.isdigit() for c in text):
        return "number"
    return "name"


def person_clause(person, text):
    """What a person's row must match for ``text`` (each kind has its index, migration 0018)."""
    text = text.strip()
    kind = search_kind(text)
    if kind == "id_number":
        return person.id_number_hash == crypto.blind_index(text)
    if kind == "phone":
        return person.phone.like(like_prefix(text), escape="\\")
    if kind == "pinyin":
        return pinyin_key(person.pinyin).like(like_prefix(text.replace(" ", "").lower()), escape="\\")
    return person.name.like(like_prefix(text), escape="\\")


def persons_matching(text, column="id"):
    """A subquery of the ids (or another column, e.g. ``user_id``) of the persons ``text`` finds."""
    from models import Person

    return select(getattr(Person, column)).where(person_clause(Person, text))


def keyword_search(person, numbers=()):
    """A view's search box: the rows whose own number (``numbers``: columns) equals a number typed, else the
    rows of the persons found (``person``: the column holding the person's id, or (column, 'user_id') for one
    holding the person's account).  One or the other, never OR-ed: each side keeps its index."""
    local, remote = person if isinstance(person, tuple) else (person, "id")

    def clause(model, text):
        text = text.strip()
        if numbers and search_kind(text) == "number":
            return or_(*(getattr(model, name) == text for name in numbers))
        return getattr(model, local).in_(persons_matching(text, remote))
    return clause
