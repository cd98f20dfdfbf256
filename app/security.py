"""The platform's security manager: every authentication rule in one place.

- the user model carries phone, institution and a session version;
- a session cookie is only honoured while its version matches the user's
  (logout and password changes bump it, so a copied cookie dies);
- logins succeed and fail into the audit log;
- the form and the API login share one per-IP limit and one per-account
  failure limit, stored where the limiter stores (Redis when configured).
"""
import time

from flask import current_app, g, has_request_context, redirect, request, session, url_for
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    Role,
    ViewMenu,
    assoc_permissionview_role,
)
from flask_appbuilder.security.views import RoleModelView, UserDBModelView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from limits import parse
from sqlalchemy import event, func, literal, select, update
from sqlalchemy.orm import Session, joinedload

from app.roles import role_label
from models import PermissionStamp, PlatformUser, RolePermissionOff
from models.enums import AuditAction

PAIR_SEP, ROW_SEP = "\x1f", "\x1e"  # between a permission and its view, between pairs: in no name


def _pairs(joined):
    """The permission set's plain tuples (hashed again by the menu) from ``_permissions_of``'s string."""
    return frozenset(tuple(item.split(PAIR_SEP, 1)) for item in (joined or "").split(ROW_SEP) if item)


# P1: the permission sets this process computed, by (permission stamp, role ids): a role's permissions change
# only with the stamp (below), and every request reads the stamp with its user
_PERMISSION_SETS = {}
_PERMISSION_MODELS = (Role, PermissionView, Permission, ViewMenu, RolePermissionOff)
STAMP = select(PermissionStamp.version).where(PermissionStamp.id == 1)


@event.listens_for(Session, "before_flush")
def _stamp_permission_changes(session, _context, _instances):
    """Any role, permission or view written (a role's permissions are a collection of the role): the stamp
    goes up in the same transaction, so every process computes its permission sets again."""
    if any(isinstance(obj, _PERMISSION_MODELS) for group in (session.new, session.dirty, session.deleted)
           for obj in group):
        session.connection().execute(update(PermissionStamp).where(PermissionStamp.id == 1)
                                     .values(version=PermissionStamp.version + 1))


ACCOUNT_FAILURE_LIMIT = parse("10 per 15 minutes")


class PlatformUserView(UserDBModelView):
    list_columns = ["username", "first_name", "last_name", "phone", "institution", "roles", "active"]
    show_columns = ["username", "first_name", "last_name", "email", "phone", "institution", "roles",
                    "active", "login_count", "last_login", "created_on"]
    add_columns = ["username", "first_name", "last_name", "email", "phone", "institution", "roles",
                   "active", "password", "conf_password"]
    edit_columns = ["username", "first_name", "last_name", "email", "phone", "institution", "roles", "active"]
    search_columns = ["username", "first_name", "last_name", "email", "phone", "institution", "active"]
    label_columns = {**UserDBModelView.label_columns, "phone": _l("Mobile phone"), "institution": _l("Institution")}
    formatters_columns = {
        "roles": lambda roles: "、".join(str(role_label(r.name)) for r in roles or []),
        "active": lambda v: _("Yes") if v else _("No"),
    }


class PlatformRoleView(RoleModelView):
    formatters_columns = {"name": lambda name: f"{role_label(name)} ({name})"}


