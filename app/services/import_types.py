"""The import types of the 1+X pilot (SPEC D4, D7–D9): each declares its
columns once and stores its records in bulk (one query for the existing
rows, one insert, one update; no query per row)."""
import datetime
import functools
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pypinyin import Style, lazy_pinyin
from sqlalchemy import bindparam, insert, select, update

from app import crypto
from app.extensions import db
from app.identity import IdNumberError, parse_id_number
from app.services.accounts import AccountError, normalise_phone
from app.services.imports import CellError, Column, ImportRefused, ImportType, register
from models import (
    ExamPlan,
    ExamSite,
    Invigilator,
    Major,
    Person,
    Region,
    Registration,
    RegistrationSubject,
    Room,
    Site,
)
from models.enums import CandidateSource, ExamStatus, Gender, IdType, MajorLevel, RegistrationStatus, VerifyState


# --- converters ---------------------------------------------------------------------------------------
def enum_converter(enum):
    """Accept the translated label (the dropdown), the English label or the code."""
    def convert(text, ctx):
        known = ctx.cache.get(enum)
        if known is None:  # translated once per run, not once per cell
            known = ctx.cache[enum] = {name: m.value for m in enum
                                       for name in (str(m.label), m.value, getattr(m.label, "_args", [None])[0])}
        if text in known:
            return known[text]
        raise CellError(_("Choose one of: %(values)s.", values="、".join(str(m.label) for m in enum)))
    return convert


def enum_choices(enum):
    return lambda ctx: [str(m.label) for m in enum]


def convert_name(text, ctx):
    if re.search(r"\s", text):
        raise CellError(_("The name contains spaces; please remove them."))
    if not 2 <= len(text) <= 40:
        raise CellError(_("A name has 2 to 40 characters."))
    return text


PINYIN_FORM = re.compile(r"[A-Z][a-zü]*(?: [A-Z][a-zü]*)+")


def convert_pinyin(text, ctx):
    """The form only; the refusal offers the pinyin computed from the row's name (an earlier column)."""
    if not PINYIN_FORM.fullmatch(text):
        computed = name_pinyin(ctx.row.get("name") or "")
        if computed:
            raise CellError(_("Write the pinyin as 'Zhang Sanfeng': family name and given name apart, each "
                              "capitalised, one space between them (from the name: %(pinyin)s).", pinyin=computed))
        raise CellError(_("Write the pinyin as 'Zhang Sanfeng': family name and given name apart, each "
                          "capitalised, one space between them."))
    return text


def convert_phone(text, ctx):
    """accounts.normalise_phone decides; an 11-digit number whose 7-digit block it already accepted
    in this run is accepted without asking again (mobile ranges are allotted by block)."""
    blocks = ctx.cache.setdefault("phone_blocks", set())
    if len(text) == 11 and text.isdigit() and text[:7] in blocks:
        return text
    try:
        number = normalise_phone(text)
    except AccountError as exc:
        raise CellError(str(exc)) from None
    if len(number) == 11:
        blocks.add(number[:7])
    return number


def convert_year(text, ctx):
    this_year = datetime.date.today().year
    if not re.fullmatch(r"\d{4}", text) or not 1980 <= int(text) <= this_year + 1:
        raise CellError(_("Enter a four-digit year between 1980 and %(year)s.", year=this_year + 1))
    return int(text)


def convert_int(low, high):
    def convert(text, ctx):
        if not re.fullmatch(r"\d+", text) or not low <= int(text) <= high:
            raise CellError(_("Enter a whole number from %(low)s to %(high)s.", low=low, high=high))
        return int(text)
    return convert


def text_max(n):
    def convert(text, ctx):
        if len(text) > n:
            raise CellError(_("At most %(n)s characters.", n=n))
        return text
    return convert


