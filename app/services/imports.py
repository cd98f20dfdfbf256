"""Imports are one pipeline (DESIGN): an import type declares its columns once;
from that declaration come the Excel template (xlsxwriter: notes as cell
comments, dropdowns, text-formatted ID/phone columns, an example sheet), the
streaming reader (openpyxl read-only, values only), the per-row validation
into typed records with errors, the all-or-nothing store and the error report
(row, column, reason) the user downloads.

Import types live in ``app/services/import_types.py`` and register here.
Services know nothing of requests: the acting user and the target
institution are arguments.
"""
import datetime
import gc
import io
import zipfile
from dataclasses import dataclass, field

import xlsxwriter
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_ROWS = 10000  # rows of the template that carry the dropdowns and text format
HEADER_ROW = 2  # Excel row of the headers (row 1: the instructions)
PROGRESS_EVERY = 500
MAX_ROWS = 50000
FILLED_SHOWN = 20  # filled-in cells listed on the result page; the rest are in the downloadable list

REGISTRY = {}


class ImportRefused(ValueError):
    """The whole file is refused (wrong type, no header row …); str() is for the user."""


class CellError(ValueError):
    """A cell's value is refused; str() is the reason shown in the error report."""


@dataclass
class Column:
    """One column of an import type, declared once for template, reader and report."""
    header: object  # lazy translated header
    field: str  # key of the typed record
    required: bool = False
    convert: object = None  # callable(value: str, ctx) -> typed value, raising CellError
    note: object = None  # lazy note: a comment on the header cell
    choices: object = None  # callable(ctx) -> list of dropdown values
    text: bool = False  # formatted as text ('@'): ID numbers, phones, codes
    example: object = ""  # value of the example row
    width: int = 14

    @property
    def title(self):
        return str(self.header)


@dataclass
class RowError:
    row: int
    column: str
    reason: str
    value: str = ""


@dataclass
class Context:
    """What one run knows: who imports, into which institution, options, look-ups."""
    user: object
    institution_id: int
    options: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)
    row: dict = field(default_factory=dict)  # the record being read: a converter may look at earlier columns


@dataclass
class Filled:
    """An empty cell the import type filled in (the pinyin from the name): offered for checking."""
    row: int
    name: str
    column: str
    value: str


@dataclass
class Result:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    filled: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors

    def message(self):
        if self.errors:
            return _("Nothing was imported: %(n)s problems in %(rows)s rows; download the error report.",
                     n=len(self.errors), rows=len({e.row for e in self.errors}))
        return _("Imported %(total)s rows: %(created)s added, %(updated)s updated, %(unchanged)s unchanged.",
                 total=self.total, created=self.created, updated=self.updated, unchanged=self.unchanged)


class ImportType:
    """Subclasses declare ``key``, ``title``, ``columns`` and implement ``store``;
    ``prepare`` loads look-ups in bulk, ``check`` validates a whole record,
    ``check_all`` what needs every row (duplicates, conflicts in the database)."""
    key = ""
    title = ""
    instructions = ""
    columns = []
    job_threshold = 0
    filled_message = None  # lazy, with %(n)s: shown when cells were filled in (record["_filled"])

    def columns_for(self, ctx):
        return self.columns

    def prepare(self, ctx):
        pass

    def check(self, record, ctx):
        """Yield (field, reason) for a record whose cells were each valid."""
        return ()

    def check_all(self, records, ctx):
        """Yield (row, field, reason) over all valid records."""
        return ()

    def store(self, records, ctx, result):
        raise NotImplementedError


def register(cls):
    """Class decorator: one instance of each import type, by key."""
    REGISTRY[cls.key] = cls()
    return cls


def get(key):
    from app.services import import_types  # noqa: F401  (registers the types)

    return REGISTRY.get(key)


# --- cells --------------------------------------------------------------------------------------------
def cell_text(value):
    """A cell as text: numbers without '.0' or exponent (ID numbers typed as numbers), dates as ISO."""
    if type(value) is str:  # nearly every cell of a filled template: the text columns
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == datetime.time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


