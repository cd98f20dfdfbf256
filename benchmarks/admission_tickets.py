"""10,000 admission tickets as one PDF (issue 5, Speed): pages per second, the ratio to
drawing the same page 10,000 times with fpdf2 alone, and the peak memory.

Synthetic candidates (no database): the same context builder and page template the
application uses (app.services.printables.ticket_context / draw_ticket) on stand-in
objects.  The floor records every fpdf2 call our template makes for the first ticket and
replays that one page N times on a plain ``FPDF`` with the same font: the PDF library
alone, with nothing of ours in between.  Target: ratio <= 1.5, peak memory < 500 MB.

    PYTHONPATH=. .venv/bin/python benchmarks/admission_tickets.py [--tickets 10000] [--photos 1000]
"""
import argparse
import datetime
import io
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace as NS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("INSTANCE_DIR", tempfile.mkdtemp(prefix="bench-"))

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "欧阳"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志强玉兰海燕晓东思远浩然子豪静怡嘉欣卫"
    "平"
)


def _photo(i):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (295, 413), (200, 30 + i % 50, 30))
    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 80, 215, 250), fill=(240, 200 - i % 60, 170))
    draw.rectangle((50, 280, 245, 413), fill=(30, 30, 60 + i % 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


class SyntheticPhotos:
    """PhotoCache's job on bytes: each person's photo decoded and shrunk once."""

    def __init__(self, sources):
        from app.services.printables import PhotoCache

        self.cache, self.sources, self.done = PhotoCache(), sources, {}

    def of(self, registration):
        key = registration.person.id
        if key not in self.done:
            self.done[key] = self.cache.shrink(self.sources[key % len(self.sources)])
        return self.done[key]


def candidates(n):
    """Stand-ins for Registration with its person, subjects and published seats."""
    plan = NS(name="2026年下半年质量管理体系审核员职业资格考试", location="北京市海淀区学院路30号")
    site = NS(name="北京科技大学考点", address="北京市海淀区学院路30号逸夫楼")
    start = datetime.datetime(2026, 12, 19, 9, 0)
    subjects = [NS(name="质量管理体系基础"), NS(name="审核知识与技能")]
    hour = datetime.timedelta(hours=1)
    sessions = [NS(id=k + 1, name=f"第{'一二'[k]}场", subject=subjects[k], starts_at=start + 5 * k * hour,
                   ends_at=start + (5 * k + 2) * hour) for k in range(2)]
    rooms = [NS(name=f"第{r + 1:02d}考场（逸夫楼{101 + r}）", site=site) for r in range(334)]
    for i in range(n):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 13) % len(GIVEN)]
        person = NS(id=i, name=name, gender="male" if i % 2 else "female",
                    id_number_masked=f"110105********{i % 10000:04d}")
        registration = NS(person=person, exam_plan=plan, exam_site=None,
                          subjects=[NS(subject=s) for s in subjects])
        room = rooms[i // 30]
        seats = [NS(session=s, session_id=s.id, room=room, seat_no=i % 30 + 1, ticket_no=f"2026{k + 1}{i:07d}")
                 for k, s in enumerate(sessions)]
        yield registration, seats


def ours(n, sources, record=None):
    from app.services import printables

    photos = SyntheticPhotos(sources)
    contexts = (printables.ticket_context(reg, seats, photos) for reg, seats in candidates(n))
    if record is None:
        return printables.tickets_pdf(contexts)
    sheet = Recorder(record)
    printables.draw_ticket(sheet, next(contexts))
    return bytes(sheet.output())


RECORDED = ("add_page", "set_font", "set_xy", "cell", "rect", "image", "set_fill_color", "line", "set_line_width",
            "set_text_color", "set_draw_color", "set_dash_pattern")


def _recorder_class():
    from app.services.printables import Sheet

    class Recorder(Sheet):
        """A Sheet that writes down every drawing call of one page (the floor replays them)."""

        def __init__(self, calls):
            self.calls = None
            super().__init__("floor", first_page=False, numbered=False)
            self.calls = calls

    def wrap(name):
        def method(self, *args, **kwargs):
            if self.calls is not None:
                args = tuple(a.getvalue() if isinstance(a, io.BytesIO) else a for a in args)
                self.calls.append((name, args, kwargs))
            return getattr(Sheet, name)(self, *(io.BytesIO(a) if isinstance(a, bytes) else a for a in args),
                                        **kwargs)
        return method

    for name in RECORDED:
        setattr(Recorder, name, wrap(name))
    return Recorder


def floor(n, calls, fonts):
    """The same page drawn n times with fpdf2 alone."""
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.alias_nb_pages(None)
    for style, path, number in fonts:
        pdf.add_font("cjk", style, path, collection_font_number=number)
    for _ in range(n):
        for name, args, kwargs in calls:
            getattr(pdf, name)(*(io.BytesIO(a) if isinstance(a, bytes) else a for a in args), **kwargs)
    return bytes(pdf.output())


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--photos", type=int, default=1_000, help="distinct source photos (cycled over persons)")
    parser.add_argument("--floor", help=argparse.SUPPRESS)  # internal: replay a recorded page in a fresh process
    options = parser.parse_args()
    if options.floor:
        with open(options.floor, "rb") as fh:
            n, calls, fonts = pickle.load(fh)
        started = time.perf_counter()
        plain = floor(n, calls, fonts)
        print(json.dumps({"seconds": time.perf_counter() - started, "bytes": len(plain), "calls": len(calls)}))
        return
    from app import create_app
    from app.services import printables

    global Recorder
    n = options.tickets
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    with app.app_context(), app.test_request_context():
        from flask_babel import force_locale

        with force_locale("zh"):
            sources = [_photo(i) for i in range(options.photos)]
            calls = []
            Recorder = _recorder_class()
            ours(1, sources, record=calls)
            fonts = printables.font_files()
            before = _peak_mb()
            started = time.perf_counter()
            data = ours(n, sources)
            ours_s = time.perf_counter() - started
            peak = _peak_mb()
    # the floor in a fresh process, so neither run pays for the other's garbage
    with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as fh:
        pickle.dump((n, calls, fonts), fh)
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--floor", fh.name], capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": ROOT})
    os.unlink(fh.name)
    base = json.loads(out.stdout.strip().splitlines()[-1])
    floor_s = base["seconds"]
    print(f"admission tickets: {n} pages in {ours_s:.2f} s = {n / ours_s:,.0f} pages/s, PDF {len(data) / 1e6:.1f} MB "
          f"({n} persons, {options.photos} distinct source photos)")
    print(f"fpdf2 alone, the same page {n} times: {floor_s:.2f} s = {n / floor_s:,.0f} pages/s, "
          f"PDF {base['bytes'] / 1e6:.1f} MB ({base['calls']} drawing calls a page)")
    print(f"ratio ours / fpdf2 alone: {ours_s / floor_s:.2f} (target <= 1.5)")
    print(f"peak memory (max RSS) of the ticket run: {peak:.0f} MB (before it: {before:.0f} MB, of which the "
          f"parsed CJK fonts are most; target < 500 MB)")


Recorder = None

if __name__ == "__main__":
    main()
