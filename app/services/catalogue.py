"""F1 事项目录: the matters people and institutions file online, grouped by category, each with
its completion deadline (working days, from the matter catalogue) and where it is filed.

An entry names its matter type, the page that files it (an endpoint; a page not installed is
listed without a link) and, through ``refusal``, why a given user may not file it now — the
catalogue shows that reason instead of hiding the entry or failing."""
from dataclasses import dataclass, field

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import app.matters  # noqa: F401  (declares the matter types)
from app.roles import CANDIDATE, INSTITUTION
from app.scoping import role_names
from app.services import cert_matters as cm
from app.services import personnel_matters as pm
from app.workflow import REGISTRY, deadline_of
from models.enums import MatterCategory


@dataclass(frozen=True)
class Entry:
    type_code: str
    title: object
    endpoint: str
    args: dict = field(default_factory=dict)
    audience: frozenset = frozenset({CANDIDATE})  # who files it here
    refusal: object = None  # fn(user) -> reason or None


def _certificate_matter(type_code):
    def refusal(user):
        person = pm.person_of(user)
        if not cm.holder_certificates(person):
            return _("Only a certificate holder can file this matter.")
        if not cm.offered(person, type_code):
            if type_code == cm.ANNUAL:
                return _("None of your certificates needs an annual confirmation now.")
            return _("None of your certificates can take this matter now.")
        return None
    return refusal


def _personnel(type_code):
    return lambda user: pm.refusal(type_code, user)


def _old_course(user):
    return None if INSTITUTION in role_names(user) else _("Filed by a training institution.")


BOTH = frozenset({CANDIDATE, INSTITUTION})
ENTRIES = [
    Entry("personnel_registration", _l("Personnel registration application"), "portal.personnel_registration_new"),
    Entry(cm.ANNUAL, cm.TITLES[cm.ANNUAL], "portal.cert_matter_new", {"slug": "annual"},
          refusal=_certificate_matter(cm.ANNUAL)),
    Entry(pm.TRANSFER, pm.TITLES[pm.TRANSFER], "portal.personnel_matter_new", {"slug": "transfer"},
          refusal=_personnel(pm.TRANSFER)),
    Entry("national_exam_registration", _l("National unified exam registration for certified personnel"),
          "portal.exams"),
    Entry("score_recheck", _l("Score re-check application"), "portal.recheck_new"),
    Entry(pm.EXPERT_APPLICATION, pm.TITLES[pm.EXPERT_APPLICATION], "portal.personnel_matter_new",
          {"slug": "expert"}, refusal=_personnel(pm.EXPERT_APPLICATION)),
    Entry("old_course_rereview", _l("Old-course re-review"), "CourseRereviewView.list",
          audience=frozenset({INSTITUTION}), refusal=_old_course),
    Entry(pm.COMPLAINT, pm.TITLES[pm.COMPLAINT], "portal.personnel_matter_new", {"slug": "complaint"},
          audience=BOTH, refusal=_personnel(pm.COMPLAINT)),
    Entry(pm.APPEAL, pm.TITLES[pm.APPEAL], "portal.personnel_matter_new", {"slug": "appeal"},
          audience=BOTH, refusal=_personnel(pm.APPEAL)),
    Entry(cm.CANCELLATION, cm.TITLES[cm.CANCELLATION], "portal.cert_matter_new", {"slug": "cancellation"},
          refusal=_certificate_matter(cm.CANCELLATION)),
    Entry(cm.REISSUE, cm.TITLES[cm.REISSUE], "portal.cert_matter_new", {"slug": "reissue"},
          refusal=_certificate_matter(cm.REISSUE)),
    Entry(cm.CHANGE, cm.TITLES[cm.CHANGE], "portal.cert_matter_new", {"slug": "change"},
          refusal=_certificate_matter(cm.CHANGE)),
    Entry("membership_application", _l("Membership application"), "portal.membership_new", audience=BOTH),
]
# the back office files these for an institution (the portal pages are the person's)
INSTITUTION_ENDPOINTS = {pm.COMPLAINT: ("PersonnelMattersView.file", {"slug": "complaint"}),
                         pm.APPEAL: ("PersonnelMattersView.file", {"slug": "appeal"}),
                         "membership_application": ("InstitutionMembershipView.apply", {})}
CATEGORIES = [MatterCategory.CERT_PERSONNEL, MatterCategory.MEMBER, MatterCategory.INSPECTION, MatterCategory.EXAM]


def _url(endpoint, args):
    return url_for(endpoint, **args) if endpoint in current_app.view_functions else None


def rows(user, audience=CANDIDATE):
    """The catalogue for ``user`` (None: a visitor) as seen by ``audience``: dicts with category,
    name, deadline, url (None when not installed) and reason (why not now, else None)."""
    found = []
    for entry in ENTRIES:
        if audience == INSTITUTION and INSTITUTION not in entry.audience:
            continue  # the portal lists every entry, with the reason where a person may not file it
        endpoint, args = entry.endpoint, entry.args
        if audience == INSTITUTION and entry.type_code in INSTITUTION_ENDPOINTS:
            endpoint, args = INSTITUTION_ENDPOINTS[entry.type_code]
        signed_in = user is not None and getattr(user, "is_authenticated", False)
        reason = entry.refusal(user) if (signed_in and entry.refusal) else None
        found.append({"type_code": entry.type_code, "category": REGISTRY[entry.type_code].category,
                      "name": entry.title, "deadline": deadline_of(entry.type_code),
                      "url": _url(endpoint, args), "reason": reason})
    return found


def grouped(items, tab="all"):
    """([(category, its rows)] in the seed's order, empty categories included; the rows of ``tab``)."""
    groups = [(c, [r for r in items if r["category"] == c.value]) for c in CATEGORIES]
    return groups, [r for c, found in groups if tab in ("all", c.value) for r in found]
