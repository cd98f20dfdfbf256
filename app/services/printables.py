"""Printables (SPEC B9; later admission tickets, stickers, sign-in sheets and
certificates the same way): one renderer, page templates, one context builder each.

- ``Sheet`` is the one renderer: fpdf2, A4, the CJK font (``PDF_FONT_PATH``)
  embedded and subset, page numbers, bordered tables whose rows never run off
  the page (over-tall rows are split into continuation rows), and text the font
  cannot draw replaced by a visible placeholder instead of failing.
- A context builder turns a model into a dict of plain strings, its labels taken
  from the models' own lazy labels and enums under the current locale.
- A page template draws that dict on a ``Sheet``; it knows no model.

``Printable(name, context, page).render(obj)`` joins the three and returns PDF
bytes.  No Flask request in here: the views check who may print what.
"""
import datetime
import functools
import io
import logging
import os
import re
import time
import warnings
from dataclasses import dataclass
from typing import Callable

from flask import current_app
from flask_babel import gettext as _
from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode
from PIL import Image
from sqlalchemy import inspect as sa_inspect

from app.extensions import db
from app.services import files, scheduling
from app.services import registration as registration_service
from models import (
    Attachment,
    Certificate,
    Education,
    ExamPlan,
    ExamSession,
    Institution,
    Person,
    Registration,
    Room,
    SeatAssignment,
    Site,
    WorkExperience,
)
from models.enums import (
    EducationLevel,
    Gender,
    IdType,
    RegistrationCategory,
    RegistrationStatus,
    SectionCode,
)

log = logging.getLogger(__name__)

PLACEHOLDER = "\u25a1"  # □ stands for a character the font cannot draw
FALLBACK_PLACEHOLDER = "?"
MARGIN = 15  # mm, left/right/top
BOTTOM = 16  # mm kept free for the footer
BODY_PT = 9.5
LINE_H = 5.0  # mm per text line in tables
PAD = (1.4, 1.6)  # mm: vertical, horizontal cell padding
SHADE = (236, 240, 245)
RULE = (90, 90, 90)
MAX_PHOTO_PIXELS = 40_000_000
# Chinese line breaking (避头尾): these never start a line, those never end one
NO_LINE_START = set("，。、；：？！）》」』】〕〉…—·%‰,.;:?!)]}>'\"”’")
NO_LINE_END = set("（《「『【〔〈([{<“‘")
# a run of Latin letters, digits and their joiners stays together unless it is longer than a line
TOKEN = re.compile(r"[0-9A-Za-z\u00c0-\u024f@._%+\-/:#&=~']+ *| +|.", re.S)


class FontMissing(RuntimeError):
    """No CJK font file: PDFs cannot be made (the views answer with an error page)."""


# --- the font --------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _face_number(path, configured=None):
    """The face of a font collection to use: the configured one, else the Simplified Chinese one."""
    if configured not in (None, ""):
        return int(configured)
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    faces = TTCollection(path, lazy=True).fonts
    names = [(face["name"].getDebugName(6) or "", face["name"].getDebugName(1) or "") for face in faces]
    for i, (postscript, family) in enumerate(names):
        if "mono" not in postscript.lower() and (postscript.lower().startswith("notosanscjksc-")
                                                  or family.endswith(" SC")):
            return i
    return 0


def font_files(config=None):
    """[(style, path, face number)] of the configured font; FontMissing when there is none."""
    config = config if config is not None else current_app.config
    path = config.get("PDF_FONT_PATH")
    if not path or not os.path.isfile(path):
        raise FontMissing(f"PDF font not found: {path or '(PDF_FONT_PATH not set)'}; install fonts-noto-cjk "
                          "or put NotoSansCJKsc-Regular.otf into app/fonts/")
    found = [("", path, _face_number(path, config.get("PDF_FONT_INDEX")))]
    bold = config.get("PDF_FONT_BOLD_PATH")
    if bold and os.path.isfile(bold):
        found.append(("B", bold, _face_number(bold, config.get("PDF_FONT_INDEX"))))
    return found


def font_available(config=None):
    try:
        font_files(config)
    except FontMissing:
        return False
    return True


