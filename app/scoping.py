"""Row scope: one rule for which rows a user may reach.

Association-side roles (SEE_ALL_ROLES) see every row.  An Institution user
sees the rows whose institution is theirs; an Expert or Teacher the rows
assigned to them.  Anyone else sees nothing.  Views, actions, the REST API,
relationship pickers, exports and file downloads all go through here.
"""
from flask import g
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import false, or_

from app.roles import INSTITUTION, SEE_ALL_ROLES


def role_names(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {r.name for r in user.roles}


def sees_all(user):
    return bool(role_names(user) & SEE_ALL_ROLES)


def reaches(user, row):
    """Whether ``user`` reaches a row with an ``institution_id``: the Association every one, an institution
    user its own (the views answer 404 otherwise)."""
    return sees_all(user) or (user.institution_id is not None and row.institution_id == user.institution_id)


def _path_clause(model, path, value):
    """'site.institution_id' -> Model.site.has(institution_id=value)."""
    head, _, rest = path.partition(".")
    attr = getattr(model, head)
    if not rest:
        return attr == value
    target = attr.property.mapper.class_
    return attr.has(_path_clause(target, rest, value))


def scope_clause(model, scope, user):
    """SQL clause limiting ``model`` to what ``user`` may reach, or None for all.

    ``scope`` maps a role to a dotted path: {"Institution": "institution_id",
    "Expert": "assignee_id"}, or to a tuple of paths (any of them).  Institution
    paths compare with the user's institution, the others with the user's id.
    """
    if sees_all(user):
        return None
    names = role_names(user)
    clauses = []
    for role, path in scope.items():
        if role not in names:
            continue
        value = user.institution_id if role == INSTITUTION else user.id
        if value is None:
            continue
        for one in (path if isinstance(path, tuple) else (path,)):
            clauses.append(_path_clause(model, one, value))
    return or_(*clauses) if clauses else false()


DEFAULT_SCOPE = {INSTITUTION: "institution_id"}


class ScopeFilter(BaseFilter):
    """FAB base filter applying scope_clause; ``value`` is the scope mapping."""
    name = "scope"

    def apply(self, query, value):
        clause = scope_clause(self.model, value, getattr(g, "user", None))
        return query if clause is None else query.filter(clause)
