"""Message threads, notifications, announcements and deliveries (SPEC H1–H5)."""
from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, false
from sqlalchemy.orm import mapped_column, relationship

from models.base import Model, TimestampMixin, _l, code_col, col, fk, now
from models.enums import (
    AnnouncementCategory,
    AnnouncementTarget,
    Channel,
    DeliveryStatus,
    MessageCategory,
    ThreadStatus,
)


class MessageThread(TimestampMixin, Model):
    __tablename__ = "message_thread"
    __scope__ = {}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    user_id = fk("ab_user.id", _l("Author"), nullable=False)
    user = relationship("PlatformUser", foreign_keys=[user_id], info={"label": _l("Author")})
    category = code_col(MessageCategory, _l("Category"), default=MessageCategory.OTHER)
    subject = col(String(128), _l("Message subject"), nullable=False)
    contact = col(String(120), _l("Phone or e-mail for the reply"), nullable=False)
    status = code_col(ThreadStatus, _l("Status"), default=ThreadStatus.PENDING)
    # H2: who of support handles it, when support first answered, when it was resolved
    assignee_id = fk("ab_user.id", _l("Handled by"))
    assignee = relationship("PlatformUser", foreign_keys=[assignee_id], info={"label": _l("Handled by")})
    first_response_at = col(DateTime, _l("First response at"))
    resolved_at = col(DateTime, _l("Resolved at"))
    posts = relationship("MessagePost", back_populates="thread", order_by="MessagePost.id",
                         cascade="all, delete-orphan", info={"label": _l("Messages")})

    def __repr__(self):
        return self.subject


class MessagePost(TimestampMixin, Model):
    __tablename__ = "message_post"
    __scope__ = {}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    thread_id = fk("message_thread.id", _l("Thread"), nullable=False, ondelete="CASCADE")
    thread = relationship("MessageThread", back_populates="posts", info={"label": _l("Thread")})
    author_id = fk("ab_user.id", _l("Author"), nullable=False)
    author = relationship("PlatformUser", info={"label": _l("Author")})
    body = col(Text, _l("Content"), nullable=False)
    from_staff = col(Boolean, _l("Support reply"), default=False, nullable=False)


class Notification(TimestampMixin, Model):
    """H3: in-app notification with a link to the object."""
    __tablename__ = "notification"
    id = mapped_column(Integer, primary_key=True)
    user_id = fk("ab_user.id", _l("Recipient"), nullable=False)
    user = relationship("PlatformUser", info={"label": _l("Recipient")})
    title = col(String(255), _l("Title"), nullable=False)
    body = col(Text, _l("Content"))
    link = col(String(255), _l("Link"))
    read_at = col(DateTime, _l("Read at"))
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)


class Announcement(TimestampMixin, Model):
    """H5: an announcement (公告).  ``published`` means the association released it; it shows from
    ``publish_at`` until ``withdraw_at`` (a withdrawal sets ``withdraw_at`` to its moment), to the users of
    its ``target`` (app/services/announcements.py, ``visible_to``)."""
    __tablename__ = "announcement"
    id = mapped_column(Integer, primary_key=True)
    title = col(String(255), _l("Title"), nullable=False, index=True)
    category = code_col(AnnouncementCategory, _l("Category"), default=AnnouncementCategory.NOTICE,
                        server_default=AnnouncementCategory.NOTICE.value)
    target = code_col(AnnouncementTarget, _l("Audience"), default=AnnouncementTarget.EVERYONE,
                      server_default=AnnouncementTarget.EVERYONE.value)
    exam_plan_id = fk("exam_plan.id", _l("Exam"))
    exam_plan = relationship("ExamPlan", info={"label": _l("Exam")})
    body = col(Text, _l("Content"), nullable=False)
    attachment_id = fk("attachment.id", _l("Attachment"))
    attachment = relationship("Attachment", info={"label": _l("Attachment")})
    pinned = col(Boolean, _l("Pinned"), default=False, nullable=False, server_default=false())
    publish_at = col(DateTime, _l("Visible from"), default=now, nullable=False, index=True)
    withdraw_at = col(DateTime, _l("Visible until"))
    published = col(Boolean, _l("Published"), default=False, nullable=False)
    published_at = col(DateTime, _l("Published at"))

    def __repr__(self):
        return self.title


class Delivery(TimestampMixin, Model):
    """H3/H4: an e-mail or SMS handed to a delivery backend."""
    __tablename__ = "delivery"
    id = mapped_column(Integer, primary_key=True)
    channel = code_col(Channel, _l("Channel"))
    recipient = col(String(120), _l("Recipient"), nullable=False)
    subject = col(String(255), _l("Message subject"))
    body = col(Text, _l("Content"), nullable=False)
    status = code_col(DeliveryStatus, _l("Status"), default=DeliveryStatus.QUEUED)
    sent_at = col(DateTime, _l("Sent at"))
    error = col(Text, _l("Error"))
