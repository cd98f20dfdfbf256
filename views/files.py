"""Downloads of uploaded files, always through the scope check."""
from flask import Blueprint, abort, g, send_file
from flask_login import login_required

from app.audit import record
from app.services.files import open_for
from models.enums import AuditAction

bp = Blueprint("files", __name__, url_prefix="/files")


@bp.route("/<int:attachment_id>")
@login_required
def download(attachment_id):
    found = open_for(attachment_id, g.user)
    if found is None:
        abort(404)  # the same answer whether it does not exist or is someone else's
    attachment, path = found
    record(AuditAction.DOWNLOAD, "Attachment", attachment.id, {"kind": attachment.kind}, actor=g.user)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
