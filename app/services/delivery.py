"""Pluggable e-mail/SMS backends.  A backend has ``send(channel, recipient,
subject, body)``; the class is named by EMAIL_BACKEND / SMS_BACKEND."""
import importlib
import logging

from flask import current_app

log = logging.getLogger("delivery")


class ConsoleBackend:
    """Default: writes the message to the log (and so to the console)."""

    def send(self, channel, recipient, subject, body):
        log.warning("[%s] to=%s subject=%s\n%s", channel, recipient, subject or "", body)


def backend_for(channel):
    path = current_app.config["EMAIL_BACKEND" if channel == "email" else "SMS_BACKEND"]
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)()