# --- the renderer ------------------------------------------------------------------------
class Sheet(FPDF):
    """An A4 page set in the CJK font, with helpers for Chinese forms."""

    FAMILY = "cjk"

    def __init__(self, title, footer_note="", config=None, first_page=True, numbered=True):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.numbered = numbered  # page numbers in the footer (not on stickers and tickets)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=BOTTOM)
        self.set_title(title)
        self.set_creator(str((config or current_app.config).get("APP_NAME", "")))
        self.set_lang("zh-CN")
        styles = set()
        for style, path, number in font_files(config):
            self.add_font(self.FAMILY, style, path, collection_font_number=number)
            styles.add(style)
        self.bold = "B" if "B" in styles else ""
        cmaps = [set(self.fonts[self.FAMILY + s].cmap) for s in styles]
        self._drawable = set.intersection(*cmaps)
        self._placeholder = PLACEHOLDER if ord(PLACEHOLDER) in self._drawable else FALLBACK_PLACEHOLDER
        self.replaced = 0  # how many characters were replaced by the placeholder
        self._pending_section = None
        self._widths = {}
        self.footer_note = self.clean(footer_note)
        # "第 {page} 页 / 共 {nb} 页": fpdf2 puts the page count in for {nb} at output
        self.alias_nb_pages("{nb}" if numbered else None)
        self._page_pattern = self.clean(_("Page %(page)s of %(pages)s", page="{page}", pages="{nb}"))
        self.set_draw_color(*RULE)
        self.set_line_width(0.25)
        self.set_font(self.FAMILY, size=BODY_PT)
        if first_page:
            self.add_page()

    # text -------------------------------------------------------------------------------
    def clean(self, value):
        """Text the font can draw: line breaks kept, control characters dropped, missing glyphs □."""
        text = "" if value is None else str(value)
        if text.isprintable() and self._drawable.issuperset(map(ord, text)):
            return text  # the common case, checked at C speed
        out = []
        for ch in text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "):
            if ch == "\n" or ord(ch) in self._drawable:
                out.append(ch)
            elif ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or ch in "\u200b\u200c\u200d\ufeff":
                continue
            elif ch.isspace():
                out.append(" ")
            else:
                out.append(self._placeholder)
                self.replaced += 1
        return "".join(out)

    def footer(self):
        if not self.numbered and not self.footer_note:
            return
        self.set_y(-11)
        self.set_font(self.FAMILY, size=8)
        self.set_text_color(90, 90, 90)
        half = self.epw / 2
        self.cell(half, 5, self.footer_note, align="L")
        if self.numbered:
            self.cell(half, 5, self._page_pattern.replace("{page}", str(self.page_no())), align="R")
        self.set_text_color(0, 0, 0)

    # blocks -----------------------------------------------------------------------------
    def title_block(self, lines, size=17):
        """Centred title lines; the last one largest."""
        for i, line in enumerate(lines):
            pt = size if i == len(lines) - 1 else size - 4
            for part in self.fit(line, self.epw, self.bold, pt):
                self.set_font(self.FAMILY, self.bold, pt)
                self.cell(0, pt * 0.5, part, align="C", new_x="LMARGIN", new_y="NEXT")
            self.ln(2)
        self.set_font(self.FAMILY, size=BODY_PT)

    def meta_line(self, left, right=""):
        """One line above a form: net number on the left, print date on the right."""
        self.set_font(self.FAMILY, self.bold, 10.5)
        half = self.epw / 2
        self.cell(half, 7, self.clean(left), align="L")
        self.set_font(self.FAMILY, size=9)
        self.cell(half, 7, self.clean(right), align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.FAMILY, size=BODY_PT)

    def paragraph(self, text, indent=True, size=11.5, line_h=7.5):
        """Running text (a pledge): first-line indent of two characters, page breaks as needed."""
        lead = "\u3000\u3000" if indent and ord("\u3000") in self._drawable else ""
        for para in self.clean(text).split("\n"):
            if para.strip():
                for line in self.fit(lead + para.strip(), self.epw + 2 * PAD[1], size=size):
                    self.set_font(self.FAMILY, size=size)
                    self.cell(0, line_h, line, align="L", new_x="LMARGIN", new_y="NEXT")
                self.ln(1.5)
        self.set_font(self.FAMILY, size=BODY_PT)

    def signature_lines(self, lines, size=11):
        """Right-hand signature and date lines ("考生签名：______  日期：____年__月__日")."""
        self.set_font(self.FAMILY, size=size)
        for line in lines:
            self.cell(0, 10, self.clean(line), align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.FAMILY, size=BODY_PT)

    def _room_left(self):
        return self.page_break_trigger - self.y

    def keep_room(self, height):
        """Start a new page unless ``height`` mm still fit on this one."""
        if self._room_left() < height:
            self.add_page()

    def section(self, label):
        """A shaded heading row; drawn with the block that follows, so never alone at a page's foot."""
        self._pending_section = label

    def _begin_block(self, height):
        """Keep the pending section heading and the first ``height`` mm of the next block together."""
        bar = 8 if self._pending_section is not None else 0
        self.keep_room(bar + min(height, self._max_row_height()))
        if self._pending_section is not None:
            self.set_font(self.FAMILY, self.bold, 10.5)
            self.set_fill_color(*SHADE)
            self.cell(0, bar, " " + self.clean(self._pending_section), border=1, fill=True, align="L",
                      new_x="LMARGIN", new_y="NEXT")
            self._pending_section = None
        self.set_fill_color(255)  # tables take the current fill colour as their cells' background
        self.set_font(self.FAMILY, size=BODY_PT)

    def _heading_size(self, text, width, smallest=7.0):
        """A smaller size for a heading whose longest word would otherwise be cut ("occupation")."""
        self.set_font(self.FAMILY, self.bold, BODY_PT)
        longest = max((self._token_width(t.strip()) for t in TOKEN.findall(self.clean(text))), default=0)
        room = width - 2 * PAD[1] - 0.4
        self.set_font(self.FAMILY, size=BODY_PT)
        return BODY_PT if longest <= room else max(smallest, int(BODY_PT * room / longest * 10) / 10)

    @staticmethod
    def _row_height(cells, minimum=0):
        """Height of a row of cells given as lists of lines."""
        return max(minimum, max(len(lines) for lines in cells) * LINE_H + 2 * PAD[0])

    # tables -----------------------------------------------------------------------------
    def _char_width(self, ch):
        key = (self.font_style, self.font_size_pt, ch)
        width = self._widths.get(key)
        if width is None:
            width = self._widths[key] = self.get_string_width(ch)
        return width

    def _token_width(self, token):
        return sum(self._char_width(ch) for ch in token)

    def wrap(self, text, width):
        """Lines of ``text`` (already clean) no wider than ``width`` mm in the current font:
        broken between Chinese characters, Latin words kept whole where they fit, and
        punctuation never starting a line nor an opening bracket ending one."""
        lines = []
        for para in text.split("\n"):
            line, used = [], 0.0
            for token in TOKEN.findall(para):
                tw = self._token_width(token)
                inked = self._token_width(token.rstrip())  # a trailing space may hang past the edge
                if used + inked <= width:
                    line.append(token)
                    used += tw
                    continue
                if inked > width:  # a run longer than a line: break it by character
                    for ch in token:
                        cw = self._char_width(ch)
                        if line and used + cw > width:
                            line, used = self._break(lines, line, ch)
                        line.append(ch)
                        used += cw
                    continue
                line, used = self._break(lines, line, token)
                line.append(token)
                used += tw
            lines.append("".join(line).rstrip())
        return lines or [""]

    def _break(self, lines, line, coming):
        """End ``line`` before ``coming``; returns the start of the next line and its width."""
        carry = []
        if coming[:1] in NO_LINE_START and len(line) > 1:
            carry.insert(0, line.pop())
        while len(line) > 1 and line[-1][-1:] in NO_LINE_END:
            carry.insert(0, line.pop())
        lines.append("".join(line).rstrip())
        carry = [t.lstrip() if i == 0 else t for i, t in enumerate(carry)]
        return carry, self._token_width("".join(carry))

    def fit(self, text, width, style="", size=BODY_PT, pad=PAD[1]):
        """``text`` cleaned and broken into lines for a cell ``width`` mm wide (``pad`` each side)."""
        self.set_font(self.FAMILY, style, size)
        lines = self.wrap(self.clean(text), max(width - 2 * pad - 0.4, 4))
        self.set_font(self.FAMILY, size=BODY_PT)
        return lines

    def _max_row_height(self, heading_rows=1):
        # a full page less the repeated heading row and a safety line
        body = self.page_break_trigger - self.t_margin
        return body - heading_rows * (LINE_H * 2 + 2 * PAD[0]) - LINE_H * 2

    def split_row(self, cells, widths, pad=PAD[1]):
        """One row (cells pre-broken into lines), or several continuation rows when it
        would be taller than a page."""
        per_cell = [self.fit(text, w, pad=pad) for text, w in zip(cells, widths, strict=True)]
        fit = int((self._max_row_height() - 2 * PAD[0]) // LINE_H)
        tallest = max(len(lines) for lines in per_cell)
        return [["\n".join(lines[start:start + fit]) for lines in per_cell] for start in range(0, tallest, fit)]

    def data_table(self, headings, rows, widths, aligns=None, empty=""):
        """A bordered table with a shaded heading row repeated on each page.

        ``widths`` in mm (they add up to the page's text width); cells wrap by
        character; no row is taller than a page.  Without rows, one row saying ``empty``."""
        aligns = aligns or ["C"] * len(widths)
        heading_style = FontFace(family=self.FAMILY, emphasis="BOLD" if self.bold else None,
                                 size_pt=BODY_PT, fill_color=SHADE)
        sizes = [self._heading_size(text, width) for text, width in zip(headings, widths, strict=True)]
        head = [self.fit(text, width, self.bold, size)
                for text, width, size in zip(headings, widths, sizes, strict=True)]
        body = [part for row in rows for part in self.split_row(row, widths)]
        first = self._row_height([t.split("\n") for t in body[0]]) if body else 0
        self._begin_block(self._row_height(head) + first)
        with self.table(col_widths=widths, width=sum(widths), line_height=LINE_H, padding=PAD,
                        wrapmode=WrapMode.CHAR, headings_style=heading_style, v_align="MIDDLE",
                        text_align=aligns, repeat_headings=1, first_row_as_headings=True,
                        num_heading_rows=1) as table:
            heading = table.row()
            for lines, size in zip(head, sizes, strict=True):
                heading.cell("\n".join(lines), align="C",
                             style=None if size == BODY_PT else FontFace(size_pt=size))
            for part in body:
                line = table.row()
                for text, align in zip(part, aligns, strict=True):
                    line.cell(text, align=align)
            if not body:
                table.row().cell(self.clean(empty), colspan=len(widths), align="C")

    def boxed_text(self, text, pad=4.0):
        """Running text in a full-width bordered box, paragraphs indented, split over pages if long."""
        indent = "\u3000\u3000" if ord("\u3000") in self._drawable else ""
        text = "\n".join(indent + para.strip() for para in str(text).splitlines() if para.strip())
        parts = self.split_row([text], [self.epw], pad=pad)
        self._begin_block(self._row_height([parts[0][0].split("\n")]) + 2)
        with self.table(col_widths=[self.epw], width=self.epw, line_height=LINE_H + 0.8, padding=(3, pad),
                        wrapmode=WrapMode.CHAR, first_row_as_headings=False, num_heading_rows=0,
                        text_align="LEFT") as table:
            for part in parts:
                table.row().cell(part[0])

    def sign_box(self, lines, blank=0.0):
        """A box (joined to the block above) with room to write and right-aligned signature/date lines."""
        height = blank + 10 * len(lines) + 4
        self._begin_block(height)
        x, y = self.l_margin, self.y
        self.rect(x, y, self.epw, height)
        self.set_y(y + blank + 2)
        self.set_font(self.FAMILY, size=10.5)
        for line in lines:
            self.set_x(x)
            self.cell(self.epw - 8, 10, self.clean(line), align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_y(y + height)
        self.set_font(self.FAMILY, size=BODY_PT)

    def form_grid(self, rows, widths, photo=None, photo_label="", photo_rows=0):
        """A label/value form: each row is [(label, value, colspan of the value)…]; labels shaded.

        With ``photo_rows`` the last column of the first rows holds the photo (or an
        empty box saying where it goes); those rows stay on one page."""
        label_style = FontFace(family=self.FAMILY, emphasis="BOLD" if self.bold else None, fill_color=SHADE)
        minimum = LINE_H + 2 * PAD[0] + 1.2
        fitted = []
        for pairs in rows:
            cells, col = [], 0
            for label, value, span in pairs:
                cells.append((self.fit(label, widths[col], self.bold), 1, label_style, "C"))
                cells.append((self.fit(value, sum(widths[col + 1:col + 1 + span])), span, None, "L"))
                col += 1 + span
            fitted.append(cells)
        heights = [self._row_height([c[0] for c in cells], minimum) for cells in fitted]
        self._begin_block(sum(heights[:max(photo_rows, 1)]))
        with self.table(col_widths=widths, width=sum(widths), line_height=LINE_H, padding=PAD,
                        wrapmode=WrapMode.CHAR, first_row_as_headings=False, num_heading_rows=0, v_align="MIDDLE",
                        text_align="LEFT", min_row_height=minimum) as table:
            for i, cells in enumerate(fitted):
                line = table.row()
                for lines, span, style, align in cells:
                    line.cell("\n".join(lines), colspan=span, style=style, align=align)
                if i == 0 and photo_rows:
                    if photo is not None:
                        line.cell(img=photo, rowspan=photo_rows, padding=(1.2, 1.2))
                    else:
                        line.cell("\n".join(self.fit(photo_label, widths[-1])), rowspan=photo_rows, align="C")


@dataclass(frozen=True)
class Printable:
    """A printable: a context builder (model -> dict) and a page template (Sheet, dict)."""
    name: str
    context: Callable[..., dict]
    page: Callable[[Sheet, dict], None]

    def render(self, obj, **options):
        context = self.context(obj, **options)
        sheet = Sheet(context["doc_title"], context.get("footer", ""))
        self.page(sheet, context)
        if sheet.replaced:
            log.info("%s: %d characters outside the font printed as %s", self.name, sheet.replaced, PLACEHOLDER)
        return bytes(sheet.output())


# --- shared context pieces ----------------------------------------------------------------
def label(model, name):
    """The translated label a model declares for a column or relationship."""
    prop = sa_inspect(model).attrs[name]
    info = prop.columns[0].info if hasattr(prop, "columns") else prop.info
    return str(info.get("label", name))


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value or ""


def _value(value):
    """A MaterialEntry value as text: lists joined, booleans as 是/否, nested dicts as pairs."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (list, tuple)):
        return "、".join(_value(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_value(v)}" for k, v in value.items())
    return str(value)


def _period(start, end, open_end=False):
    if not start and not end:
        return ""
    until = end or (_("present") if open_end else "")
    return f"{start} ~ {until}" if start else until


def _id_number(person, full):
    return person.full_id_number() if full else person.id_number_masked


def _photo(registration):
    """The registration's photo (else the person's) as a clean RGB image, or None."""
    for attachment_id in (registration.photo_id, registration.person.photo_id):
        if not attachment_id:
            continue
        attachment = db.session.get(Attachment, attachment_id)
        if attachment is None:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                Image.MAX_IMAGE_PIXELS = MAX_PHOTO_PIXELS
                with Image.open(files.path_of(attachment), formats=["JPEG", "PNG"]) as image:
                    image.load()
                    return image.convert("RGB")
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            log.warning("photo %s of registration %s cannot be read", attachment_id, registration.id)
    return None


def _subjects(registration):
    chosen = [rs.subject for rs in registration.subjects if rs.subject is not None]
    return "、".join(_("%(name)s (%(weight)s%%)", name=s.name, weight=s.weight) for s in chosen)


def _certificate(registration):
    if not registration.held_certificate_id:
        return ""
    cert = db.session.get(Certificate, registration.held_certificate_id)
    if cert is None:
        return ""
    return f"{cert.certificate_type.name if cert.certificate_type else ''} {cert.serial}".strip()


def _header(registration):
    plan = registration.exam_plan
    return {
        "exam_name": plan.name if plan else "",
        "net_no": registration.net_no or _("(not assigned yet)"),
        "net_no_line": _("%(label)s: %(value)s", label=label(Registration, "net_no"),
                         value=registration.net_no or _("(not assigned yet)")),
        "printed_on": _("Printed on %(date)s", date=datetime.date.today().isoformat()),
        "footer": f"{label(Registration, 'net_no')} {registration.net_no or ''}".strip(),
    }


def _basic_rows(registration, full_id_number):
    person = registration.person
    institution = registration.institution or person.institution
    return [
        [(label(Person, "name"), person.name, 1), (label(Person, "gender"), Gender.label_of(person.gender), 1)],
        [(label(Person, "id_type"), IdType.label_of(person.id_type), 1),
         (label(Person, "id_number_masked"), _id_number(person, full_id_number), 1)],
        [(label(Person, "birth_date"), _date(person.birth_date), 1), (label(Person, "phone"), person.phone, 1)],
        [(label(Person, "email"), person.email, 3)],
        [(label(Registration, "institution"), institution.name if institution else "", 3)],
    ] + _basic_section_rows(registration)


def _basic_section_rows(registration):
    """The basic-information section (employer, address …) in the same block, two fields a row."""
    entries = registration_service.entries(registration, SectionCode.BASIC)
    if not entries:
        return []
    cells = [(str(f.label), _value(registration_service.display_value(f, entries[0])))
             for f in registration_service.fields_of(SectionCode.BASIC)]
    rows = []
    for i in range(0, len(cells), 2):
        pair = cells[i:i + 2]
        rows.append([(name, value, 1) for name, value in pair] if len(pair) == 2 else [(*pair[0], 3)])
    return rows


def _exam_rows(registration):
    return [
        [(label(Registration, "exam_plan"), registration.exam_plan.name if registration.exam_plan else "", 3)],
        [(label(Registration, "category"), RegistrationCategory.label_of(registration.category), 1),
         (label(Registration, "city"), registration.city, 1)],
        [(label(Registration, "exam_site"),
          registration.exam_site.site.name if registration.exam_site and registration.exam_site.site else "", 3)],
        [(label(Registration, "subjects"), _subjects(registration), 3)],
    ] + ([[(label(Registration, "exam_session"), f"{registration.exam_session.name}"
                                                 f"（{registration.exam_session.starts_at:%Y-%m-%d %H:%M}）", 3)]]
         if registration.exam_session else []) + [
        [(label(Registration, "held_certificate_id"), _certificate(registration), 1),
         (label(Registration, "last_exam_date"), _date(registration.last_exam_date), 1)],
    ]


def _number_heading():
    return _("No.")


def _education_table(registration):
    rows = []
    for n, e in enumerate(registration.educations, start=1):
        rows.append([str(n), _period(e.start_month, e.graduation_month), e.school, e.major or "",
                     EducationLevel.label_of(e.education_level) if e.education_level else "", e.degree or "",
                     "✓" if e.is_highest else ""])
    return {
        "headings": [_number_heading(), _("Period"), label(Education, "school"), label(Education, "major"),
                     label(Education, "education_level"), label(Education, "degree"),
                     label(Education, "is_highest")],
        "widths": [12, 34, 43, 33, 20, 20, 18], "aligns": ["C", "C", "L", "L", "C", "C", "C"], "rows": rows,
    }


def _work_table(registration):
    rows = []
    for n, w in enumerate(registration.works, start=1):
        rows.append([str(n), _period(w.start_month, w.end_month, open_end=True), w.employer, w.department or "",
                     w.title or "", "" if w.years_in_occupation is None else str(w.years_in_occupation),
                     w.referee or "", w.referee_phone or ""])
    return {
        "headings": [_number_heading(), _("Period"), label(WorkExperience, "employer"),
                     label(WorkExperience, "department"), label(WorkExperience, "title"),
                     label(WorkExperience, "years_in_occupation"), label(WorkExperience, "referee"),
                     label(WorkExperience, "referee_phone")],
        "widths": [12, 34, 35, 21, 21, 13, 17, 27], "aligns": ["C", "C", "L", "L", "L", "C", "C", "C"],
        "rows": rows,
    }


COLUMNS_MAX = 5  # more keys than this: one line per key ("项目 | 内容") instead of one column per key


def _display_len(text):
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _share(width, columns, minimum=20, longest=60):
    """Split ``width`` mm between columns after their longest text (within bounds), none narrower than ``minimum``."""
    natural = [min(max(max(_display_len(t) for t in col), 4), longest) for col in columns]
    widths = [width * n / sum(natural) for n in natural]
    narrow = [w < minimum for w in widths]
    if any(narrow) and minimum * len(widths) <= width:
        spare = width - minimum * sum(narrow)
        wide_total = sum(n for n, small in zip(natural, narrow, strict=True) if not small)
        widths = [minimum if small else spare * n / wide_total for n, small in zip(natural, narrow, strict=True)]
    return widths


def _entries_table(entries, width, section=None):
    """Rows of a material section: its declared fields (labels, order) become columns, or
    item/content lines when there are many; keys nobody declared print as given."""
    declared = {f.name: str(f.label) for f in registration_service.fields_of(section)} \
        if section in registration_service.SECTION_FIELDS else {}
    keys = list(declared)
    for entry in entries:
        for key in (entry.data or {}):
            if key not in keys:
                keys.append(key)
    names = [declared.get(k, str(k)) for k in keys]
    number = 12
    if keys and len(keys) <= COLUMNS_MAX:
        rows = [[str(n)] + [_value((e.data or {}).get(k)) for k in keys] for n, e in enumerate(entries, start=1)]
        columns = [[names[i]] + [row[i + 1] for row in rows] for i in range(len(keys))]
        return {"headings": [_number_heading(), *names], "widths": [number] + _share(width - number, columns),
                "aligns": ["C"] + ["L"] * len(keys), "rows": rows}
    rows = []
    for n, entry in enumerate(entries, start=1):
        items = [(declared.get(k, str(k)), (entry.data or {}).get(k)) for k in keys if k in (entry.data or {})]
        for i, (key, value) in enumerate(items or [("", "")]):
            rows.append([str(n) if i == 0 else "", key, _value(value)])
    return {"headings": [_number_heading(), _("Item"), _("Content")], "widths": [number, 45, width - number - 45],
            "aligns": ["C", "L", "L"], "rows": rows}


def _sections(registration, width):
    """Education, work résumé and every other material section present, in SectionCode order."""
    by_section = {}
    for entry in registration.materials:
        by_section.setdefault(entry.section, []).append(entry)
    out = []
    for code in SectionCode:
        tables = []
        if code is SectionCode.EDUCATION:
            tables.append(_education_table(registration))
        elif code is SectionCode.WORK:
            tables.append(_work_table(registration))
        entries = by_section.get(code.value)
        if entries and code is not SectionCode.BASIC:  # the basic section prints in the first block
            tables.append(_entries_table(entries, width, code))
        if tables:
            out.append({"title": str(code.label), "tables": tables})
    # sections stored under a code this version does not know still print, under their code
    for code, entries in by_section.items():
        if code not in {c.value for c in SectionCode}:
            out.append({"title": code, "tables": [_entries_table(entries, width)]})
    return out


def _pledge_text(registration):
    plan = registration.exam_plan
    return (plan.pledge if plan and plan.pledge else "") or _(
        "I promise that the information and materials I have submitted are true, accurate and complete, and that I "
        "meet the conditions for this exam. I will obey the exam rules and accept the consequences if anything "
        "I submitted proves false.")


# --- the application form (申请表) -------------------------------------------------------
PAGE_WIDTH = 180  # A4 less the margins, mm


def application_form_context(registration, full_id_number=True):
    header = _header(registration)
    return {
        **header,
        "doc_title": _("Application form"),
        "title_lines": [header["exam_name"], _("Application form")],
        "basic_title": str(SectionCode.BASIC.label),
        "basic": _basic_rows(registration, full_id_number),
        "photo": _photo(registration),
        "photo_label": _("Affix a 1-inch bareheaded photo"),
        "exam_title": _("Registration details"),
        "exam": _exam_rows(registration),
        "sections": _sections(registration, PAGE_WIDTH),
        "none": _("(none)"),
        "pledge_title": label(ExamPlan, "pledge"),
        "pledge": _pledge_text(registration),
        "signature": [_("Candidate's signature: ________________"), _("Date: ______ / ____ / ____")],
        "review_title": _("Opinion of the reviewing institution (seal)"),
        "review": [_("Reviewer's signature: ________________"), _("Date: ______ / ____ / ____")],
    }


def draw_application_form(sheet, c):
    sheet.title_block([line for line in c["title_lines"] if line])
    sheet.meta_line(c["net_no_line"], c["printed_on"])
    # basic information with the photo in the top right corner
    sheet.section(c["basic_title"])
    sheet.form_grid(c["basic"], [26, 48, 26, 46, 34], photo=c["photo"], photo_label=c["photo_label"],
                    photo_rows=len(c["basic"]))
    sheet.section(c["exam_title"])
    sheet.form_grid(c["exam"], [26, 64, 26, 64])
    for section in c["sections"]:
        sheet.section(section["title"])
        for table in section["tables"]:
            sheet.data_table(table["headings"], table["rows"], table["widths"], table["aligns"], empty=c["none"])
    # the pledge signed by the candidate, then the reviewing institution's box
    sheet.section(c["pledge_title"])
    sheet.boxed_text(c["pledge"])
    sheet.sign_box(c["signature"])
    sheet.section(c["review_title"])
    sheet.sign_box(c["review"], blank=16)


# --- the integrity pledge (诚信承诺书) ----------------------------------------------------
def pledge_context(registration, full_id_number=True):
    header = _header(registration)
    person = registration.person
    return {
        **header,
        "doc_title": _("Integrity pledge letter"),
        "title_lines": [header["exam_name"], _("Integrity pledge letter")],
        "facts": [
            [(label(Person, "name"), person.name, 1),
             (label(Person, "id_number_masked"), _id_number(person, full_id_number), 1)],
            [(label(Registration, "exam_plan"), header["exam_name"], 3)],
            [(label(Registration, "category"), RegistrationCategory.label_of(registration.category), 1),
             (label(Registration, "net_no"), registration.net_no or "", 1)],
        ],
        "pledge": _pledge_text(registration),
        "accepted": _("Accepted online on %(time)s.", time=_date(registration.pledge_accepted_at))
        if registration.pledge_accepted_at else "",
        "signature": [_("Signature of the pledger: ________________"), _("Date: ______ / ____ / ____")],
    }


def draw_pledge(sheet, c):
    sheet.title_block([line for line in c["title_lines"] if line])
    sheet.meta_line(c["net_no_line"], c["printed_on"])
    sheet.form_grid(c["facts"], [26, 64, 26, 64])
    sheet.ln(8)
    sheet.paragraph(c["pledge"])
    if c["accepted"]:
        sheet.set_text_color(90, 90, 90)
        sheet.paragraph(c["accepted"], indent=False, size=9, line_h=5)
        sheet.set_text_color(0, 0, 0)
    sheet.ln(12)
    sheet.keep_room(25)
    sheet.signature_lines(c["signature"])


APPLICATION_FORM = Printable("application_form", application_form_context, draw_application_form)
PLEDGE = Printable("pledge", pledge_context, draw_pledge)
PRINTABLES = {p.name: p for p in (APPLICATION_FORM, PLEDGE)}


def application_form(registration, full_id_number=True):
    """申请表 of a registration as PDF bytes."""
    return APPLICATION_FORM.render(registration, full_id_number=full_id_number)


def pledge(registration, full_id_number=True):
    """诚信承诺书 of a registration as PDF bytes."""
    return PLEDGE.render(registration, full_id_number=full_id_number)


# --- room printables (D11, B10): door sticker, desk stickers, sign-in sheet, admission ticket ---
# One Sheet per PDF however many rooms or tickets it holds: the font is loaded and subset once,
# each photo is decoded and shrunk once (``PhotoCache``) and embedded once (fpdf2 keeps images by
# content).  The page templates draw with plain cells and rectangles: a ticket costs about what
# fpdf2 alone needs to draw the same page (benchmarks/admission_tickets.py).
TICKET_PHOTO_PX = (240, 320)  # 30 × 40 mm at ~200 dpi: sharp on paper, a few KB per candidate
MAX_PHOTO_BYTES = 10 * 1024 * 1024
EM_MM = 25.4 / 72  # 1 pt in mm


class PhotoCache:
    """Attachment id -> a small JPEG (bytes) of the photo, decoded once per person; None when unreadable."""

    def __init__(self, size=TICKET_PHOTO_PX):
        self.size = size
        self._done = {}

    def get(self, attachment_id):
        if not attachment_id:
            return None
        if attachment_id not in self._done:
            attachment = db.session.get(Attachment, attachment_id)
            data = None
            if attachment is not None:
                with open(files.path_of(attachment), "rb") as fh:
                    data = fh.read(MAX_PHOTO_BYTES + 1)
            self._done[attachment_id] = self.shrink(data) if data and len(data) <= MAX_PHOTO_BYTES else None
        return self._done[attachment_id]

    def shrink(self, source):
        """Photo bytes -> JPEG bytes no larger than ``size``, or None."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                Image.MAX_IMAGE_PIXELS = MAX_PHOTO_PIXELS
                with Image.open(io.BytesIO(source), formats=["JPEG", "PNG"]) as image:
                    if image.format == "JPEG" and image.mode == "RGB" \
                            and image.width <= 2 * self.size[0] and image.height <= 2 * self.size[1]:
                        image.verify()
                        return source  # already a small JPEG (photos are re-encoded at upload): embedded as is
                    image.draft("RGB", self.size)  # JPEG: decode at a reduced scale straight away
                    image = image.convert("RGB")
                    image.thumbnail(self.size)
                    out = io.BytesIO()
                    image.save(out, "JPEG", quality=85)
                    return out.getvalue()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            log.warning("a photo cannot be read for a room printable")
            return None

    def of(self, registration):
        return self.get(registration.photo_id) or self.get(registration.person.photo_id)


def _span(start, end):
    if not start:
        return ""
    if end and end.date() == start.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M}" + (f" – {end:%Y-%m-%d %H:%M}" if end else "")


