"""Excel exports (SPEC I4) with xlsxwriter: formulas and URLs never
interpreted, long numbers (ID numbers, phones) kept as text."""
import datetime
import io
from decimal import Decimal

import xlsxwriter
from flask import send_file

EXPORT_MAX_ROWS = 50000


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


def workbook_bytes(headers, rows, sheet="Sheet1"):
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    ws = book.add_worksheet(sheet)
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
    ws.write_row(0, 0, headers, bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            v = _cell(value)
            (ws.write_string if isinstance(v, str) else ws.write)(r, c, v)
    for c, header in enumerate(headers):
        ws.set_column(c, c, max(10, min(40, len(header) * 2 + 2)))
    ws.freeze_panes(1, 0)
    book.close()
    out.seek(0)
    return out


def send_xlsx(filename, headers, rows):
    return send_file(workbook_bytes(headers, rows), as_attachment=True, download_name=filename,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
