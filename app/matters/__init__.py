"""Matter-type declarations (SPEC core concepts, F1–F7, E3, E6–E9).

Most matters are a review chain: the applicant submits, each stage passes it
on or returns it with an opinion, the last stage approves or refuses.  The
chain builder declares that shape once; a type with another shape declares
its own states and transitions.
"""
import importlib

from flask_babel import lazy_gettext as _l

from app.roles import ASSOCIATION, CANDIDATE, EXPERT, INSTITUTION
from app.workflow import MatterType, State, T, register
from models.enums import MatterCategory as Cat
from models.enums import MatterStatus as S

DRAFT = State("draft", _l("Drafts"), S.DRAFT)
RETURNED = State("returned", _l("Returned for correction"), S.IN_PROGRESS)
DONE = State("done", _l("Completed"), S.COMPLETED)
REFUSED = State("refused", _l("Not approved"), S.COMPLETED)
WITHDRAWN = State("withdrawn", _l("Withdrawn"), S.COMPLETED)

STAGES = {
    "institution_review": (_l("Institution first review"), {INSTITUTION}),
    "out_institution_review": (_l("Review by the institution left"), {INSTITUTION}),
    # the institution joined acts here, named in the matter's payload
    "in_institution_review": (_l("Review by the institution joined"), {INSTITUTION}, "to_institution_id"),
    "expert_review": (_l("Expert evaluation"), {EXPERT}),
    "association_review": (_l("Association approval"), {ASSOCIATION}),
}


PERSON = frozenset({CANDIDATE})
PERSON_OR_INSTITUTION = frozenset({CANDIDATE, INSTITUTION})
INSTITUTION_ONLY = frozenset({INSTITUTION})


def chain(code, name, category, deadline, stages, filers=PERSON, online_entry=None, on_approve=(), on_refuse=(),
          on_submit=(), on_withdraw=(), on_return=(), decision_opinion=False):
    """A review chain: draft → stage 1 → … → done, with return and refusal (effects per outcome).
    ``decision_opinion``: the final approval needs an opinion too (the reply to an appeal or complaint)."""
    states = [DRAFT, RETURNED, DONE, REFUSED, WITHDRAWN] + [
        State(s, STAGES[s][0], S.IN_PROGRESS) for s in stages]
    first, last = stages[0], stages[-1]
    transitions = [
        T("submit", _l("Submit"), "draft", first, applicant_only=True, effects=tuple(on_submit)),
        T("resubmit", _l("Resubmit"), "returned", first, applicant_only=True, effects=tuple(on_submit)),
        T("withdraw", _l("Withdraw"), first, "withdrawn", applicant_only=True, effects=tuple(on_withdraw)),
    ]
    for i, stage in enumerate(stages):
        roles = STAGES[stage][1]
        institution_key = STAGES[stage][2] if len(STAGES[stage]) > 2 else None
        expert = stage == "expert_review"
        nxt = stages[i + 1] if i + 1 < len(stages) else "done"
        label = _l("Approve") if nxt == "done" else _l("Pass on")
        transitions += [
            T(f"pass_{stage}", label, stage, nxt, roles, assignee_only=expert, institution_key=institution_key,
              opinion=decision_opinion and nxt == "done", effects=tuple(on_approve) if nxt == "done" else ()),
            T(f"return_{stage}", _l("Return for correction"), stage, "returned", roles,
              assignee_only=expert, opinion=True, institution_key=institution_key, effects=tuple(on_return)),
        ]
    transitions.append(T("refuse", _l("Refuse"), last, "refused", STAGES[last][1], opinion=True,
                         effects=tuple(on_refuse)))
    return register(MatterType(code, name, category.value, deadline, states, transitions,
                               online_entry=online_entry, filers=frozenset(filers)))


ASSOC = ["association_review"]
INST_ASSOC = ["institution_review", "association_review"]


def service_effect(module, name):
    """An effect living with its rules in app/services/<module>.py, imported when it first runs (the
    declarations here load before the services)."""
    def effect(matter, t, user):
        return getattr(importlib.import_module(f"app.services.{module}"), name)(matter, t, user)
    effect.__name__ = name
    return effect