def _room_facts(room, session):
    site = room.site
    plan = session.exam_plan
    return {
        "exam_name": plan.name if plan else "",
        "room_name": room.name,
        "site_name": site.name if site else "",
        "address": (site.address if site else "") or (plan.location if plan else "") or "",
        "session_name": session.name,
        "subject": session.subject.name if session.subject else "",
        "time": _span(session.starts_at, session.ends_at),
    }


def room_context(room, session, seats, photos=None, with_photos=True, invigilator_names=None):
    """One room in one session: facts, labels and one row per seat (sorted by seat number).
    ``invigilator_names`` when the caller looked them up for many rooms at once."""
    photos = photos if photos is not None else PhotoCache()
    seats = sorted(seats, key=lambda s: s.seat_no)
    facts = _room_facts(room, session)
    if invigilator_names is None:
        invigilator_names = scheduling.room_invigilators([session.id], [room.id]).get((session.id, room.id), [])
    rows = [{"seat": f"{s.seat_no:02d}", "name": s.registration.person.name,
             "id_number": s.registration.person.id_number_masked, "ticket_no": s.ticket_no,
             "photo": photos.of(s.registration) if with_photos else None} for s in seats]
    seat_range = f"{rows[0]['seat']} – {rows[-1]['seat']}" if rows else ""
    return {
        **facts,
        "seats": rows,
        "seat_range": seat_range,
        "count": str(len(rows)),
        "labels": {
            "room": label(Room, "name"), "site": label(Room, "site"), "session": label(SeatAssignment, "session"),
            "subject": label(ExamSession, "subject"), "time": _("Exam time"), "seat": label(SeatAssignment, "seat_no"),
            "seats": _("Seat numbers"), "count": _("Number of candidates"), "name": label(Person, "name"),
            "id_number": label(Person, "id_number_masked"), "ticket_no": label(SeatAssignment, "ticket_no"),
            "photo": label(Registration, "photo_id"), "signature": _("Candidate's signature"),
            "address": label(Site, "address"), "exam": label(Registration, "exam_plan"),
            "invigilators": _("Room invigilators"),
        },
        "door_title": _("Exam room"),
        "door_note": _("Please check your room and seat number before entering; take your seat by number."),
        "signin_title": _("Sign-in sheet"),
        "signin_totals": _("Expected: %(count)s   Present: ______   Absent: ______", count=len(rows)),
        "invigilators": "、".join(invigilator_names),
        # one signature line per invigilator (two blank ones before they are assigned)
        "signin_invigilators": _("Invigilators' signatures:") + "  " + "    ".join(
            f"{name} ______________" for name in (invigilator_names or ["", ""])),
        "desk_title": _("Desk sticker"),
        "doc_title": f"{facts['exam_name']} {room.name} {session.name}",
        "footer": f"{facts['exam_name']} · {room.name} · {session.name}",
    }


