"""消息: message threads, announcements, deliveries."""
from flask_babel import lazy_gettext as _l

from models import Announcement, Delivery, MessagePost, MessageThread
from views.base import model_view

CATEGORY = ("Messages", _l("Messages"))

MessageThreadView = model_view(MessageThread, list_columns=["subject", "category", "user", "status", "created_at",
                                                            "updated_at"],
                               search_columns=["subject", "category", "status", "created_at"])
MessagePostView = model_view(MessagePost, list_columns=["thread", "author", "from_staff", "created_at"],
                             search_columns=["from_staff", "created_at"])
AnnouncementView = model_view(Announcement, list_columns=["title", "published", "published_at"],
                              search_columns=["title", "published"], scope=None)
DeliveryView = model_view(Delivery, list_columns=["channel", "recipient", "subject", "status", "sent_at"],
                          search_columns=["channel", "recipient", "status"],
                          base_permissions=["can_list", "can_show", "can_export"], scope=None)

MENU = [
    (MessageThreadView, _l("Message threads")),
    (MessagePostView, _l("Message posts")),
    (AnnouncementView, _l("Announcements")),
    (DeliveryView, _l("E-mail and SMS deliveries")),
]
APIS = []