def _cert_effect(name):
    """E6–E9: the certificate matters' effects (app/services/cert_matters.py)."""
    return service_effect("cert_matters", name)


# a certificate without an institution goes straight to the Association
CERT_SUBMIT = [_cert_effect("skip_institution_stage")]

NATIONAL_EXAM_REGISTRATION = chain("national_exam_registration", _l("National exam registration"),
                                   Cat.CERT_PERSONNEL, 1, ASSOC)
def _registration_effect_f2(name):
    """F2: the personnel registration's effects live with its rules (app/services/personnel.py)."""
    return (service_effect("personnel", name),)


def _expert_effect(name):
    """F3: the expert evaluation's rules (app/services/expert_review.py)."""
    return service_effect("expert_review", name)


def _personnel_registration():
    """F2 人员注册申请: 机构初核 (the institution named) → 缴费 (the fee order; paying it moves the matter
    on, app/services/personnel.py) → 专家评价 (the assigned expert) → 协会审批; approval issues the
    certificate.  A resubmission goes back to 机构初核; a paid fee is not asked for again."""
    stages = [State("institution_review", STAGES["institution_review"][0], S.IN_PROGRESS),
              State("payment", _l("Awaiting payment"), S.IN_PROGRESS),
              State("expert_review", STAGES["expert_review"][0], S.IN_PROGRESS),
              State("association_review", STAGES["association_review"][0], S.IN_PROGRESS)]
    fx = _registration_effect_f2
    return register(MatterType(
        "personnel_registration", _l("Personnel registration"), Cat.CERT_PERSONNEL.value, 15,
        [DRAFT, RETURNED, DONE, REFUSED, WITHDRAWN] + stages,
        [
            T("submit", _l("Submit"), "draft", "institution_review", applicant_only=True, effects=fx("submitted")),
            T("resubmit", _l("Resubmit"), "returned", "institution_review", applicant_only=True,
              effects=fx("submitted")),
            T("withdraw", _l("Withdraw"), "institution_review", "withdrawn", applicant_only=True),
            T("pass_institution_review", _l("Pass on"), "institution_review", "payment", {INSTITUTION},
              effects=fx("institution_passed")),
            T("return_institution_review", _l("Return for correction"), "institution_review", "returned",
              {INSTITUTION}, opinion=True),
            # taken by the payment of the fee order (payments.on_matter_paid), never without it
            T("fee_paid", _l("Fee paid"), "payment", "expert_review", applicant_only=True, effects=fx("check_paid")),
            # F3: only after every experience row is judged (the expert's judgement screen)
            T("pass_expert_review", _l("Pass on"), "expert_review", "association_review", {EXPERT},
              assignee_only=True, effects=(_expert_effect("require_judgement"),)),
            T("return_expert_review", _l("Return for correction"), "expert_review", "returned", {EXPERT},
              assignee_only=True, opinion=True, effects=(_expert_effect("require_judgement"),)),
            T("pass_association_review", _l("Approve"), "association_review", "done", {ASSOCIATION},
              effects=fx("approved")),
            T("return_association_review", _l("Return for correction"), "association_review", "returned",
              {ASSOCIATION}, opinion=True),
            T("refuse", _l("Refuse"), "association_review", "refused", {ASSOCIATION}, opinion=True),
        ],
        filers=PERSON))


PERSONNEL_REGISTRATION = _personnel_registration()
ANNUAL_CONFIRMATION = chain("annual_confirmation", _l("Annual confirmation"), Cat.CERT_PERSONNEL, 1, INST_ASSOC,
                            on_submit=CERT_SUBMIT, on_approve=[_cert_effect("annual_approved")])
def _personnel_effect(name):
    """F4–F7: effects live with their rules (app/services/personnel_matters.py)."""
    return service_effect("personnel_matters", name)


