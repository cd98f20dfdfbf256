"""(issue 6: being written)"""
from views.portal import bp  # noqa: F401
