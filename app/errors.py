"""One shape for a refused input: the field it names and the translated message the page shows beside it."""


class FieldError(ValueError):
    """A refused input: ``field`` names the form field or filter, ``str()`` is the translated message."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