INSTITUTION_TRANSFER = chain("institution_transfer", _l("Transfer of practising institution"), Cat.CERT_PERSONNEL, 1,
                             ["out_institution_review", "in_institution_review", "association_review"],
                             on_submit=[_personnel_effect("skip_out_stage")],
                             on_approve=[_personnel_effect("transfer_approved")])
SCORE_RECHECK = chain("score_recheck", _l("Score re-check"), Cat.EXAM, 4, ASSOC)
# F5/F6: the Association's decision is its reply to the applicant; an upheld complaint is a credit record
COMPLAINT = chain("complaint", _l("Complaint"), Cat.CERT_PERSONNEL, 90, ASSOC, filers=PERSON_OR_INSTITUTION,
                  decision_opinion=True, on_approve=[_personnel_effect("complaint_upheld")])
APPEAL = chain("appeal", _l("Appeal"), Cat.CERT_PERSONNEL, 90, ["expert_review", "association_review"],
               filers=PERSON_OR_INSTITUTION, decision_opinion=True)
EXPERT_APPLICATION = chain("expert_application", _l("Expert application"), Cat.CERT_PERSONNEL, None, ASSOC,
                           on_approve=[_personnel_effect("expert_approved")])
CERTIFICATE_CANCELLATION = chain("certificate_cancellation", _l("Certificate cancellation"), Cat.CERT_PERSONNEL,
                                 None, ASSOC, on_approve=[_cert_effect("cancellation_approved")])
CERTIFICATE_REISSUE = chain("certificate_reissue", _l("Certificate reissue"), Cat.CERT_PERSONNEL, None, INST_ASSOC,
                            on_submit=CERT_SUBMIT, on_approve=[_cert_effect("reissue_approved")])
CERTIFICATE_CHANGE = chain("certificate_change", _l("Certificate information change"), Cat.CERT_PERSONNEL, None,
                           INST_ASSOC, on_submit=CERT_SUBMIT, on_approve=[_cert_effect("change_approved")])
def _membership_effect(name):
    """F10: the membership's effects live with its rules (app/services/membership.py)."""
    return service_effect("membership", name)


def _membership_application():
    """F10 会员申请: 协会审批 → 缴费 (the fee order; paying it completes the matter and makes or extends
    the membership).  A renewal (payload membership_id) goes from its draft straight to 缴费."""
    fx = _membership_effect
    review = State("association_review", STAGES["association_review"][0], S.IN_PROGRESS)
    payment = State("payment", _l("Awaiting payment"), S.IN_PROGRESS)
    return register(MatterType(
        "membership_application", _l("Membership application"), Cat.MEMBER.value, None,
        [DRAFT, RETURNED, DONE, REFUSED, WITHDRAWN, review, payment],
        [
            T("submit", _l("Submit"), "draft", "association_review", applicant_only=True),
            T("resubmit", _l("Resubmit"), "returned", "association_review", applicant_only=True),
            T("withdraw", _l("Withdraw"), "association_review", "withdrawn", applicant_only=True),
            T("renew", _l("Renew"), "draft", "payment", applicant_only=True, effects=(fx("renewal_filed"),)),
            T("pass_association_review", _l("Approve"), "association_review", "payment", {ASSOCIATION},
              effects=(fx("approved"),)),
            T("return_association_review", _l("Return for correction"), "association_review", "returned",
              {ASSOCIATION}, opinion=True),
            T("refuse", _l("Refuse"), "association_review", "refused", {ASSOCIATION}, opinion=True),
            # taken by the payment of the fee order (payments.on_matter_paid), never without it
            T("fee_paid", _l("Fee paid"), "payment", "done", applicant_only=True,
              effects=(fx("check_paid"), fx("granted"))),
        ],
        filers=PERSON_OR_INSTITUTION))


MEMBERSHIP_APPLICATION = _membership_application()
def _object_status(status):
    """D1/D3/D14: the reviewed row (matter.object_type/object_id) takes the review's outcome."""
    def effect(matter, _t, _user):
        from app.services.institution_ops import set_reviewed_status

        set_reviewed_status(matter, status)
    effect.__name__ = f"object_{status}"
    return effect


