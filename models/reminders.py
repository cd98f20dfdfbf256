"""H4: the reminders sent, one row per kind, event and person — the unique key makes each reminder go out
exactly once even when two schedulers run at the same time."""
from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import mapped_column

from models.base import Model, _l, col, fk, now


class ReminderSent(Model):
    __tablename__ = "reminder_sent"
    id = mapped_column(Integer, primary_key=True)
    kind = col(String(32), _l("Reminder type"), nullable=False)
    event_key = col(String(64), _l("Event"), nullable=False)
    user_id = fk("ab_user.id", _l("User"), nullable=False, ondelete="CASCADE")
    sent_at = col(DateTime, _l("Sent at"), default=now, nullable=False)
    __table_args__ = (UniqueConstraint("kind", "event_key", "user_id", name="uq_reminder_sent"),)