class PlatformSecurityManager(SecurityManager):
    user_model = PlatformUser
    userdbmodelview = PlatformUserView
    rolemodelview = PlatformRoleView

    def create_login_manager(self, app):
        lm = LoginManager(app)
        lm.login_view = "AuthDBView.login"
        lm.login_message = _l("Please log in to access this page.")
        lm.user_loader(self.load_session_user)

        @lm.unauthorized_handler
        def unauthorized():
            # candidates' pages (notifications, their files) lead to the portal's login, staff to the form
            portal = request.path.startswith(("/portal/", "/notifications", "/files/"))
            target = "portal.login" if portal else lm.login_view
            return redirect(url_for(target, next=request.full_path.rstrip("?")))

        return lm

    def create_jwt_manager(self, app):
        jwt_manager = super().create_jwt_manager(app)

        @jwt_manager.additional_claims_loader
        def session_version_claim(identity):
            user = self.get_user_by_id(int(identity))
            return {"sv": user.session_version if user else None}

        return jwt_manager

    def load_user_jwt(self, _jwt_header, jwt_data):
        user = self.load_user(jwt_data["sub"])
        if user is None or jwt_data.get("sv") != user.session_version:
            return None  # issued before a logout or a password change
        g.user = user
        return user

    def get_user_by_id(self, pk):
        """The user with its roles and groups, and the permission stamp, in one SELECT: every request loads it
        (P1: statements and round trips a page)."""
        model = self.user_model
        found = (self.session.query(model, STAMP.scalar_subquery())
                 .options(joinedload(model.roles), joinedload(model.groups))
                 .filter(model.id == pk).one_or_none())  # no LIMIT: no subquery around the joins
        if found is None:
            return None
        user, stamp = found
        if has_request_context():
            g.permission_stamp = stamp
        return user

    def load_session_user(self, pk):
        user = self.load_user(pk)
        if user is None or session.get("_sv") != user.session_version:
            return None
        return user

    def register_views(self):
        super().register_views()
        if self.is_auth_limited:  # FAB limits only the form; the API login too
            api = next(v for v in self.appbuilder.baseviews if isinstance(v, SecurityApi))
            self.limiter.limit(self.auth_rate_limit, methods=["POST"])(api.blueprint)

    # --- permission checks: one query per request instead of one per menu item ----
    @staticmethod
    def _permissions_of(role_ids):
        """The (permission, view) pairs of the roles, as one string: hundreds of rows cost more to read than to
        find (P1)."""
        pair = Permission.name + literal(PAIR_SEP) + ViewMenu.name
        return (select(func.aggregate_strings(pair, ROW_SEP))
                .join(PermissionView, PermissionView.permission_id == Permission.id)
                .join(ViewMenu, PermissionView.view_menu_id == ViewMenu.id)
                .join(assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == PermissionView.id)
                .where(assoc_permissionview_role.c.role_id.in_(role_ids)))

    def _permission_set(self, user):
        """The user's (permission, view) pairs: this request's, else this process's for the same roles and
        permission stamp, else read."""
        cache = g.setdefault("_permission_cache", {})
        if user.id not in cache:
            stamp = g.get("permission_stamp")
            if stamp is None:  # the user was loaded another way
                stamp = self.session.execute(STAMP).scalar()
            role_ids = tuple(sorted({role.id for role in self.get_user_roles(user)}))
            key = (stamp, role_ids)
            found = _PERMISSION_SETS.get(key) if stamp is not None else None
            if found is None:
                found = _pairs(self.session.execute(self._permissions_of(role_ids)).scalar())
                if stamp is not None:
                    if len(_PERMISSION_SETS) > 256:
                        _PERMISSION_SETS.clear()
                    _PERMISSION_SETS[key] = found
            cache[user.id] = found
        return cache[user.id]

    def _has_view_access(self, user, permission_name, view_name):
        return (permission_name, view_name) in self._permission_set(user)

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        if user is None or not getattr(user, "is_authenticated", False):
            return super()._get_user_permission_view_menus(user, permission_name, view_menus_name)
        allowed = self._permission_set(user)
        return {name for name in view_menus_name if (permission_name, name) in allowed}

    # --- login, failures, logout ------------------------------------------------
    def auth_user_db(self, username, password):
        key = (username or "").strip().lower()
        storage = self.limiter.limiter
        if key and not storage.test(ACCOUNT_FAILURE_LIMIT, "login-account", key):
            self._audit_login(AuditAction.LOGIN_FAILED, None, username, reason="account throttled")
            return None
        user = super().auth_user_db(username, password)
        if user is not None and self._portal_only_on_staff_form(user):
            self._audit_login(AuditAction.LOGIN_FAILED, user, username, reason="candidates log in through the portal")
            return None
        if user is None:
            if key:
                storage.hit(ACCOUNT_FAILURE_LIMIT, "login-account", key)
            self._audit_login(AuditAction.LOGIN_FAILED, None, username)
        return user

    @staticmethod
    def _portal_only_on_staff_form(user):
        """Candidates log in through the portal (with its image code), never the staff form."""
        from app.roles import CANDIDATE
        from app.scoping import role_names

        # (the API login stays open to every account: its token reaches nothing for a candidate,
        # and it is throttled per IP and per account like the form)
        return has_request_context() and request.endpoint == "AuthDBView.login" and role_names(user) <= {CANDIDATE}

    def on_user_login(self, user):
        now = int(time.time())
        session["_sv"] = user.session_version
        session["_login_at"] = now
        session["_seen"] = now
        session.permanent = True
        self._audit_login(AuditAction.LOGIN, user, user.username)

    def on_user_logout(self, user):
        end_sessions(user)
        self._audit_login(AuditAction.LOGOUT, user, user.username)
        session.clear()

    def reset_password(self, userid, password):
        super().reset_password(userid, password)
        user = self.get_user_by_id(userid)
        end_sessions(user)
        if has_request_context() and current_user and current_user.is_authenticated and current_user.id == user.id:
            session["_sv"] = user.session_version  # keep the changer's own session

    def _audit_login(self, action, user, username, reason=None):
        from app.audit import record

        record(action, "PlatformUser", user.id if user else None,
               {"username": username, **({"reason": reason} if reason else {})}, actor=user,
               actor_name=username)


def end_sessions(user):
    """Invalidate every cookie session of ``user`` (logout, password change)."""
    user.session_version = (user.session_version or 1) + 1
    current_app.appbuilder.session.commit()