def reviewed_object(code, name, deadline=None):
    """A row an institution files for the association's review: submitting makes it 审核中,
    approval 审核通过, a return or refusal 审核退回 (the matter carries the opinion)."""
    return chain(code, name, Cat.INSTITUTION, deadline, ASSOC, filers=INSTITUTION_ONLY,
                 on_submit=[_object_status("reviewing")], on_withdraw=[_object_status("not_submitted")],
                 on_approve=[_object_status("approved")], on_return=[_object_status("returned")],
                 on_refuse=[_object_status("returned")])


PILOT_APPLICATION = reviewed_object("pilot_application", _l("Pilot certificate application"))
SITE_APPLICATION = reviewed_object("site_application", _l("Assessment site application"))
WEEKLY_REPORT = reviewed_object("weekly_report", _l("Weekly report"), deadline=5)


def _institution_decided(status, activate):
    def effect(matter, _t, _user):
        from app.services.institutions import decide

        decide(matter.institution_id, status, activate)
    return effect


# A10: an institution's own registration; approval opens its users' back office
INSTITUTION_REGISTRATION = chain(
    "institution_registration", _l("Institution account registration"), Cat.INSTITUTION, 5, ASSOC,
    filers=INSTITUTION_ONLY, on_approve=[_institution_decided("approved", True)],
    on_refuse=[_institution_decided("returned", False)])


# --- exam registrations (B7, B8, B12, B14) -------------------------------------------------
def _registration_effect(name):
    """Effects live with the registration rules (app/services/registration.py); None: none."""
    if name is None:
        return ()
    return (service_effect("registration", name),)


# the exam's reviewers: the Association, or the site's institution named in the payload
REVIEWERS = frozenset({ASSOCIATION, INSTITUTION})
REVIEWER_KEY = "reviewer_institution_id"


def _registration_type(code, name, on_submit, on_withdraw, on_start, on_approve, on_return, on_refuse):
    submitted = State("submitted", _l("Awaiting review"), S.IN_PROGRESS)
    reviewing = State("reviewing", _l("Under review"), S.IN_PROGRESS)
    given_up = State("given_up", _l("Given up"), S.COMPLETED)
    review = ("submitted", "reviewing")

    def by_reviewer(name, label, source, target, effect, opinion=False):
        return T(name, label, source, target, REVIEWERS, opinion=opinion, institution_key=REVIEWER_KEY,
                 effects=_registration_effect(effect))

    return register(MatterType(
        code, name, Cat.EXAM.value, None,
        [DRAFT, submitted, reviewing, RETURNED, DONE, REFUSED, given_up],
        [
            T("submit", _l("Submit"), "draft", "submitted", applicant_only=True,
              effects=_registration_effect(on_submit)),
            T("resubmit", _l("Resubmit"), "returned", "submitted", applicant_only=True,
              effects=_registration_effect(on_submit)),
            # B7: withdrawal is possible until a reviewer starts; the application is a draft again
            T("withdraw", _l("Withdraw"), "submitted", "draft", applicant_only=True,
              effects=_registration_effect(on_withdraw)),
            T("give_up", _l("Give up"), ("draft", "submitted", "reviewing", "returned"), "given_up",
              applicant_only=True, effects=_registration_effect("closed_by_candidate")),
            by_reviewer("start_review", _l("Start review"), "submitted", "reviewing", on_start),
            by_reviewer("approve", _l("Approve"), review, "done", on_approve),
            by_reviewer("return", _l("Return for correction"), review, "returned", on_return, opinion=True),
            by_reviewer("refuse", _l("Refuse"), review, "refused", on_refuse, opinion=True),
        ],
        filers=PERSON_OR_INSTITUTION))


EXAM_REGISTRATION = _registration_type(
    "exam_registration", _l("Exam registration"), "submitted", "withdrawn", "review_started", "approved",
    "returned", "refused")
REGISTRATION_CHANGE = _registration_type(
    "registration_change", _l("Registration change"), "change_submitted", None, None, "change_approved", None, None)


# G1–G5: the training side's matters (app/matters/training.py)
from app.matters import training  # noqa: E402,F401