def ticket_rules():
    return _("1. Bring this admission ticket and the original of the ID document used to register; "
             "without both you may not sit the exam.\n"
             "2. Arrive 30 minutes before the start; candidates more than 15 minutes late may not enter, "
             "and nobody may leave within 30 minutes of the start.\n"
             "3. Sit at the seat whose number is printed on this ticket and put the ticket and the ID document "
             "on the top left of the desk for checking.\n"
             "4. Mobile phones, smart watches and other electronic devices, books and notes may not be taken "
             "to the seat; switch them off and leave them where the invigilators say.\n"
             "5. Obey the exam rules and the invigilators' instructions; cheating is dealt with under the "
             "rules and recorded in the integrity file.\n"
             "6. Keep this ticket until the results are published; it is needed for a score re-check.")


@functools.lru_cache(maxsize=8)
def _ticket_labels(locale):
    """The ticket's fixed words in one locale, looked up once (not 10,000 times in a batch)."""
    return {
        "title": _("Admission ticket"), "photo": label(Registration, "photo_id"),
        "ticket_no": label(SeatAssignment, "ticket_no"), "name": label(Person, "name"),
        "gender": label(Person, "gender"), "id_number": label(Person, "id_number_masked"),
        "subjects": label(Registration, "subjects"), "site": label(Room, "site"), "address": label(Site, "address"),
        "headings": [label(SeatAssignment, "session"), label(ExamSession, "subject"), _("Exam time"),
                     label(SeatAssignment, "room"), label(SeatAssignment, "seat_no")],
        "rules_title": _("Notes for candidates"), "rules": ticket_rules(),
        "genders": {g.value: str(g.label) for g in Gender},
    }