# --- template -----------------------------------------------------------------------------------------
def template(import_type, ctx):
    """The Excel template of an import type (bytes)."""
    columns = import_type.columns_for(ctx)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    ws = book.add_worksheet(str(_l("Data")))
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    head_required = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "font_color": "#C00000"})
    note = book.add_format({"text_wrap": True, "valign": "top", "font_color": "#C00000"})
    text = book.add_format({"num_format": "@"})
    ws.merge_range(0, 0, 0, len(columns) - 1, str(import_type.instructions), note)
    ws.set_row(0, 90)
    for c, col in enumerate(columns):
        ws.set_column(c, c, col.width, text if col.text else None)
        ws.write_string(HEADER_ROW - 1, c, ("*" if col.required else "") + col.title,
                        head_required if col.required else head)
        if col.note:
            ws.write_comment(HEADER_ROW - 1, c, str(col.note), {"x_scale": 2, "y_scale": 2})
        if col.choices:
            values = [str(v) for v in col.choices(ctx)]
            source = _choice_source(book, c, values)
            if source:
                ws.data_validation(HEADER_ROW, c, HEADER_ROW + TEMPLATE_ROWS, c, {
                    "validate": "list", "source": source, "ignore_blank": True,
                    "error_title": str(_l("Invalid value")),
                    "error_message": str(_l("Choose a value from the list.")),
                })
    ws.freeze_panes(HEADER_ROW, 0)
    example = book.add_worksheet(str(_l("Example")))
    for c, col in enumerate(columns):
        example.set_column(c, c, col.width, text if col.text else None)
        example.write_string(0, c, ("*" if col.required else "") + col.title, head)
        value = col.example(ctx) if callable(col.example) else col.example
        example.write_string(1, c, str(value or ""))
    book.close()
    return out.getvalue()


def _choice_source(book, c, values):
    """A dropdown list: inline when short (Excel's limit is 255 characters), else from a hidden sheet."""
    if not values:
        return None
    if sum(len(v) + 1 for v in values) < 250:
        return values
    sheet = book.get_worksheet_by_name("lists") or book.add_worksheet("lists")
    sheet.hide()
    for r, v in enumerate(values):
        sheet.write_string(r, c, v)
    col = xlsxwriter.utility.xl_col_to_name(c)
    return f"=lists!${col}$1:${col}${len(values)}"


# --- reading ------------------------------------------------------------------------------------------
def open_rows(data, filename=""):
    """(header row number, headers, rows iterator of (row number, values)) of the first sheet."""
    if not filename.lower().endswith(".xlsx") or not data.startswith(b"PK"):
        raise ImportRefused(_("Please upload an Excel workbook (.xlsx), such as the downloaded template."))
    from openpyxl import load_workbook  # defusedxml is installed: openpyxl parses with it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise ImportRefused(_("Please upload an Excel workbook (.xlsx), such as the downloaded template.")) from None
    return book, book.worksheets[0]


def _header_map(values, columns):
    """Which position holds which column: headers matched with or without '*', translated or not."""
    wanted = {}
    for col in columns:
        for name in {col.title, str(col.header._args[0]) if hasattr(col.header, "_args") else col.title}:
            wanted[name.strip().lower()] = col
    found = {}
    for i, value in enumerate(values):
        name = cell_text(value).lstrip("*").strip().lower()
        if name in wanted and wanted[name].field not in {c.field for c in found.values()}:
            found[i] = wanted[name]
    return found


def run(import_type, data, filename, ctx, progress=None):
    """Validate every row, then store all or nothing. Returns a Result (errors name row, column, reason)."""
    paused = gc.isenabled()
    gc.disable()  # hundreds of thousands of short-lived cells and no cycles: collections would only cost time
    try:
        return _run(import_type, data, filename, ctx, progress)
    finally:
        if paused:
            gc.enable()


