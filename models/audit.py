"""Audit log (SPEC I1) and background jobs."""
from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import mapped_column

from models.base import Model, TimestampMixin, _l, code_col, col, fk, now
from models.enums import AuditAction, JobStatus


class AuditLog(Model):
    __tablename__ = "audit_log"
    id = mapped_column(Integer, primary_key=True)
    at = col(DateTime, _l("Time"), default=now, nullable=False, index=True)
    actor_id = fk("ab_user.id", _l("User"))
    actor_name = col(String(128), _l("User name"))
    action = code_col(AuditAction, _l("Action"))
    object_type = col(String(64), _l("Object type"), index=True)
    object_id = col(String(64), _l("Object"))
    changes = col(JSON, _l("Changed fields"))
    ip = col(String(64), _l("IP address"))


class Job(TimestampMixin, Model):
    """Long work (imports, scheduling, batch PDFs): progress shown in the UI."""
    __tablename__ = "job"
    id = mapped_column(Integer, primary_key=True)
    kind = col(String(40), _l("Job type"), nullable=False)
    status = code_col(JobStatus, _l("Status"), default=JobStatus.QUEUED)
    progress = col(Integer, _l("Done"), default=0, nullable=False)
    total = col(Integer, _l("Total"), default=0, nullable=False)
    result = col(JSON, _l("Result"))
    error = col(Text, _l("Error"))
    created_by_id = fk("ab_user.id", _l("Created by"))
    institution_id = fk("institution.id", _l("Institution"))
    # S10: how often a worker took the job up, and which one ("host:pid"): a dead runner is noticed
    attempts = col(Integer, _l("Attempts"), default=0, nullable=False)
    runner = col(String(120), _l("Worker"))
