"""I1: a permission the Admin switched off for a role on screen.  app/roles.py is the ceiling — what a role may
ever have; these rows take permissions away from it (and deleting a row gives one back), so a role never
holds more than app/roles.py allows and a restart keeps the Admin's choice."""
from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import mapped_column

from models.base import Model, _l, col, fk, now


class RolePermissionOff(Model):
    __tablename__ = "role_permission_off"
    id = mapped_column(Integer, primary_key=True)
    role_name = col(String(64), _l("Role"), nullable=False)
    view_name = col(String(255), _l("Screen"), nullable=False)
    permission_name = col(String(100), _l("Permission"), nullable=False)
    changed_by_id = fk("ab_user.id", _l("Changed by"))
    changed_at = col(DateTime, _l("Changed at"), default=now, nullable=False)
    __table_args__ = (UniqueConstraint("role_name", "view_name", "permission_name", name="uq_role_permission_off"),)


class PermissionStamp(Model):
    """P1: one row whose number goes up with every change to roles and their permissions (app/security.py),
    read with the user on every request: each server process keeps the permission sets it has computed
    while the number stays the same."""
    __tablename__ = "permission_stamp"
    id = mapped_column(Integer, primary_key=True)
    version = mapped_column(Integer, nullable=False, default=0)