def convert_id_number(text, ctx):
    """Checked against the row's ID type (an earlier column) by app.identity; a resident ID number
    also gives the birth date and gender.  Without a valid type (batch registration, or the type cell
    refused) the number is only a look-up key: normalised and roughly checked."""
    id_type = ctx.row.get("id_type")
    if id_type is None:
        text = text.strip().upper()
        if not re.fullmatch(r"[0-9A-Z()（）\u4e00-\u9fff-]{5,20}", text):
            raise CellError(_("The ID number has unexpected characters or length."))
        return text
    try:
        number, birth, gender = parse_id_number(id_type, text)
    except IdNumberError as exc:
        raise CellError(str(exc)) from None
    ctx.row["birth_date"], ctx.row["_id_gender"] = birth, gender
    return number


# --- pinyin -------------------------------------------------------------------------------------------
# pypinyin reads these surnames with their common reading; as surnames they read otherwise.  Compound
# surnames are written as one word (欧阳修 Ouyang Xiu).
SURNAME_PINYIN = {
    "尉迟": "Yuchi", "长孙": "Zhangsun", "万俟": "Moqi", "单于": "Chanyu", "澹台": "Tantai",
    "欧阳": "Ouyang", "司马": "Sima", "诸葛": "Zhuge", "上官": "Shangguan", "东方": "Dongfang", "皇甫": "Huangfu",
    "夏侯": "Xiahou", "公孙": "Gongsun", "令狐": "Linghu", "慕容": "Murong", "宇文": "Yuwen", "司徒": "Situ",
    "端木": "Duanmu", "南宫": "Nangong", "独孤": "Dugu", "轩辕": "Xuanyuan", "呼延": "Huyan",
    "单": "Shan", "曾": "Zeng", "解": "Xie", "仇": "Qiu", "朴": "Piao", "查": "Zha", "区": "Ou",
    "盖": "Ge", "乐": "Yue", "缪": "Miao", "繁": "Po", "覃": "Qin", "召": "Shao", "华": "Hua",
    "任": "Ren", "员": "Yun", "过": "Guo", "秘": "Bi", "种": "Chong", "万": "Wan", "沈": "Shen",
    "翟": "Zhai", "宿": "Su", "贲": "Ben", "臧": "Zang", "隗": "Wei", "葛": "Ge", "纪": "Ji",
}


def _syllables(text):
    return [s.replace("v", "ü") for s in lazy_pinyin(text, style=Style.NORMAL, errors="ignore")]


@functools.lru_cache(maxsize=65536)
def name_pinyin(name):
    """'单田芳' -> 'Shan Tianfang': the family name (override table first) and the given name apart."""
    name = (name or "").strip()
    if not name:
        return ""
    length = next((n for n in (2, 1) if len(name) > n and name[:n] in SURNAME_PINYIN), 0)
    split = length or 1
    syllables = _syllables(name)  # one call: the given name read in the context of the whole name
    if len(syllables) == len(name):
        family, given = syllables[:split], syllables[split:]
    else:  # a character pypinyin skips: read the two parts apart
        family, given = _syllables(name[:split]), _syllables(name[split:])
    family = SURNAME_PINYIN[name[:length]] if length else "".join(family).capitalize()
    return f"{family} {''.join(given).capitalize()}".strip()


# --- candidates (D4) ----------------------------------------------------------------------------------
def _example_id():
    from app.identity import check_digit

    return "11010519900307123" + check_digit("11010519900307123")