def ticket_context(registration, seats, photos=None):
    """The admission ticket of a registration: its published (or given) seats, one line per sitting."""
    from flask_babel import get_locale

    photos = photos if photos is not None else PhotoCache()
    words = _ticket_labels(str(get_locale()))
    person = registration.person
    plan = registration.exam_plan
    seats = sorted(seats, key=lambda s: (s.session.starts_at, s.session_id))
    first = seats[0] if seats else None
    room = first.room if first else None
    site = room.site if room is not None and room.site is not None else (
        registration.exam_site.site if registration.exam_site else None)
    ticket_numbers = list(dict.fromkeys(s.ticket_no for s in seats))
    subjects = "、".join(rs.subject.name for rs in registration.subjects if rs.subject is not None)
    return {
        "doc_title": words["title"],
        "title": words["title"],
        "exam_name": plan.name if plan else "",
        "photo": photos.of(registration),
        "photo_label": words["photo"],
        "facts": [
            (words["ticket_no"], " / ".join(ticket_numbers)),
            (words["name"], person.name),
            (words["gender"], words["genders"].get(person.gender, person.gender or "")),
            (words["id_number"], person.id_number_masked),
            (words["subjects"], subjects),
            (words["site"], site.name if site else ""),
            (words["address"], (site.address if site else "") or (plan.location if plan else "") or ""),
        ],
        "headings": words["headings"],
        "sittings": [[s.session.name, s.session.subject.name if s.session.subject else "",
                      _span(s.session.starts_at, s.session.ends_at), s.room.name, f"{s.seat_no:02d}"]
                     for s in seats],
        "rules_title": words["rules_title"],
        "rules": words["rules"],
        "footer": "",
    }