def _run(import_type, data, filename, ctx, progress):
    columns = import_type.columns_for(ctx)
    book, ws = open_rows(data, filename)
    result = Result()
    try:
        rows = ws.iter_rows(values_only=True)
        positions, header_row = None, 0
        for header_row, values in enumerate(rows, start=1):
            found = _header_map(values or (), columns)
            if len(found) >= max(1, sum(1 for c in columns if c.required) // 2 + 1):
                positions = found
                break
            if header_row >= 5:
                break
        if positions is None:
            raise ImportRefused(_("The header row of the template was not found; please use the downloaded "
                                  "template."))
        # read in declared order, whatever the file's order: a converter may use an earlier column
        order = {c.field: n for n, c in enumerate(columns)}
        positions = dict(sorted(positions.items(), key=lambda p: order[p[1].field]))
        present = {c.field for c in positions.values()}
        missing = [c for c in columns if c.required and c.field not in present]
        if missing:
            raise ImportRefused(_("The file lacks the column %(column)s; please use the downloaded template.",
                                  column=missing[0].title))
        total_hint = max((ws.max_row or 0) - header_row, 0)
        import_type.prepare(ctx)
        titles = {c.field: c.title for c in columns}
        records = []
        for number, values in enumerate(rows, start=header_row + 1):
            if not values or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            result.total += 1
            if result.total > MAX_ROWS:
                raise ImportRefused(_("A file holds at most %(n)s rows; please split it.", n=MAX_ROWS))
            record = ctx.row = {"_row": number}
            raw = {}
            bad = False
            for i, col in positions.items():
                text = cell_text(values[i]) if i < len(values) else ""
                raw[col.field] = text
                if not text:
                    record[col.field] = None
                    if col.required:
                        result.errors.append(RowError(number, col.title, _("This column is required.")))
                        bad = True
                    continue
                try:
                    record[col.field] = col.convert(text, ctx) if col.convert else text
                except CellError as exc:
                    result.errors.append(RowError(number, col.title, str(exc), text))
                    bad = True
            record["_raw"] = raw
            if not bad:
                for fname, reason in import_type.check(record, ctx):
                    result.errors.append(RowError(number, titles.get(fname, fname), str(reason),
                                                  raw.get(fname, "")))
                    bad = True
            if not bad:
                records.append(record)
            if progress and result.total % PROGRESS_EVERY == 0:
                progress(result.total, max(total_hint, result.total))
    finally:
        book.close()
    if result.total == 0 and not result.errors:
        raise ImportRefused(_("The file has no data rows."))
    for number, fname, reason in import_type.check_all(records, ctx):
        raw = next((r["_raw"] for r in records if r["_row"] == number), {})
        result.errors.append(RowError(number, titles.get(fname, fname), str(reason), raw.get(fname, "")))
    result.errors.sort(key=lambda e: (e.row, e.column))
    if result.errors:
        db.session.rollback()
        return result
    try:
        import_type.store(records, ctx, result)
        if current_app.config.get("JOB_TEST_HOLD"):  # S10: the rows are written, not yet committed
            from app.services.jobs import checkpoint

            db.session.flush()
            checkpoint("import-store")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    result.filled = [Filled(r["_row"], r.get("name") or "", titles.get(f, f), value)
                     for r in records for f, value in r.get("_filled", {}).items()]
    return result


# --- error report -------------------------------------------------------------------------------------
def _report_book(sheet, colour, headers, rows, widths):
    """A one-sheet workbook of a header row and rows of (row number, texts…); text is
    always written as text, never as a formula, link or number."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    ws = book.add_worksheet(str(sheet))
    ws.write_row(0, 0, [str(h) for h in headers], book.add_format({"bold": True, "bg_color": colour}))
    for r, (number, *texts) in enumerate(rows, start=1):
        ws.write_number(r, 0, number)
        for c, value in enumerate(texts, start=1):
            ws.write_string(r, c, value or "")
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def error_report(result):
    """The errors: row, column, reason, value."""
    return _report_book(_l("Errors"), "#FCE4D6", [_l("Row"), _l("Column"), _l("Reason"), _l("Value in the file")],
                        ((e.row, e.column, e.reason, e.value) for e in result.errors), (8, 16, 60, 24))


def filled_report(result):
    """The filled-in cells (row, name, column, value), to check them against the file."""
    return _report_book(_l("Filled-in cells"), "#FFF2CC", [_l("Row"), _l("Full name"), _l("Column"),
                                                            _l("Filled in with")],
                        ((f.row, f.name, f.column, f.value) for f in result.filled), (8, 20, 20, 20))


# --- as a job -----------------------------------------------------------------------------------------
def run_stored(job_id, key, attachment_id, user_id, institution_id, options):
    """The job's body (app.tasks.run_import): read the stored upload, run, store the report, finish."""
    from app.services import files, jobs
    from models import Attachment, PlatformUser

    import_type = get(key)
    user = db.session.get(PlatformUser, user_id)
    attachment = db.session.get(Attachment, attachment_id)
    with open(files.path_of(attachment), "rb") as fh:
        data = fh.read()
    ctx = Context(user=user, institution_id=institution_id, options=options or {})
    try:
        result = run(import_type, data, attachment.filename, ctx,
                     progress=lambda done, total: jobs.progress(job_id, done, total))
    except ImportRefused as exc:
        jobs.fail(job_id, str(exc))
        return None
    except Exception as exc:
        jobs.fail(job_id, _("The import failed: %(error)s", error=type(exc).__name__))
        raise
    outcome = {"message": result.message(), "total": result.total, "created": result.created,
               "updated": result.updated, "unchanged": result.unchanged, "errors": len(result.errors)}
    if result.filled:
        outcome.update(filled=len(result.filled), filled_message=str(import_type.filled_message or "") % {
            "n": len(result.filled)}, filled_rows=[[f.row, f.name, f.value] for f in result.filled[:FILLED_SHOWN]])
        report = files.store(filled_report(result), f"{key}-filled-{job_id}.xlsx", XLSX_MIME, "import_report",
                             user=user, institution_id=institution_id)
        db.session.commit()
        outcome["filled_attachment_id"] = report.id
    if result.errors:
        report = files.store(error_report(result), f"{key}-errors-{job_id}.xlsx", XLSX_MIME, "import_report",
                             user=user, institution_id=institution_id)
        db.session.commit()
        outcome["attachment_id"] = report.id
    jobs.finish(job_id, outcome)
    return outcome