COMMON_COLUMNS = [
    Column(_l("Student name"), "name", True, convert_name, example="单田芳",
           note=_l("The name as on the ID document, with no spaces; it is printed on the certificate.")),
    Column(_l("Name in pinyin"), "pinyin", False, convert_pinyin, example="Shan Tianfang", width=18,
           note=_l("Family name and given name apart, capitalised: 张三丰 -> Zhang Sanfeng. Left empty, it is "
                   "filled from the name (polyphonic family names such as 单 Shan, 曾 Zeng are read as names).")),
    Column(_l("Gender"), "gender", True, enum_converter(Gender), choices=enum_choices(Gender),
           example=lambda ctx: str(Gender.MALE.label), note=_l("Choose from the list.")),
    Column(_l("ID type"), "id_type", True, enum_converter(IdType), choices=enum_choices(IdType), width=18,
           example=lambda ctx: str(IdType.RESIDENT.label), note=_l("Choose from the list.")),
    Column(_l("ID number"), "id_number", True, convert_id_number, text=True, width=22,
           example=lambda ctx: _example_id(),
           note=_l("Typed as text (the column is text-formatted): 18 characters for a resident ID card (also for a "
                   "residence permit of Hong Kong, Macao and Taiwan residents), the last may be X; a passport 5 to 20 "
                   "letters and digits; a Hong Kong and Macao travel permit H or M and 8 or 10 digits; a Taiwan "
                   "travel permit 8 digits.")),
    Column(_l("Mobile phone"), "phone", True, convert_phone, text=True, example="13912345678",
           note=_l("A mainland mobile number, 11 digits.")),
]


def _majors(ctx):
    majors = ctx.cache.get("majors")
    if majors is None:
        majors = {}
        for m in db.session.query(Major).order_by(Major.version):
            majors[m.code] = m  # the newest catalogue version wins
        ctx.cache["majors"] = majors
    return majors


def convert_major_code(text, ctx):
    major = _majors(ctx).get(text)
    if major is None:
        raise CellError(_("The major code %(code)s is not in the major catalogue.", code=text))
    return major


class CandidateImport(ImportType):
    source = None
    filled_message = _l("%(n)s rows had no pinyin; it was generated from the name. Please check it.")

    def check(self, record, ctx):
        id_gender = record.get("_id_gender")  # from a resident ID number (convert_id_number)
        if id_gender and record.get("gender") and record["gender"] != id_gender:
            yield "gender", _("The gender differs from the one in the ID number.")
        if not record.get("pinyin"):  # offered, not silently: listed on the result page for checking
            record["pinyin"] = name_pinyin(record["name"])
            record["_filled"] = {"pinyin": record["pinyin"]}
        major = record.get("major_code")
        if major is not None:
            if record.get("major_name") and record["major_name"] not in (major.name, major.old_name):
                yield "major_name", _("The major code %(code)s is %(name)s in the catalogue.", code=major.code,
                                      name=major.name)
            if record.get("major_level") and major.level and record["major_level"] != major.level:
                yield "major_level", _("The catalogue lists this major as %(level)s.",
                                       level=MajorLevel.label_of(major.level))
        record["hash"] = crypto.blind_index(record["id_number"])

    def check_all(self, records, ctx):
        seen, phones = {}, {}
        for r in records:
            first = seen.setdefault(r["hash"], r["_row"])
            if first != r["_row"]:
                yield r["_row"], "id_number", _("The same ID number is already on row %(row)s.", row=first)
            if r.get("phone"):
                first = phones.setdefault(r["phone"], r["_row"])
                if first != r["_row"]:
                    yield r["_row"], "phone", _("The same phone number is already on row %(row)s.", row=first)
        # the database, in two queries (chunks keep the IN lists short)
        existing, phone_owner = {}, {}
        hashes, numbers = list(seen), list(phones)
        for i in range(0, len(hashes), 900):
            for pid, h, inst in db.session.execute(select(Person.id, Person.id_number_hash, Person.institution_id)
                                                   .where(Person.id_number_hash.in_(hashes[i:i + 900]))):
                existing[h] = (pid, inst)
        for i in range(0, len(numbers), 900):
            for pid, phone in db.session.execute(select(Person.id, Person.phone)
                                                 .where(Person.phone.in_(numbers[i:i + 900]))):
                phone_owner[phone] = pid
        for r in records:
            found = existing.get(r["hash"])
            if found is not None and found[1] != ctx.institution_id:
                yield r["_row"], "id_number", _("This ID number belongs to a person of another institution or an "
                                                "individual account; it cannot be imported here.")
                continue
            r["person_id"] = found[0] if found else None
            owner = phone_owner.get(r.get("phone"))
            if owner is not None and owner != r["person_id"]:
                yield r["_row"], "phone", _("This phone number is already used by another person.")

    def values(self, r):
        major = r.get("major_code")
        return {"name": r["name"], "pinyin": r["pinyin"], "gender": r["gender"], "id_type": r["id_type"],
                "phone": r["phone"], "birth_date": r.get("birth_date"), "source": self.source,
                "enrollment_year": r.get("enrollment_year"), "major_id": major.id if major else None,
                **({"employer": r.get("employer")} if "employer" in r else {})}

    def store(self, records, ctx, result):
        now = datetime.datetime.now()
        new, changed = [], []
        for r in records:
            values = self.values(r)
            if r["person_id"] is None:
                values.update(institution_id=ctx.institution_id, id_number_hash=r["hash"],
                              id_number_enc=crypto.encrypt(r["id_number"]),
                              id_number_masked=crypto.mask_id_number(r["id_number"]),
                              verify_state=VerifyState.NO_PHOTO.value, email_verified=False,
                              realname_verified=False, is_expert=False, is_teacher=False,
                              created_at=now, updated_at=now)
                new.append(values)
            else:
                values.update(id=r["person_id"], updated_at=now)
                changed.append(values)
        table = Person.__table__  # Core executemany: no ORM bookkeeping per row
        if changed:
            db.session.execute(update(table).where(table.c.id == bindparam("pid")),
                               [{**{k: v for k, v in values.items() if k != "id"}, "pid": values["id"]}
                                for values in changed])
        if new:
            db.session.execute(insert(table), new)
        result.created, result.updated = len(new), len(changed)


