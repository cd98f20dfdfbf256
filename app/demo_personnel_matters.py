"""Demo data of F4: the demo candidate's transfer, released by their institution and awaiting the
institution joined (filed and moved through the real rules and engine)."""
from app import workflow
from app.extensions import db
from app.services import accounts
from app.services import personnel_matters as pm
from models import Matter


def demo_transfer(candidate, institution_user, target):
    if db.session.query(Matter.id).filter_by(applicant_id=candidate.id, type_code=pm.TRANSFER).first():
        return
    person = accounts.person_of(candidate)
    if not pm.valid_certificates(person):
        return
    if person.institution_id is None or person.institution_id == target.id:
        person.institution_id = institution_user.institution_id
        db.session.commit()
    values = {"to_institution": target.id, "reason_kind": "job_change", "explanation": "工作单位变更，随单位转入。"}
    matter = pm.file(pm.TRANSFER, candidate, values)
    if matter.state == "out_institution_review":
        workflow.apply(matter.id, "pass_out_institution_review", institution_user)
