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


class HttpSmsBackend:
    """An SMS gateway reached over HTTP: POST {"phone", "text", "sign"} as JSON with a bearer
    token to SMS_HTTP_URL; any answer but 2xx is a failure the delivery records."""

    def send(self, channel, recipient, subject, body):
        import json
        import urllib.request

        config = current_app.config
        payload = json.dumps({"phone": recipient, "text": body, "sign": config["SMS_HTTP_SIGN"]}).encode()
        request = urllib.request.Request(config["SMS_HTTP_URL"], data=payload, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {config['SMS_HTTP_TOKEN'] or ''}"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (configured URL)
            if not 200 <= response.status < 300:
                raise ConnectionError(f"SMS gateway answered {response.status}")