@register
class SchoolCandidates(CandidateImport):
    key = "school_candidates"
    title = _l("Own students")
    source = CandidateSource.SCHOOL.value
    job_threshold = 0
    instructions = _l(
        "Notes: 1. The pinyin of the name is printed on the certificate: family name and given name apart, "
        "capitalised, e.g. 张三丰 -> Zhang Sanfeng. 2. Fill in the major code from the major catalogue. "
        "3. Read the note of each column header. 4. Remove stray spaces. Data from row 3 on; "
        "see the Example sheet.")
    columns = COMMON_COLUMNS + [
        Column(_l("Enrollment year"), "enrollment_year", True, convert_year, example="2024"),
        Column(_l("Major level"), "major_level", True, enum_converter(MajorLevel), choices=enum_choices(MajorLevel),
               example=lambda ctx: str(MajorLevel.UNDERGRADUATE.label), note=_l("Choose from the list.")),
        Column(_l("Major name"), "major_name", False, text_max(128), example="计算机科学与技术", width=20),
        Column(_l("Major code"), "major_code", True, convert_major_code, text=True, example="080901",
               note=_l("The code of the major in the major catalogue.")),
    ]


@register
class SocialCandidates(CandidateImport):
    key = "social_candidates"
    title = _l("Social candidates")
    source = CandidateSource.SOCIAL.value
    instructions = _l(
        "Notes: 1. The pinyin of the name is printed on the certificate: family name and given name apart, "
        "capitalised, e.g. 张三丰 -> Zhang Sanfeng. 2. Read the note of each column header. 3. Remove stray "
        "spaces. Data from row 3 on; see the Example sheet.")
    columns = COMMON_COLUMNS + [
        Column(_l("Employer"), "employer", False, text_max(128), example="北京数字科技有限公司", width=24,
               note=_l("The candidate's employer or school.")),
    ]


# --- rooms (D8) ---------------------------------------------------------------------------------------
def _sites(ctx):
    sites = ctx.cache.get("sites")
    if sites is None:
        sites = {code: sid for sid, code in db.session.execute(
            select(Site.id, Site.code).where(Site.institution_id == ctx.institution_id))}
        ctx.cache["sites"] = sites
    return sites


