"""Application factory: Flask, SQLAlchemy, CSRFProtect, AppBuilder (which
creates Babel), Celery, blueprints.  Imports happen inside create_app() so
that models and services can import small helpers from ``app`` freely."""
import logging
import os

from flask import Flask

log = logging.getLogger(__name__)


class ConfigError(RuntimeError):
    pass


def check_production_config(config):
    """Production refuses to start with development secrets."""
    if config.get("APP_ENV") != "production":
        return
    import config as defaults

    if config.get("SECRET_KEY") in (None, "", defaults.DEFAULT_SECRET_KEY):
        raise ConfigError("SECRET_KEY must be set in production")
    for name in ("ID_NUMBER_ENC_KEY", "ID_NUMBER_HMAC_KEY"):
        if not config.get(name):
            raise ConfigError(f"{name} must be set in production")
    if "sandbox" in (config.get("PAYMENT_GATEWAY") or ""):
        raise ConfigError("The sandbox payment gateway accepts payments without money: not in production")


def create_app(overrides=None):
    from flask_appbuilder import AppBuilder

    from app.extensions import csrf, db, migrate
    from models import metadata

    app = Flask(__name__, instance_path=os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "instance")))
    app.config.from_object("config")
    if overrides:
        app.config.update(overrides)
    check_production_config(app.config)
    os.makedirs(app.config["UPLOAD_DIR"], exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(os.path.dirname(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]) or ".", exist_ok=True)

    db.init_app(app)
    # CSRF before AppBuilder, so that FAB exempts its API blueprints (JWT auth)
    csrf.init_app(app)
    migrate.init_app(app, db, metadata=metadata, render_as_batch=True, compare_type=True)

    from app import audit, celery_app, hardening, page_cache

    celery_app.init_celery(app)
    with app.app_context():
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        from views import register_views

        register_views(appbuilder)
        hardening.init_app(app)
        page_cache.init_app(app)
        from app.ui import select_locale

        app.extensions["babel"].locale_selector = select_locale
        audit.init_app(app)
        from app.cli import register_cli

        register_cli(app)
        if app.config.get("SYNC_ROLES_AT_START", True):
            from app.roles import sync_roles_if_migrated

            sync_roles_if_migrated(appbuilder)
    if app.config.get("INPROCESS_BEAT") and not app.config.get("REDIS_URL"):
        from app import beat

        beat.start(app)
    return app
