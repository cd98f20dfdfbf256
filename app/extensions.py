"""Extension singletons.  AppBuilder is created per app in create_app()."""
import sqlite3

from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

db = get_sqla_class()()


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, _record):
    """SQLite enforces foreign keys only when asked, per connection (PostgreSQL always does)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
def dialect_insert(table):
    """INSERT … with ON CONFLICT in the database's own dialect (PostgreSQL, or SQLite at small size)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


csrf = CSRFProtect()
migrate = Migrate()