def convert_own_site(text, ctx):
    site_id = _sites(ctx).get(text)
    if site_id is None:
        raise CellError(_("No site of this institution has the code %(code)s.", code=text))
    return site_id


@register
class Rooms(ImportType):
    key = "rooms"
    title = _l("Exam rooms")
    instructions = _l("Notes: the room name is the real classroom, so candidates find it; the capacity must be at "
                      "least the number of candidates. A room of the same name is updated. Data from row 3 on.")
    columns = [
        Column(_l("Room name"), "name", True, text_max(64), example="教学楼301"),
        Column(_l("Room type"), "room_type", False, text_max(32), example="标准考场"),
        Column(_l("Capacity"), "capacity", True, convert_int(1, 1000), example="30"),
        Column(_l("Site code"), "site_id", False, convert_own_site, text=True, example="S001",
               note=_l("The code of one of the institution's assessment sites (optional).")),
    ]

    def check_all(self, records, ctx):
        yield from _repeated(records, "name", _l("The same name is already on row %(row)s."))

    def store(self, records, ctx, result):
        _upsert_by_key(Room, "name", records, ctx, result, ("room_type", "capacity", "site_id"),
                       {"status": "unscheduled"})


def _repeated(records, key, message):
    """(row, column, reason) for each row repeating an earlier row's ``key``; ``message`` takes %(row)s."""
    seen = {}
    for r in records:
        first = seen.setdefault(r[key], r["_row"])
        if first != r["_row"]:
            yield r["_row"], key, str(message) % {"row": first}


def _upsert_by_key(model, key, records, ctx, result, fields, defaults=None):
    """Rows of the institution matched by ``key`` are updated, the others inserted (two bulk statements)."""
    column = getattr(model, key)
    existing = dict(db.session.execute(select(column, model.id)
                                       .where(model.institution_id == ctx.institution_id)).all())
    now = datetime.datetime.now()
    new, changed = [], []
    for r in records:
        values = {key: r[key], **{f: r.get(f) for f in fields}, "updated_at": now}
        if r[key] in existing:
            changed.append({**values, "id": existing[r[key]]})
        else:
            new.append({**values, "institution_id": ctx.institution_id, "created_at": now, **(defaults or {})})
    if changed:
        db.session.execute(update(model), changed)
    if new:
        db.session.execute(insert(model), new)
    result.created, result.updated = len(new), len(changed)


# --- invigilators (D9) --------------------------------------------------------------------------------
def convert_region(text, ctx):
    regions = ctx.cache.get("regions")
    if regions is None:
        regions, names = {}, {}
        for code, name in db.session.execute(select(Region.code, Region.name)):
            regions[code] = code
            names.setdefault(name, []).append(code)
        regions.update({n: codes[0] for n, codes in names.items() if len(codes) == 1})
        ctx.cache["regions"] = regions
    code = regions.get(text)
    if code is None:
        raise CellError(_("Unknown region: give a division code or a unique division name."))
    return code


@register
class Invigilators(ImportType):
    key = "invigilators"
    title = _l("Invigilators")
    instructions = _l("Notes: an invigilator of the same staff number is updated. The region is a division code "
                      "(e.g. 110105) or a unique division name. Data from row 3 on.")
    columns = [
        Column(_l("Staff number"), "staff_no", True, text_max(32), text=True, example="J1001"),
        Column(_l("Full name"), "name", True, convert_name, example="李老师"),
        Column(_l("Mobile phone"), "phone", False, convert_phone, text=True, example="13912345678"),
        Column(_l("Region"), "region_code", False, convert_region, text=True, example="110105"),
    ]

    def check_all(self, records, ctx):
        yield from _repeated(records, "staff_no", _l("The same staff number is already on row %(row)s."))

    def store(self, records, ctx, result):
        _upsert_by_key(Invigilator, "staff_no", records, ctx, result, ("name", "phone", "region_code"))