# page templates -------------------------------------------------------------------------------
def _text(sheet, x, y, w, h, text, size, style="", align="L", shrink=True):
    """One line of ``text`` in a box, made smaller rather than leave the box."""
    text = sheet.clean(text)
    sheet.set_font(sheet.FAMILY, style, size)
    if shrink and len(text) * size * EM_MM > w - 1:  # no glyph is wider than 1 em: most lines need no measuring
        width = sheet._token_width(text)
        if width > w - 1 and width > 0:
            size = max(5.0, size * (w - 1) / width)
            sheet.set_font(sheet.FAMILY, style, size)
    sheet.set_xy(x, y)
    sheet.cell(w, h, text, align=align)


def _lines(sheet, x, y, w, text, size, line_h, style=""):
    """Wrapped running text from (x, y); returns the y below it.  The same text (the rules on
    every ticket) is cleaned and broken into lines once per document."""
    sheet.set_font(sheet.FAMILY, style, size)
    cache = sheet.__dict__.setdefault("_wrapped", {})
    key = (text, w, style, size)
    lines = cache.get(key)
    if lines is None:
        lines = cache[key] = [line for para in sheet.clean(text).split("\n") for line in sheet.wrap(para, w)]
    for line in lines:
        sheet.set_xy(x, y)
        sheet.cell(w, line_h, line)
        y += line_h
    return y


def _photo_box(sheet, x, y, w, h, photo, caption):
    sheet.rect(x, y, w, h)
    if photo is not None:
        sheet.image(io.BytesIO(photo), x + 0.6, y + 0.6, w - 1.2, h - 1.2, keep_aspect_ratio=True)
    else:
        _text(sheet, x, y + h / 2 - 3, w, 6, caption, 8, align="C")


def draw_door_sticker(sheet, c):
    sheet.add_page()
    L = c["labels"]
    left, width = MARGIN, sheet.epw
    sheet.set_line_width(1.2)
    sheet.rect(left - 3, MARGIN - 3, width + 6, 297 - 2 * MARGIN + 6)
    sheet.set_line_width(0.25)
    _text(sheet, left, 28, width, 12, c["exam_name"], 20, sheet.bold, "C")
    _text(sheet, left, 50, width, 14, c["door_title"], 28, sheet.bold, "C")
    _text(sheet, left, 72, width, 40, c["room_name"], 72, sheet.bold, "C")
    sheet.set_line_width(0.8)
    sheet.line(left + 10, 122, left + width - 10, 122)
    sheet.set_line_width(0.25)
    y = 132
    for name, value in ((L["site"], c["site_name"]), (L["address"], c["address"]), (L["session"], c["session_name"]),
                        (L["subject"], c["subject"]), (L["time"], c["time"]), (L["seats"], c["seat_range"]),
                        (L["count"], c["count"]), (L["invigilators"], c["invigilators"])):
        if not value:
            continue
        _text(sheet, left + 6, y, 54, 14, name, 18, sheet.bold, "R")
        _text(sheet, left + 64, y, width - 70, 14, "：" + value, 18)
        y += 15.5
    _text(sheet, left, 262, width, 8, c["door_note"], 12, align="C")


DESK_COLS, DESK_ROWS, DESK_W, DESK_H = 2, 5, 88, 52


def draw_desk_stickers(sheet, c):
    L = c["labels"]
    per_page = DESK_COLS * DESK_ROWS
    gap_x = sheet.epw - DESK_COLS * DESK_W
    for i, seat in enumerate(c["seats"]):
        if i % per_page == 0:
            sheet.add_page()
        col, row = i % DESK_COLS, (i % per_page) // DESK_COLS
        x, y = MARGIN + col * (DESK_W + gap_x), MARGIN + row * (DESK_H + 2)
        sheet.set_dash_pattern(dash=1.5, gap=1.2)
        sheet.rect(x, y, DESK_W, DESK_H)
        sheet.set_dash_pattern()
        _text(sheet, x + 3, y + 3, DESK_W - 6, 6, c["exam_name"], 9, align="L")
        _text(sheet, x + 3, y + 11, 20, 5, L["seat"], 9, align="C")
        _text(sheet, x + 3, y + 16, 20, 16, seat["seat"], 30, sheet.bold, "C")
        info_x = x + 26
        info_w = DESK_W - 26 - 28
        _text(sheet, info_x, y + 12, info_w, 9, seat["name"], 16, sheet.bold)
        _text(sheet, info_x, y + 23, info_w, 5, L["ticket_no"], 8)
        _text(sheet, info_x, y + 28, info_w, 6, seat["ticket_no"], 11)
        _text(sheet, x + 3, y + DESK_H - 10, DESK_W - 34, 6, f"{c['room_name']} · {c['session_name']}", 9)
        _photo_box(sheet, x + DESK_W - 27, y + 10, 24, 32, seat["photo"], L["photo"])
    if not c["seats"]:
        sheet.add_page()


SIGNIN_WIDTHS = (14, 24, 30, 44, 36, 32)
SIGNIN_ROW_H, SIGNIN_HEAD_H = 26, 9


def _signin_head(sheet, c, first):
    L = c["labels"]
    y = MARGIN
    if first:
        _text(sheet, MARGIN, y, sheet.epw, 9, c["exam_name"], 15, sheet.bold, "C")
        y += 10
    _text(sheet, MARGIN, y, sheet.epw, 10, c["signin_title"], 18, sheet.bold, "C")
    y += 12
    facts = f"{L['site']}：{c['site_name']}    {L['room']}：{c['room_name']}    {L['session']}：{c['session_name']}"
    _text(sheet, MARGIN, y, sheet.epw, 6, facts, 10)
    y += 6
    _text(sheet, MARGIN, y, sheet.epw, 6, f"{L['time']}：{c['time']}    {L['subject']}：{c['subject']}", 10)
    y += 6
    _text(sheet, MARGIN, y, sheet.epw, 6, f"{L['invigilators']}：{c['invigilators']}", 10)
    y += 8
    sheet.set_fill_color(*SHADE)
    x = MARGIN
    for heading, w in zip((L["seat"], L["photo"], L["name"], L["id_number"], L["ticket_no"], L["signature"]),
                          SIGNIN_WIDTHS, strict=True):
        sheet.rect(x, y, w, SIGNIN_HEAD_H, style="DF")
        _text(sheet, x, y, w, SIGNIN_HEAD_H, heading, 9.5, sheet.bold, "C")
        x += w
    sheet.set_fill_color(255)
    return y + SIGNIN_HEAD_H


def draw_sign_in_sheet(sheet, c):
    L = c["labels"]
    bottom = 297 - BOTTOM - 2
    sheet.add_page()
    y = _signin_head(sheet, c, True)
    for seat in c["seats"]:
        if y + SIGNIN_ROW_H > bottom:
            sheet.add_page()
            y = _signin_head(sheet, c, False)
        x = MARGIN
        values = (seat["seat"], None, seat["name"], seat["id_number"], seat["ticket_no"], "")
        for value, w in zip(values, SIGNIN_WIDTHS, strict=True):
            sheet.rect(x, y, w, SIGNIN_ROW_H)
            if value is None:
                _photo_box(sheet, x + 1.5, y + 1.5, w - 3, SIGNIN_ROW_H - 3, seat["photo"], L["photo"])
            elif value:
                _text(sheet, x + 1, y, w - 2, SIGNIN_ROW_H, value, 10.5 if w > 20 else 12, align="C")
            x += w
        y += SIGNIN_ROW_H
    if y + 22 > bottom:
        sheet.add_page()
        y = MARGIN
    _text(sheet, MARGIN, y + 4, sheet.epw, 8, c["signin_totals"], 11)
    _text(sheet, MARGIN, y + 13, sheet.epw, 8, c["signin_invigilators"], 11)


