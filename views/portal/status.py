"""状态查看 (seed 001 §10): one list of the holder's registrations and matters with their
state, result and the operations allowed now — each decided by the rule that owns it
(app.services.registration, app.services.cert_matters)."""
from flask import g

from app.extensions import db
from app.services import accounts, cert_matters
from app.services import registration as reg_service
from app.workflow import stage_label
from models import Matter, Registration
from models.enums import MatterStatus, RegistrationCategory, RegistrationStatus
from views.portal import bp, profile_required, render
from views.portal.scores import result_of
from views.portal.tickets import ticket_published

MATTER_TYPES = ("score_recheck", *cert_matters.SLUGS.values())


def registration_operations(registration):
    return {"edit": registration.status in reg_service.EDITABLE and not registration.locked,
            "delete": registration.status in reg_service.DELETABLE,
            "print": registration.status != RegistrationStatus.DRAFT.value,
            "ticket": ticket_published(registration)}


@bp.route("/status")
@profile_required
def status():
    person = accounts.person_of(g.user)
    registrations = db.session.query(Registration).filter_by(person_id=person.id).order_by(
        Registration.created_at.desc()).all()
    matters = db.session.query(Matter).filter(Matter.applicant_id == g.user.id, Matter.type_code.in_(MATTER_TYPES)) \
        .order_by(Matter.id.desc()).all()
    return render("status.html", registrations=[(r, registration_operations(r), result_of(r)) for r in registrations],
                  matters=[(m, cert_matters.editable(m) if m.type_code in cert_matters.KIND_SLUG else False)
                           for m in matters], statuses=RegistrationStatus, matter_statuses=MatterStatus,
                  stage_label=stage_label, cert_kinds=cert_matters.KIND_SLUG, categories=RegistrationCategory)