# --- batch registration (D7) --------------------------------------------------------------------------
def convert_source(text, ctx):
    for m in (CandidateSource.SCHOOL, CandidateSource.SOCIAL):
        if text in (str(m.label), m.value, m.label._args[0]):
            return m.value
    raise CellError(_("Choose one of: %(values)s.", values="、".join(
        str(m.label) for m in (CandidateSource.SCHOOL, CandidateSource.SOCIAL))))


def _plan(ctx):
    return db.session.get(ExamPlan, ctx.options["exam_plan_id"])


@register
class BatchRegistration(ImportType):
    """By certificate (all the plan's subjects) or by subject (a subject column)."""
    key = "registrations"
    title = _l("Batch registration")
    instructions = _l("Notes: 1. By certificate, the candidate takes every subject of the exam for that "
                      "certificate; by subject, name the subject. 2. Only candidates whose information is "
                      "accurate may be registered. 3. The site code is a site offered by the exam. Data from row "
                      "3 on.")
    base_columns = [
        Column(_l("Candidate name"), "name", True, convert_name, example="单田芳"),
        Column(_l("ID number"), "id_number", True, convert_id_number, text=True, width=22,
               example=lambda ctx: _example_id()),
        Column(_l("Candidate type"), "source", True, convert_source,
               choices=lambda ctx: [str(CandidateSource.SCHOOL.label), str(CandidateSource.SOCIAL.label)],
               example=lambda ctx: str(CandidateSource.SCHOOL.label)),
        Column(_l("Certificate code"), "certificate_code", True, text_max(32), text=True, width=20,
               example=lambda ctx: _plan(ctx).certificate_type.code if ctx.options.get("exam_plan_id")
               and _plan(ctx).certificate_type else ""),
        Column(_l("Certificate"), "certificate_name", False, text_max(128), width=24),
        Column(_l("Site code"), "site_code", True, text_max(32), text=True, example="S001"),
        Column(_l("Site"), "site_name", False, text_max(128), width=24),
    ]
    subject_column = Column(_l("Subject"), "subject", True, text_max(64), example="理论",
                            choices=lambda ctx: [s.name for s in _plan(ctx).subjects] if ctx.options.get(
                                "exam_plan_id") else [])

    def columns_for(self, ctx):
        if ctx.options.get("mode") == "subject":
            return self.base_columns + [self.subject_column]
        return self.base_columns

    def prepare(self, ctx):
        plan = _plan(ctx)
        if plan is None or plan.status_at() != ExamStatus.OPEN or not plan.published:
            raise ImportRefused(_("Registration for this exam is not open."))
        ctx.cache["plan"] = plan
        ctx.cache["subjects"] = {s.name: s.id for s in plan.subjects}
        ctx.cache["exam_sites"] = {code: (es_id, remaining) for es_id, code, remaining in db.session.execute(
            select(ExamSite.id, Site.code, ExamSite.quota - ExamSite.seats_taken).join(Site)
            .where(ExamSite.exam_plan_id == plan.id))}

    def check(self, record, ctx):
        plan = ctx.cache["plan"]
        cert = plan.certificate_type
        if cert is None or record["certificate_code"] != cert.code:
            yield "certificate_code", _("The exam %(exam)s is for the certificate %(code)s.", exam=plan.name,
                                        code=cert.code if cert else "-")
        if record["site_code"] not in ctx.cache["exam_sites"]:
            yield "site_code", _("The exam does not offer a site with the code %(code)s.", code=record["site_code"])
        if ctx.options.get("mode") == "subject" and record.get("subject") not in ctx.cache["subjects"]:
            yield "subject", _("The exam has no subject %(name)s.", name=record.get("subject"))
        record["hash"] = crypto.blind_index(record["id_number"])

    def check_all(self, records, ctx):
        hashes = list({r["hash"] for r in records})
        people = {}
        for i in range(0, len(hashes), 900):
            for row in db.session.execute(select(Person.id, Person.id_number_hash, Person.name, Person.source,
                                                 Person.verify_state)
                                          .where(Person.id_number_hash.in_(hashes[i:i + 900]),
                                                 Person.institution_id == ctx.institution_id)):
                people[row.id_number_hash] = row
        plan = ctx.cache["plan"]
        active = {pid: (rid, es) for rid, pid, es in db.session.execute(
            select(Registration.id, Registration.person_id, Registration.exam_site_id)
            .where(Registration.exam_plan_id == plan.id,
                   Registration.status.notin_(("withdrawn", "given_up", "refused"))))}
        seen = {}
        for r in records:
            person = people.get(r["hash"])
            if person is None:
                yield r["_row"], "id_number", _("No candidate of this institution has this ID number; import the "
                                                "candidate first.")
                continue
            if person.name != r["name"]:
                yield r["_row"], "name", _("The name differs from the candidate's (%(name)s).", name=person.name)
                continue
            if person.source != r["source"]:
                yield r["_row"], "source", _("The candidate type differs from the candidate's (%(type)s).",
                                             type=CandidateSource.label_of(person.source))
                continue
            if person.verify_state != VerifyState.ACCURATE.value:
                yield r["_row"], "id_number", _("The candidate's information is not verified as accurate "
                                                "(%(state)s); it cannot be registered yet.",
                                                state=VerifyState.label_of(person.verify_state))
                continue
            r["person_id"] = person.id
            es_id = ctx.cache["exam_sites"][r["site_code"]][0]
            r["exam_site_id"] = es_id
            key = person.id
            if key in seen and (ctx.options.get("mode") != "subject" or seen[key][1] != es_id):
                yield r["_row"], "id_number", _("The same candidate is already on row %(row)s.", row=seen[key][0])
                continue
            seen.setdefault(key, (r["_row"], es_id))
            if person.id in active:
                rid, existing_site = active[person.id]
                if existing_site != es_id:
                    yield r["_row"], "site_code", _("The candidate is already registered for this exam at another "
                                                    "site.")
                    continue
                r["registration_id"] = rid
        for code, (es_id, remaining) in ctx.cache["exam_sites"].items():
            need = len({r["person_id"] for r in records if r.get("exam_site_id") == es_id
                        and not r.get("registration_id")})
            if need > remaining:
                first = next(r["_row"] for r in records if r.get("exam_site_id") == es_id)
                yield first, "site_code", _("The site %(code)s has %(left)s seats left, fewer than the %(n)s "
                                            "candidates in the file.", code=code, left=remaining, n=need)

    def store(self, records, ctx, result):
        from app.services import seats
        from app.services.registration import file_submitted, net_no_of

        plan = ctx.cache["plan"]
        subjects = ctx.cache["subjects"]
        by_person = {}
        for r in records:
            entry = by_person.setdefault(r["person_id"], {"record": r, "subjects": set()})
            if ctx.options.get("mode") == "subject":
                entry["subjects"].add(subjects[r["subject"]])
            else:
                entry["subjects"].update(subjects.values())
        now = datetime.datetime.now()
        for person_id, entry in by_person.items():
            r = entry["record"]
            registration = db.session.get(Registration, r["registration_id"]) if r.get("registration_id") else None
            if registration is None:
                registration = Registration(exam_plan_id=plan.id, person_id=person_id,
                                            institution_id=ctx.institution_id, exam_site_id=r["exam_site_id"],
                                            status=RegistrationStatus.SUBMITTED.value, submitted_at=now,
                                            category=(plan.categories_offered or ["first"])[0])
                db.session.add(registration)
                db.session.flush()
                registration.exam_plan = plan
                registration.net_no = net_no_of(registration)
                seats.hold(registration)  # all or nothing: a full site raises and the whole file rolls back
                file_submitted(registration, ctx.user)  # reviewed like any registration (B7)
                result.created += 1
            else:
                result.unchanged += 1
            have = {s.subject_id for s in registration.subjects}
            for sid in sorted(entry["subjects"] - have):
                db.session.add(RegistrationSubject(registration_id=registration.id, subject_id=sid))
