"""Delivery backends of the tests' own (imported by dotted path from the config)."""


class RecordingBackend:
    """A delivery backend of the tests' own: proves the backends are pluggable."""
    sent = []

    def send(self, channel, recipient, subject, body):
        RecordingBackend.sent.append((channel, recipient, body))


class FailingBackend:
    def send(self, channel, recipient, subject, body):
        raise RuntimeError("gateway down")