def draw_ticket(sheet, c):
    sheet.add_page()
    left, width = MARGIN, sheet.epw
    _text(sheet, left, 18, width, 9, c["exam_name"], 15, sheet.bold, "C")
    _text(sheet, left, 29, width, 12, c["title"], 24, sheet.bold, "C")
    # the facts beside the photo: label | value rows, the photo box on the right
    y0, row_h, label_w, photo_w = 46, 10, 30, 42
    value_w = width - label_w - photo_w
    sheet.set_fill_color(*SHADE)
    for i, (name, value) in enumerate(c["facts"]):
        y = y0 + i * row_h
        sheet.rect(left, y, label_w, row_h, style="DF")
        _text(sheet, left, y, label_w, row_h, name, 10.5, sheet.bold, "C")
        sheet.rect(left + label_w, y, value_w, row_h)
        _text(sheet, left + label_w + 2, y, value_w - 4, row_h, value, 13 if i < 2 else 11)
    sheet.set_fill_color(255)
    photo_h = len(c["facts"]) * row_h
    sheet.rect(left + label_w + value_w, y0, photo_w, photo_h)
    _photo_box(sheet, left + label_w + value_w + 4, y0 + (photo_h - 45) / 2, photo_w - 8, 45, c["photo"],
               c["photo_label"])
    # one line per sitting
    y = y0 + photo_h + 6
    widths = (24, 36, 50, 48, 22)
    sheet.set_fill_color(*SHADE)
    x = left
    for heading, w in zip(c["headings"], widths, strict=True):
        sheet.rect(x, y, w, 9, style="DF")
        _text(sheet, x, y, w, 9, heading, 10, sheet.bold, "C")
        x += w
    sheet.set_fill_color(255)
    y += 9
    for sitting in c["sittings"][:8]:
        x = left
        for value, w in zip(sitting, widths, strict=True):
            sheet.rect(x, y, w, 9)
            _text(sheet, x + 1, y, w - 2, 9, value, 10.5, align="C")
            x += w
        y += 9
    # the rules
    y += 7
    _text(sheet, left, y, width, 8, c["rules_title"], 13, sheet.bold, "C")
    y += 10
    top = y
    y = _lines(sheet, left + 4, y + 3, width - 8, c["rules"], 10.5, 6.2)
    sheet.rect(left, top, width, y - top + 3)


def _room_sheet(title, footer="", numbered=False):
    return Sheet(title, footer, first_page=False, numbered=numbered)


ROOM_PAGES = {"door": draw_door_sticker, "desk": draw_desk_stickers, "signin": draw_sign_in_sheet}


SIGNIN_ROWS_PER_PAGE = 8  # what fits under the sheet's heading at SIGNIN_ROW_H


