"""I1 角色权限: the Admin switches a role's permissions on and off on screen, within app/roles.py (the
ceiling): only what the role may ever hold is offered, the Admin role is not offered (nobody locks the
platform's administrator out), and the choice is kept across restarts (``RolePermissionOff``)."""
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.roles import ADMIN, ROLE_PERMISSIONS, apply_role, ceiling, role_label, switched_off
from models import RolePermissionOff

PERMISSION_LABELS = {"can_list": _l("List"), "can_show": _l("Details"), "can_add": _l("Add"),
                     "can_edit": _l("Edit"), "can_delete": _l("Delete"), "can_export": _l("Export"),
                     "menu_access": _l("Menu"), "can_get": _l("Read (API)"), "can_info": _l("Schema (API)"),
                     "can_post": _l("Create (API)"), "can_put": _l("Update (API)"),
                     "can_reply": _l("Reply"), "can_handle": _l("Handle")}


class RoleError(ValueError):
    pass


def editable_roles():
    return [(name, role_label(name)) for name in ROLE_PERMISSIONS if name != ADMIN]


def _role(name):
    if name not in ROLE_PERMISSIONS or name == ADMIN:
        raise RoleError(_("This role cannot be changed on screen."))
    return current_app.appbuilder.sm.find_role(name)


def _pvms():
    sm = current_app.appbuilder.sm
    return db.session.query(sm.permissionview_model).all()


def _view_labels():
    labels = {}
    for item in current_app.appbuilder.menu.get_list():
        labels.setdefault(item.name, str(item.label))  # a menu group's own entry (menu_access)
        for child in item.childs or [item]:
            labels.setdefault(f"{child.name}View", str(child.label))
            labels.setdefault(child.name, str(child.label))
    return labels


def grid(role_name):
    """[(page label, page name, [(permission-view id, permission label, on)])] of the role's ceiling."""
    role, off = _role(role_name), switched_off(db.session)
    labels, pages = _view_labels(), {}
    for pvm in ceiling(role.name, _pvms()):
        view, perm = pvm.view_menu.name, pvm.permission.name
        pages.setdefault(view, []).append((pvm.id, str(PERMISSION_LABELS.get(perm, perm)),
                                           (role.name, view, perm) not in off))
    return sorted(((labels.get(view, view), view, perms) for view, perms in pages.items()),
                  key=lambda row: (row[0] == row[1], row[0]))


def save(role_name, checked_ids, user):
    """Switch off every ceiling permission not checked, on every checked one; returns (off, on) counts."""
    role = _role(role_name)
    allowed = {pvm.id: pvm for pvm in ceiling(role.name, _pvms())}
    checked = set()
    for raw in checked_ids:
        if not str(raw).isdigit() or int(raw) not in allowed:
            raise RoleError(_("A permission outside what app/roles.py allows this role was chosen."))
        checked.add(int(raw))
    rows = {(r.view_name, r.permission_name): r
            for r in db.session.query(RolePermissionOff).filter_by(role_name=role.name)}
    try:
        for pid, pvm in allowed.items():
            key = (pvm.view_menu.name, pvm.permission.name)
            if pid in checked and key in rows:
                db.session.delete(rows[key])
            elif pid not in checked and key not in rows:
                db.session.add(RolePermissionOff(role_name=role.name, view_name=key[0], permission_name=key[1],
                                                 changed_by_id=user.id))
        db.session.flush()
        apply_role(role, list(allowed.values()), switched_off(db.session))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(allowed) - len(checked), len(checked)
