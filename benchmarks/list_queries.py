"""SQL statements per back-office page, with the platform's permission cache and
eager list loading, against FAB's defaults (baseline: one permission query per
menu entry, one lazy load per relationship cell).

    make bench   (or: PYTHONPATH=. .venv/bin/python benchmarks/list_queries.py)
"""
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ["INSTANCE_DIR"] = tempfile.mkdtemp(prefix="bench-")

from flask_appbuilder.models.sqla.interface import SQLAInterface  # noqa: E402
from flask_appbuilder.security.sqla.manager import SecurityManager  # noqa: E402
from sqlalchemy import event  # noqa: E402

PAGES = ["/", "/personview/list/", "/registrationview/list/", "/matterview/list/", "/roomview/list/",
         "/orderview/list/"]


def main():
    from app import create_app
    from app.security import PlatformSecurityManager
    from tests.conftest import Client
    from views.base import EagerInterface

    app = create_app()
    with app.app_context():
        from flask_migrate import upgrade

        from app.demo import load_demo
        from app.extensions import db

        upgrade()
        load_demo()
        engine = db.engine
    count = {"n": 0}
    event.listen(engine, "before_cursor_execute", lambda *a, **k: count.__setitem__("n", count["n"] + 1))
    client = Client(app)
    client.login("association")

    def measure():
        result = {}
        for url in PAGES:
            client.get(url)  # warm
            count["n"] = 0
            assert client.get(url).status_code == 200, url
            result[url] = count["n"]
        return result

    ours = measure()
    saved = (PlatformSecurityManager._has_view_access, PlatformSecurityManager._get_user_permission_view_menus,
             EagerInterface.apply_all)
    PlatformSecurityManager._has_view_access = SecurityManager._has_view_access
    PlatformSecurityManager._get_user_permission_view_menus = SecurityManager._get_user_permission_view_menus
    EagerInterface.apply_all = SQLAInterface.apply_all
    baseline = measure()
    (PlatformSecurityManager._has_view_access, PlatformSecurityManager._get_user_permission_view_menus,
     EagerInterface.apply_all) = saved
    print(f"{'page':28} {'FAB default':>12} {'platform':>9} {'ratio':>6}")
    for url in PAGES:
        print(f"{url:28} {baseline[url]:>12} {ours[url]:>9} {ours[url] / baseline[url]:>6.2f}")
    total_b, total_o = sum(baseline.values()), sum(ours.values())
    print(f"{'total':28} {total_b:>12} {total_o:>9} {total_o / total_b:>6.2f}")


if __name__ == "__main__":
    main()