def estimated_pages(kind, seats):
    """About how many pages a room's printable of ``kind`` takes (to choose: at once or as a job)."""
    pages = {"door": 1, "desk": -(-seats // (DESK_COLS * DESK_ROWS)),
             "signin": -(-(seats + 1) // SIGNIN_ROWS_PER_PAGE), "tickets": seats}
    return max(1, pages.get(kind, seats))


def room_pdf(kind, room, session, seats):
    """门贴, 桌贴 or 签到表 of one room in one session as PDF bytes."""
    context = room_context(room, session, seats, with_photos=kind != "door")
    sheet = _room_sheet(context["doc_title"], context["footer"] if kind == "signin" else "", kind == "signin")
    ROOM_PAGES[kind](sheet, context)
    return bytes(sheet.output())


def tickets_pdf(contexts, progress=None, every=200):
    """Admission tickets, one a page, in one document; ``progress(done)`` now and then."""
    sheet = _room_sheet(_("Admission ticket"))
    done = 0
    for context in contexts:
        draw_ticket(sheet, context)
        done += 1
        if progress is not None and done % every == 0:
            progress(done)
    if not done:
        sheet.add_page()
    return bytes(sheet.output())


def ticket_pdf(registration, seats):
    """准考证 of one registration as PDF bytes."""
    return tickets_pdf([ticket_context(registration, seats)])


# what to print: queries, scope, the batch job -------------------------------------------------
def _seat_query():
    """Seats with the rows a ticket or a room's papers print about each seat, loaded up front; the few
    shared ones (plan, subjects) load lazily once and are then found in the identity map."""
    from sqlalchemy.orm import joinedload

    registration = joinedload(SeatAssignment.registration)
    return db.session.query(SeatAssignment).options(
        registration.joinedload(Registration.person), registration.selectinload(Registration.subjects),
        joinedload(SeatAssignment.session), joinedload(SeatAssignment.room).joinedload(Room.site))


def _release_seats():
    """Drop a room's seats, registrations and persons from the session (their subjects go with
    them): the identity map stays small over thousands of seats, and the shared rows (plan,
    sessions, subjects, rooms) stay loaded instead of being expired and fetched again."""
    from models import RegistrationSubject

    per_seat = (SeatAssignment, Registration, RegistrationSubject, Person)
    for obj in [o for o in db.session.identity_map.values() if isinstance(o, per_seat)]:
        if obj in db.session:  # not already gone with its registration (cascade)
            db.session.expunge(obj)


def published_seats(registration):
    """The published seats of a registration (empty until tickets are published)."""
    return _seat_query().filter(SeatAssignment.registration_id == registration.id,
                                SeatAssignment.published.is_(True)).all()


ROOM_SCOPE = {"Institution": "institution_id"}  # an institution reaches the seats in its own rooms


def rooms_in_scope(session_id, user):
    """[(room, number of seats)] of a session the user may print (an institution: its own rooms)."""
    from sqlalchemy import func

    from app.scoping import scope_clause

    query = (db.session.query(Room, func.count(SeatAssignment.id))
             .join(SeatAssignment, SeatAssignment.room_id == Room.id)
             .filter(SeatAssignment.session_id == session_id).group_by(Room.id).order_by(Room.name))
    clause = scope_clause(Room, ROOM_SCOPE, user)
    if clause is not None:
        query = query.filter(clause)
    return query.all()


def room_seats(session_id, room_id):
    return _seat_query().filter(SeatAssignment.session_id == session_id, SeatAssignment.room_id == room_id).all()


def _sittings(session, seats):
    """{registration id: its seats in the plan}: the given seats of ``session`` and, fetched in one
    query, the same registrations' seats in the plan's other sessions (a ticket lists every sitting)."""
    from sqlalchemy.orm import joinedload

    by_registration = {seat.registration_id: [seat] for seat in seats}
    others = (db.session.query(SeatAssignment)
              .options(joinedload(SeatAssignment.session), joinedload(SeatAssignment.room).joinedload(Room.site))
              .join(ExamSession, ExamSession.id == SeatAssignment.session_id)
              .filter(SeatAssignment.registration_id.in_(by_registration), SeatAssignment.session_id != session.id,
                      ExamSession.exam_plan_id == session.exam_plan_id))
    for other in others:
        by_registration[other.registration_id].append(other)
    return by_registration


PROGRESS_SECONDS = 1.0  # a batch reports progress at most this often (each report is a commit)


def render_batch(session, rooms, kinds, progress=None):
    """Every chosen printable of every room of a session, in one PDF (rooms in order, kinds grouped per room)."""
    from app.services.jobs import checkpoint

    photos = PhotoCache()
    sheet = _room_sheet(f"{session.exam_plan.name if session.exam_plan else ''} {session.name}")
    papers = [kind for kind in kinds if kind in ROOM_PAGES]
    names = scheduling.room_invigilators([session.id], [room.id for room in rooms]) if papers else {}
    done, reported = 0, time.monotonic()

    def tick(n):
        nonlocal done, reported
        done += n
        if progress is not None and time.monotonic() - reported >= PROGRESS_SECONDS:
            progress(done)
            reported = time.monotonic()

    for room in rooms:
        seats = sorted(room_seats(session.id, room.id), key=lambda s: s.seat_no)
        if papers:
            context = room_context(room, session, seats, photos, invigilator_names=names.get((session.id, room.id), []))
            for kind in papers:
                ROOM_PAGES[kind](sheet, context)
        if "tickets" in kinds:
            sittings = _sittings(session, seats)
            for seat in seats:
                draw_ticket(sheet, ticket_context(seat.registration, sittings[seat.registration_id], photos))
                tick(1)
        else:
            tick(len(seats))
        _release_seats()
        checkpoint("printables-room")  # S10: a test may stop the worker here (off unless JOB_TEST_HOLD)
    if sheet.page == 0:
        sheet.add_page()
    return bytes(sheet.output()), sheet.page


def run_batch_job(job_id, user_id, session_id, room_ids, kinds):
    """The batch job: render, store as an Attachment of the user's institution, finish with its id."""
    from app.services import jobs

    orm_session = db.session()
    expire = orm_session.expire_on_commit
    # the progress commits need not expire (and so reload) the plan, sessions and rooms being printed
    orm_session.expire_on_commit = False
    try:
        from models import PlatformUser

        user = db.session.get(PlatformUser, user_id)
        session = db.session.get(ExamSession, session_id)
        in_scope = rooms_in_scope(session_id, user)
        allowed, counts = {room.id: room for room, _n in in_scope}, {room.id: n for room, n in in_scope}
        rooms = [allowed[i] for i in room_ids if i in allowed] if room_ids else list(allowed.values())
        total = sum(counts[room.id] for room in rooms)
        jobs.progress(job_id, 0, total)
        data, pages = render_batch(session, rooms, kinds,
                                   progress=lambda done: jobs.progress(job_id, min(done, total)))
        name = f"{session.exam_plan.name if session.exam_plan else ''}-{session.name}.pdf"
        item = files.store(data, name, "application/pdf", "printables", user=user,
                           institution_id=user.institution_id if user else None)
        db.session.commit()
        jobs.finish(job_id, {"attachment_id": item.id,
                             "message": _("%(rooms)s rooms, %(pages)s pages.", rooms=len(rooms),
                                          pages=pages)})
    except Exception as exc:
        log.exception("printables job %s failed", job_id)
        jobs.fail(job_id, exc)  # recorded on the job; the page shows it
    finally:
        orm_session.expire_on_commit = expire


# --- 考场安排明细: the schedule of an exam plan as a workbook, one row per seat ---------------------
def schedule_headers():
    return [label(SeatAssignment, "session"), _("Exam time"), label(Room, "site"), label(SeatAssignment, "room"),
            label(SeatAssignment, "seat_no"), label(SeatAssignment, "ticket_no"), label(Person, "name"),
            label(Person, "id_number_masked"), label(Registration, "institution"), _("Room invigilators"),
            label(SeatAssignment, "published")]


def schedule_rows(plan, user):
    """The seats of an exam plan ``user`` may see, by session, site, room and seat, as lists of plain
    values: plain columns streamed from the database (no ORM objects), so 100,000 seats stay cheap."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import aliased

    from app.scoping import scope_clause

    own, persons = aliased(Institution), aliased(Institution)  # the registration's, else the person's
    query = (select(ExamSession.id, ExamSession.name, ExamSession.starts_at, ExamSession.ends_at, Site.name, Room.id,
                    Room.name, SeatAssignment.seat_no, SeatAssignment.ticket_no, Person.name,
                    Person.id_number_masked, func.coalesce(own.name, persons.name), SeatAssignment.published)
             .select_from(SeatAssignment)
             .join(ExamSession, ExamSession.id == SeatAssignment.session_id)
             .join(Room, Room.id == SeatAssignment.room_id)
             .outerjoin(Site, Site.id == Room.site_id)
             .join(Registration, Registration.id == SeatAssignment.registration_id)
             .join(Person, Person.id == Registration.person_id)
             .outerjoin(own, own.id == Registration.institution_id)
             .outerjoin(persons, persons.id == Person.institution_id)
             .where(ExamSession.exam_plan_id == plan.id)
             .order_by(ExamSession.starts_at, ExamSession.id, Site.name, Room.name, SeatAssignment.seat_no))
    clause = scope_clause(Room, ROOM_SCOPE, user)
    if clause is not None:
        query = query.where(clause)
    names = scheduling.room_invigilators(select(ExamSession.id).where(ExamSession.exam_plan_id == plan.id))
    yes, no = _("Yes"), _("No")
    for (session_id, session_name, starts, ends, site, room_id, room, seat, ticket, name, masked, institution,
         published) in db.session.execute(query.execution_options(yield_per=2000)):
        yield [session_name, _span(starts, ends), site or "", room, seat, ticket, name, masked or "",
               institution or "", "、".join(names.get((session_id, room_id), [])), yes if published else no]


def write_schedule(plan, user, fh):
    """考场安排明细 of an exam plan as xlsx into the binary file ``fh``; returns the number of seats.

    ``constant_memory`` sends each row to disk as it is written; as in app.exports, no text is
    ever taken for a formula, URL or number (a name ``=HYPERLINK(...)`` stays that text)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(fh, {"constant_memory": True, "strings_to_formulas": False,
                                    "strings_to_urls": False, "strings_to_numbers": False})
    sheet = book.add_worksheet(_("Schedule details")[:31])
    headers = schedule_headers()
    for c, width in enumerate((12, 24, 20, 20, 8, 18, 12, 22, 24, 20, 8)):
        sheet.set_column(c, c, width)
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, headers, book.add_format({"bold": True, "bg_color": "#DDEBF7"}))
    count = 0
    for count, row in enumerate(schedule_rows(plan, user), start=1):
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(count, c, value)
            else:
                sheet.write_number(count, c, value)
    book.close()
    return count


# --- the signed scan uploaded back (B9) ---------------------------------------------------
SCAN_MAX_BYTES = 2 * 1024 * 1024
SCAN_TYPES = {  # magic bytes -> (content type, extension, Pillow format)
    b"\xff\xd8\xff": ("image/jpeg", "jpg", "JPEG"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png", "PNG"),
    b"%PDF-": ("application/pdf", "pdf", None),
}
CLOSED = {RegistrationStatus.WITHDRAWN.value, RegistrationStatus.GIVEN_UP.value}


class ScanError(ValueError):
    pass


def check_scan(data):
    """(content type, extension, bytes to keep) of an uploaded signed form, or ScanError."""
    if not data:
        raise ScanError(_("Please choose the scan of the signed application form."))
    if len(data) > SCAN_MAX_BYTES:
        raise ScanError(_("The file is larger than %(mb)d MB.", mb=SCAN_MAX_BYTES // (1024 * 1024)))
    kind = next((kind for magic, kind in SCAN_TYPES.items() if data.startswith(magic)), None)
    if kind is None:  # the bytes decide, never the file name or the browser's content type
        raise ScanError(_("Only JPG, PNG or PDF files are accepted."))
    content_type, ext, pil_format = kind
    if pil_format is None:
        if b"%%EOF" not in data[-2048:]:
            raise ScanError(_("The PDF file is damaged or incomplete."))
        return content_type, ext, data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PHOTO_PIXELS
            with Image.open(io.BytesIO(data), formats=[pil_format]) as probe:
                probe.verify()
            image = Image.open(io.BytesIO(data), formats=[pil_format])
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ScanError(_("The picture has far too many pixels.")) from None
    except (OSError, SyntaxError, ValueError):
        raise ScanError(_("The picture is damaged and cannot be opened.")) from None
    out = io.BytesIO()  # re-encoded: drops EXIF and anything appended to the file
    if pil_format == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=92)
    else:
        image.save(out, "PNG", optimize=True)
    return content_type, ext, out.getvalue()


def attach_signed_form(registration, data, filename, user):
    """Keep the signed scan and link it to the registration (commits)."""
    if registration.status in CLOSED:
        raise ScanError(_("This registration has been withdrawn or given up."))
    if registration.locked and registration.signed_form_id is not None:
        raise ScanError(_("The application is approved and locked; its signed form can no longer be replaced."))
    content_type, ext, data = check_scan(data)
    stem = os.path.splitext(os.path.basename(filename or ""))[0][:80] or "signed-form"
    item = files.store(data, f"{stem}.{ext}", content_type, "signed_form", user=user, person=registration.person,
                       institution_id=registration.institution_id)
    db.session.flush()
    registration.signed_form_id = item.id
    db.session.commit()
    return item
