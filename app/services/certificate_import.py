"""证书导入 (SPEC E4): certificates of holders certified before the platform, on the one
import pipeline (app.services.imports).  The holder is found by the ID number's blind
index, or added; numbers are unique in the file and in the database; the dates are
valid and in order.  All or nothing: an imported certificate gets source "imported",
the holder's data as printed, an "imported" history event and its PDF, so it verifies
and downloads like an issued one.  The Association's alone (views/admin/certificates.py).
"""
import datetime
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import crypto
from app.extensions import db
from app.services import certificate_pdf, certificates
from app.services.import_types import (
    _example_id,
    _repeated,
    convert_id_number,
    convert_name,
    enum_choices,
    enum_converter,
    text_max,
)
from app.services.imports import CellError, Column, ImportType, register
from models import Certificate, CertificateType, Institution, Person
from models.enums import CandidateSource, CertificateStatus, IdType

DATE_FORMS = (r"(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{4})/(\d{1,2})/(\d{1,2})", r"(\d{4})\.(\d{1,2})\.(\d{1,2})",
              r"(\d{4})年(\d{1,2})月(\d{1,2})日")


def convert_date(text, ctx):
    """2020-05-01, 2020/5/1, 2020.5.1 or 2020年5月1日 (a date cell arrives as the first)."""
    for form in DATE_FORMS:
        match = re.fullmatch(form, text.strip())
        if match:
            try:
                return datetime.date(*map(int, match.groups()))
            except ValueError:
                break
    raise CellError(_("Not a valid date; write it as %(example)s.", example="2020-05-01"))


def _types(ctx):
    """Name or code -> certificate type; a name two types share is not a key (the code is asked for)."""
    found = ctx.cache.get("certificate_types")
    if found is None:
        found, names = {}, {}
        for ctype in db.session.scalars(select(CertificateType).order_by(CertificateType.id)):
            names.setdefault(ctype.name, []).append(ctype)
            found[ctype.code] = ctype
        for name, types in names.items():
            found.setdefault(name, types[0] if len(types) == 1 else None)
        found = ctx.cache["certificate_types"] = found
    return found


def convert_type(text, ctx):
    types = _types(ctx)
    if text not in types:
        raise CellError(_("%(value)s is neither the name nor the code of a certificate in the catalogue.",
                          value=text))
    if types[text] is None:
        raise CellError(_("Several certificates of the catalogue have this name; write the certificate code."))
    return types[text]


def convert_institution(text, ctx):
    institutions = ctx.cache.get("institutions")
    if institutions is None:
        institutions = ctx.cache["institutions"] = {
            key: iid for iid, name, uscc in db.session.execute(select(Institution.id, Institution.name,
                                                                     Institution.uscc))
            for key in (name, uscc) if key}
    if text not in institutions:
        raise CellError(_("No institution of this name or unified social credit code is registered."))
    return institutions[text]


@register
class CertificateImport(ImportType):
    key = "certificates"
    title = _l("Certificate import")
    instructions = _l("Certificates issued before the platform, one per row. Fields marked * are required. The "
                      "holder is found by the ID number (or added); the certificate number must be new. Dates as "
                      "2020-05-01. Either all rows are stored or none.")
    columns = [
        Column(_l("Certificate number"), "serial", True, text_max(40), text=True, example="ZJ202000001", width=18,
               note=_l("As printed on the certificate; it must not exist on the platform yet.")),
        Column(_l("Full name"), "name", True, convert_name, example="单田芳",
               note=_l("The holder's name as on the ID document and the certificate.")),
        Column(_l("ID type"), "id_type", True, enum_converter(IdType), choices=enum_choices(IdType), width=18,
               example=lambda ctx: str(IdType.RESIDENT.label), note=_l("Choose from the list.")),
        Column(_l("ID number"), "id_number", True, convert_id_number, text=True, width=22,
               example=lambda ctx: _example_id()),
        Column(_l("Certificate name"), "certificate_type", True, convert_type, width=24,
               choices=lambda ctx: sorted({t.name for t in db.session.scalars(select(CertificateType))}),
               example=lambda ctx: next(iter(sorted(k for k, v in _types(ctx).items() if v is not None)), ""),
               note=_l("The name of the certificate in the catalogue, or its certificate code.")),
        Column(_l("Issue date"), "issue_date", True, convert_date, text=True, example="2020-05-01"),
        Column(_l("Valid until"), "valid_until", False, convert_date, text=True, example="2026-04-30",
               note=_l("Empty: the validity of the certificate catalogue from the issue date.")),
        Column(_l("Affiliated institution"), "institution_id", False, convert_institution, width=24,
               note=_l("Optional: the institution's name or unified social credit code.")),
    ]

    def check(self, record, ctx):
        ctype, issued = record["certificate_type"], record["issue_date"]
        if issued > datetime.date.today():
            yield "issue_date", _("The issue date lies in the future.")
        if record.get("valid_until") is None:
            record["valid_until"] = certificates.add_years(issued, ctype.validity_years)
        elif record["valid_until"] <= issued:
            yield "valid_until", _("The validity must end after the issue date.")
        record["hash"] = crypto.blind_index(record["id_number"])

    def check_all(self, records, ctx):
        yield from _repeated(records, "serial", _l("The same certificate number is already on row %(row)s."))
        serials = [r["serial"] for r in records]
        taken = set()
        for i in range(0, len(serials), 900):
            taken.update(db.session.scalars(select(Certificate.serial).where(Certificate.serial.in_(
                serials[i:i + 900]))))
        hashes = list({r["hash"] for r in records})
        people = {}
        for i in range(0, len(hashes), 900):
            for pid, h, name in db.session.execute(select(Person.id, Person.id_number_hash, Person.name)
                                                   .where(Person.id_number_hash.in_(hashes[i:i + 900]))):
                people[h] = (pid, name)
        names = {}
        for r in records:
            if r["serial"] in taken:
                yield r["_row"], "serial", _("This certificate number exists on the platform already.")
            known = people.get(r["hash"])
            expected = known[1] if known else names.setdefault(r["hash"], (r["name"], r["_row"]))[0]
            if r["name"] != expected:
                yield r["_row"], "name", _("This ID number belongs to %(name)s.", name=expected)
            r["person_id"] = known[0] if known else None

    def store(self, records, ctx, result):
        new_people = {}
        for r in records:
            person = db.session.get(Person, r["person_id"]) if r["person_id"] else new_people.get(r["hash"])
            if person is None:
                person = Person(name=r["name"], id_type=r["id_type"], institution_id=r.get("institution_id"),
                                birth_date=r.get("birth_date"), gender=r.get("_id_gender"),
                                source=(CandidateSource.SOCIAL if r.get("institution_id") else
                                        CandidateSource.SELF).value)
                person.set_id_number(r["id_number"])
                db.session.add(person)
                new_people[r["hash"]] = person
            ctype = r["certificate_type"]
            cert = Certificate(serial=r["serial"], certificate_type=ctype, person=person,
                               institution_id=r.get("institution_id") or person.institution_id,
                               issue_date=r["issue_date"], valid_until=r["valid_until"], holder_name=r["name"],
                               holder_id_masked=crypto.mask_id_number(r["id_number"]), photo_id=person.photo_id,
                               source="imported", status=CertificateStatus.VALID.value)
            db.session.add(cert)
            db.session.flush()
            certificates.record_import(cert, ctx.user)
            certificate_pdf.render(cert, ctx.user)
        result.created = len(records)
