"""Excel exports (SPEC I4) with xlsxwriter: formulas and URLs never
interpreted, long numbers (ID numbers, phones) kept as text."""
import datetime
import io
import tempfile
from decimal import Decimal

import xlsxwriter
from flask import send_file

EXPORT_MAX_ROWS = 50000  # a list exported at once
EXPORT_JOB_MAX_ROWS = 1_000_000  # a list exported by a background job (I4)
EXPORT_BATCH = 1000  # rows read from the database at a time


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def write_xlsx(out, headers, rows, sheet="Sheet1"):
    """Write the workbook to ``out`` (a file object) with constant memory: xlsxwriter writes each row to
    disk as it comes, so ``rows`` may be a generator of any length."""
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    ws = book.add_worksheet(sheet)
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
    for c, header in enumerate(headers):  # column widths first: constant memory writes rows in order
        ws.set_column(c, c, max(10, min(40, len(header) * 2 + 2)))
    ws.freeze_panes(1, 0)
    ws.write_row(0, 0, headers, bold)
    n = 0
    for n, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            v = _cell(value)
            (ws.write_string if isinstance(v, str) else ws.write)(n, c, v)
    book.close()
    return n


def workbook_bytes(headers, rows, sheet="Sheet1"):
    out = io.BytesIO()
    write_xlsx(out, headers, rows, sheet)
    out.seek(0)
    return out


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_xlsx(filename, headers, rows):
    """The workbook streamed from a temporary file (I4: constant memory however many rows)."""
    out = tempfile.TemporaryFile()
    write_xlsx(out, headers, rows)
    out.seek(0)
    response = send_file(out, as_attachment=True, download_name=filename, mimetype=XLSX, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
