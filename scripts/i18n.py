"""Catalogue upkeep: extract our strings and Flask-AppBuilder's into one
template, merge it into translations/{zh,en}, and report completeness.

    python scripts/i18n.py update   # after adding strings
    python scripts/i18n.py check    # untranslated / fuzzy / missing counts (exit 1 if any in zh)
    python scripts/i18n.py fill F.json  # update, then set the zh strings of {msgid: msgstr} in F.json
"""
import json
import os
import sys

import flask_appbuilder
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSLATIONS = os.path.join(ROOT, "translations")
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.do"}}
SOURCES = [os.path.join(ROOT, d) for d in ("app", "models", "views")] + [os.path.dirname(flask_appbuilder.__file__)]


def template():
    catalog = Catalog(project="exam-platform", fuzzy=False)
    for source in SOURCES:
        for _filename, _lineno, message, _comments, context in extract_from_dir(
                source, METHODS, options_map=OPTIONS, keywords=KEYWORDS):
            if message and (message if isinstance(message, str) else message[0]).strip():
                catalog.add(message, None, context=context)
    return catalog


def catalog_path(locale):
    return os.path.join(TRANSLATIONS, locale, "LC_MESSAGES", "messages.po")


def load(locale):
    path = catalog_path(locale)
    if not os.path.exists(path):
        return Catalog(locale=locale)
    with open(path, "rb") as fh:
        return read_po(fh, locale=locale)


def save(catalog, locale):
    catalog.fuzzy = False  # a fuzzy header makes pybabel skip the whole catalogue
    path = catalog_path(locale)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        write_po(fh, catalog, omit_header=False, sort_output=True, no_location=True, width=120)


def update():
    tmpl = template()
    for locale in ("zh", "en"):
        catalog = load(locale)
        catalog.update(tmpl, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        save(catalog, locale)
    print(f"{len(tmpl)} messages")


def fill(path):
    """Re-extract, then take the Chinese of the msgids in a JSON file {msgid: msgstr}
    (a plural msgid maps to a list).  Returns the msgids not in the sources."""
    update()
    with open(path, encoding="utf-8") as fh:
        strings = json.load(fh)
    catalog, unknown = load("zh"), []
    for msgid, msgstr in strings.items():
        message = next((m for m in catalog if m.id == msgid or (isinstance(m.id, tuple) and m.id[0] == msgid)), None)
        if message is None:
            unknown.append(msgid)
            continue
        message.string = tuple(msgstr) if isinstance(message.id, tuple) else msgstr
        message.flags.discard("fuzzy")
    save(catalog, "zh")
    return unknown


def problems(locale="zh"):
    """(untranslated, fuzzy, missing) msgids of a catalogue against the sources."""
    catalog = load(locale)
    untranslated = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    missing = [m.id for m in template() if m.id and m.id not in catalog]
    return untranslated, fuzzy, missing


if __name__ == "__main__":
    if sys.argv[1:] == ["update"]:
        update()
    elif sys.argv[1:2] == ["fill"]:
        for msgid in fill(sys.argv[2]):
            print("not in the sources:", msgid)
    else:
        u, f, m = problems()
        print(f"zh: untranslated={len(u)} fuzzy={len(f)} missing={len(m)}")
        for msg in (u + f + m)[:50]:
            print("  ", msg)
        sys.exit(1 if (u or f or m) else 0)
