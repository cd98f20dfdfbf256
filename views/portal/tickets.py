"""考生门户 admission ticket (SPEC B10, D11): a candidate downloads their own ticket
from 我的考试 once the seats are published; anyone else, and before that, gets 404."""
from flask import abort
from flask_babel import gettext as _

from app.extensions import db
from app.services import printables
from models import SeatAssignment
from views.portal import bp, login_required, own_registration
from views.portal.printables import portal_error
from views.printables import pdf_response


@bp.route("/registrations/<int:rid>/ticket.pdf")
@login_required
def ticket_pdf(rid):
    registration = own_registration(rid)
    seats = printables.published_seats(registration)
    if not seats:
        abort(404)
    return pdf_response(lambda reg: printables.ticket_pdf(reg, seats), registration, _("Admission ticket"),
                        portal_error)


def ticket_published(registration):
    """Whether the registration has a published admission ticket (the pages show the link)."""
    return db.session.query(SeatAssignment.id).filter_by(registration_id=registration.id, published=True) \
        .first() is not None


@bp.context_processor
def _ticket_helpers():
    return {"ticket_published": ticket_published}
