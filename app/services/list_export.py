"""I4: a back-office list too long to export at once, exported by a background job: the list's own query
(the view's filters from the request's arguments and the scope of the user who asked), read a batch at a
time and written with constant memory, stored as the user's file; the job page offers the download."""
import logging
import tempfile

from flask import current_app, g
from flask_babel import gettext as _

from app.exports import EXPORT_JOB_MAX_ROWS, XLSX, write_xlsx
from app.extensions import db
from app.roles import INSTITUTION
from app.scoping import role_names
from app.services import files, jobs
from models import PlatformUser

log = logging.getLogger(__name__)


def view_named(name):
    """The registered back-office view whose permission name is ``name``."""
    for view in current_app.appbuilder.baseviews:
        if getattr(view, "class_permission_name", None) == name and hasattr(view, "export_table"):
            return view
    raise LookupError(name)


def run_export_job(job_id, view_name, args, user_id):
    try:
        user = db.session.get(PlatformUser, user_id)
        view = view_named(view_name)
        with current_app.test_request_context(query_string=args):
            g.user = user  # the list's scope is the scope of the user who asked
            headers, rows = view.export_table(EXPORT_JOB_MAX_ROWS, progress=lambda done: jobs.progress(job_id, done))
            with tempfile.TemporaryFile() as out:
                n = write_xlsx(out, headers, rows)
                out.seek(0)
                # an institution's export is its users' file; anyone else's is their own only
                own = user.institution_id if INSTITUTION in role_names(user) else None
                item = files.store(out.read(), f"{view_name}.xlsx", XLSX, "export", user=user, institution_id=own)
        db.session.commit()
        message = _("%(n)d rows exported.", n=n)
        if n >= EXPORT_JOB_MAX_ROWS:
            message += " " + _("Only the first %(n)d rows are exported.", n=EXPORT_JOB_MAX_ROWS)
        jobs.finish(job_id, {"attachment_id": item.id, "message": message})
    except Exception as exc:
        log.exception("list export job %s failed", job_id)
        jobs.fail(job_id, exc)
