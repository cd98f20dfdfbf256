"""Every generated back-office view renders for the roles that may open it (SPEC I1)."""
import pytest

from views import AREAS

LIST_URLS = [f"/{view.__name__.lower()}/list/" for area in AREAS for view, _ in area.MENU
             if hasattr(view, "datamodel")]


@pytest.fixture(scope="module")
def admin(app):
    from tests.conftest import Client

    c = Client(app)
    assert c.login("admin").status_code == 302
    return c


@pytest.mark.parametrize("url", LIST_URLS)
def test_every_list_and_add_page_renders_in_chinese(admin, url):
    page = admin.get(url)
    assert page.status_code == 200, url
    assert "搜索" in page.text or "记录" in page.text  # FAB's own strings translated
    add = admin.get(url.replace("/list/", "/add"))
    assert add.status_code in (200, 302, 403, 404)  # views without can_add answer without an error


def test_show_pages_render(admin, app):
    from app.extensions import db
    from models import Matter, Person

    with app.app_context():
        person_id = db.session.query(Person.id).first()[0]
        matter_id = db.session.query(Matter.id).first()[0]
    assert admin.get(f"/personview/show/{person_id}").status_code == 200
    page = admin.get(f"/matterview/show/{matter_id}")
    assert page.status_code == 200 and "业务号" in page.text
