"""P1 (issue 16): the back-office lists at scale keep their answers — the search box (ID number by the blind index,
phone, pinyin and name prefixes, a list's own numbers), the count (exact, or estimated and shown as such), deep
pages read by key, the filters' remote pickers, the cached menu — with the institution's row scope, and at most
8 SQL statements a page whatever the page size.  On SQLite and on PostgreSQL (CI runs both)."""
import re

import pytest
from sqlalchemy import event, select

from app.extensions import db
from models import Certificate, Institution, Order, Person, PlatformUser, Registration

LISTS = ["/personview/list/", "/registrationview/list/", "/orderview/list/", "/matterview/list/",
         "/certificateview/list/"]
NAMES = ["亓官测甲", "亓官测乙", "亓官试丙"]  # a family name of their own: prefixes find exactly these


def own_institution():
    """The demo institution user's institution (inside an app context)."""
    return db.session.query(PlatformUser).filter_by(username="institution").one().institution_id


def shown(page, view):
    """The row ids a list page shows, in order (its show buttons)."""
    return [int(pk) for pk in re.findall(rf'href="/{view}/show/(\d+)', page.text)]


@pytest.fixture(scope="module")
def people(app):
    """Three persons of the demo institution and one of another, with phones, pinyin and ID numbers."""
    from tests.portal_helpers import new_id_number, new_phone

    with app.app_context():
        own = own_institution()
        other = db.session.query(Institution.id).filter(Institution.id != own).order_by(Institution.id).first()[0]
        made = []
        pinyins = ["Qiguan Ceja", "Qiguan Ceyi", "Qiguan Shibing", "Qiguan Waiji"]
        for i, (name, pinyin) in enumerate(zip(NAMES + ["亓官外机"], pinyins, strict=True)):
            person = Person(name=name, pinyin=pinyin, phone=new_phone(), source="school",
                            institution_id=own if i < 3 else other)
            number = new_id_number()
            person.set_id_number(number)
            db.session.add(person)
            db.session.flush()
            made.append({"id": person.id, "phone": person.phone, "number": number, "name": name})
        db.session.commit()
    yield made
    with app.app_context():
        db.session.query(Person).filter(Person.id.in_([p["id"] for p in made])).delete()
        db.session.commit()


@pytest.mark.parametrize("typed, expected", [
    ("亓官测", [0, 1]),           # name prefix
    ("亓官", [0, 1, 2, 3]),
    ("qiguance", [0, 1]),         # pinyin prefix, spaces and case ignored
    ("Qiguan Shi", [2]),
    ("qiguan%", []),              # a LIKE wildcard typed is a character, not "anything"
])
def test_search_box_by_name_and_pinyin(login, people, typed, expected):
    """P1: 姓名 and 拼音 prefixes find exactly the persons whose name or pinyin begins so."""
    page = login("association").get("/personview/list/", query_string={"keyword": typed})
    assert page.status_code == 200
    assert sorted(shown(page, "personview")) == sorted(people[i]["id"] for i in expected)


def test_search_box_by_phone_and_id_number(login, people):
    """P1: a phone number (or its beginning) and a whole ID number (the blind index: nothing is decrypted)."""
    association = login("association")
    for typed in (people[1]["phone"], people[1]["number"], people[1]["number"].lower()):
        page = association.get("/personview/list/", query_string={"keyword": typed})
        assert shown(page, "personview") == [people[1]["id"]], typed
    page = association.get("/personview/list/", query_string={"keyword": people[1]["phone"][:8]})
    assert people[1]["id"] in shown(page, "personview")
    assert shown(association.get("/personview/list/", query_string={"keyword": "110105190001010000"}),
                 "personview") == []


def test_search_box_keeps_the_institution_scope(app, login, people):
    """P1: an institution finds its own persons by the search box, never another's, by name or ID number."""
    institution = login("institution")
    page = institution.get("/personview/list/", query_string={"keyword": "亓官"})
    assert sorted(shown(page, "personview")) == sorted(p["id"] for p in people[:3])
    page = institution.get("/personview/list/", query_string={"keyword": people[3]["number"]})
    assert shown(page, "personview") == []
    # the export takes the same search and the same scope
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(institution.get("/personview/export/", query_string={"keyword": "亓官"}).data))
    names = sorted(row[0] for row in book.active.iter_rows(min_row=2, values_only=True))
    assert names == sorted(NAMES)


def test_search_box_on_registrations_orders_and_certificates(app, login):
    """P1: the other lists find a person's rows by the person's name, pinyin or ID number, and their own rows
    by their own number (网报号, 订单号, 证书编号, 业务编号)."""
    with app.app_context():
        candidate = db.session.query(Person).join(PlatformUser, Person.user_id == PlatformUser.id).filter(
            PlatformUser.username == "candidate").one()
        number, name, person_id = candidate.full_id_number(), candidate.name, candidate.id
        registrations = db.session.scalars(select(Registration.id).where(Registration.person_id == person_id)).all()
        orders = db.session.scalars(select(Order.id).where(Order.person_id == person_id)).all()
        certificates = db.session.scalars(select(Certificate.id).where(Certificate.person_id == person_id)).all()
        net_no = db.session.scalars(select(Registration.net_no).where(Registration.net_no.isnot(None))).first()
        net_no_id = db.session.scalars(select(Registration.id).where(Registration.net_no == net_no)).one()
        order = db.session.execute(select(Order.id, Order.order_no)).first()
    assert registrations and orders and certificates
    association = login("association")
    for view, expected in (("registrationview", registrations), ("orderview", orders),
                           ("certificateview", certificates)):
        for typed in (number, name):
            page = association.get(f"/{view}/list/", query_string={"keyword": typed, f"psize_{view}": 100})
            found = shown(page, view)
            assert set(expected) <= set(found), (view, typed)
            with app.app_context():  # every row found is of a person so named (the name is a prefix search)
                model = {"registrationview": Registration, "orderview": Order, "certificateview": Certificate}[view]
                persons = db.session.scalars(select(model.person_id).where(model.id.in_(found))).all()
                names = db.session.scalars(select(Person.name).where(Person.id.in_(persons))).all()
            assert all(n.startswith(name) for n in names)
    assert shown(association.get("/registrationview/list/", query_string={"keyword": net_no}),
                 "registrationview") == [net_no_id]
    assert shown(association.get("/orderview/list/", query_string={"keyword": order.order_no}),
                 "orderview") == [order.id]


def test_counts_exact_or_estimated_and_shown_as_such(app, login):
    """P1: up to LIST_EXACT_COUNT rows the count is exact; beyond it PostgreSQL's estimate reads 约 (about),
    SQLite counts exactly; the page's rows are the same either way."""
    association = login("association")
    with app.app_context():
        total = db.session.query(Person).count()
    exact = association.get("/personview/list/")
    assert re.search(rf"记录数:</strong>\s*{total:,}\s*<", exact.text)
    app.config["LIST_EXACT_COUNT"] = 2
    try:
        bounded = association.get("/personview/list/")
    finally:
        app.config["LIST_EXACT_COUNT"] = 10000
    count = re.search(r"记录数:</strong>\s*([^<]+?)\s*<", bounded.text).group(1)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert count.startswith("约 ")
    else:
        assert count == f"{total:,}"
    assert shown(bounded, "personview") == shown(exact, "personview")


def test_page_and_count_in_one_statement_at_the_edges(app, login, people):
    """P1: the page and its count read together keep their answers: no match (0 and no rows), a page past the
    end (the count, no rows), the last partial page, and a jumped-to page while the count is bounded."""
    association = login("association")

    def count_of(page):
        return re.search(r"记录数:</strong>\s*([^<]+?)\s*<", page.text).group(1)

    nothing = association.get("/personview/list/?keyword=亓官无此人")
    assert nothing.status_code == 200 and shown(nothing, "personview") == [] and count_of(nothing) == "0"
    ours = sorted((p["id"] for p in people[:2]), reverse=True)  # 亓官测甲, 亓官测乙
    last = association.get("/personview/list/?keyword=亓官测&psize_PersonView=1&page_PersonView=1")
    assert shown(last, "personview") == ours[1:2] and count_of(last) == "2"
    past = association.get("/personview/list/?keyword=亓官测&psize_PersonView=1&page_PersonView=5")
    assert shown(past, "personview") == [] and count_of(past) == "2"
    with app.app_context():
        third = db.session.scalars(select(Person.id).order_by(Person.id.desc()).offset(6).limit(3)).all()
    app.config["LIST_EXACT_COUNT"] = 4  # the page starts beyond the rows counted exactly: the long way
    try:
        deep = association.get("/personview/list/?psize_PersonView=3&page_PersonView=2")
    finally:
        app.config["LIST_EXACT_COUNT"] = 10000
    assert shown(deep, "personview") == third


def test_deep_pages_are_the_pages_offset_would_give(app, login, people):
    """P1: a later page read by key holds the rows OFFSET would give, in every order, within the scope."""
    association = login("association")
    with app.app_context():
        by_id = db.session.scalars(select(Person.id).order_by(Person.id.desc()).offset(10).limit(5)).all()
        by_name = db.session.scalars(select(Person.id).order_by(Person.name.asc(), Person.id.asc())
                                     .offset(5).limit(5)).all()
        own = own_institution()
        own_rows = db.session.scalars(select(Person.id).where(Person.institution_id == own)
                                      .order_by(Person.id.desc()).limit(4)).all()
    page = association.get("/personview/list/?psize_PersonView=5&page_PersonView=2")
    assert shown(page, "personview") == by_id
    page = association.get("/personview/list/?psize_PersonView=5&page_PersonView=1&_oc_PersonView=name"
                           "&_od_PersonView=asc")
    assert shown(page, "personview") == by_name
    institution = login("institution")
    first = shown(institution.get("/personview/list/?psize_PersonView=2"), "personview")
    second = shown(institution.get("/personview/list/?psize_PersonView=2&page_PersonView=1"), "personview")
    assert first + second == own_rows[:len(first + second)] and len(first + second) == len(own_rows[:4])


def test_next_and_previous_pages_by_keyset(app, login, people):
    """P1: the next (previous) page's link carries the last (first) key of the page shown and that page is read
    from there (keyset): the same rows as OFFSET on a list that did not change, for an institution too."""
    with app.app_context():
        ids = db.session.scalars(select(Person.id).order_by(Person.id.desc()).limit(15)).all()
        own = own_institution()
        own_ids = db.session.scalars(select(Person.id).where(Person.institution_id == own)
                                     .order_by(Person.id.desc()).limit(6)).all()
    association = login("association")
    first = association.get("/personview/list/?psize_PersonView=5")
    next_link = re.search(r'href="([^"]*page_PersonView=1[^"]*)"', first.text).group(1).replace("&amp;", "&")
    assert f"after_PersonView={ids[4]}" in next_link
    second = association.get(next_link)
    assert shown(second, "personview") == ids[5:10]
    third = association.get(re.search(r'href="([^"]*page_PersonView=2[^"]*)"', second.text).group(1)
                            .replace("&amp;", "&"))
    assert shown(third, "personview") == ids[10:15]
    back = re.search(r'href="([^"]*page_PersonView=1[^"]*)"', third.text).group(1).replace("&amp;", "&")
    assert f"before_PersonView={ids[10]}" in back
    assert shown(association.get(back), "personview") == ids[5:10]
    # within the institution's scope
    institution = login("institution")
    page = institution.get(f"/personview/list/?psize_PersonView=3&page_PersonView=1&after_PersonView={own_ids[2]}")
    assert shown(page, "personview") == own_ids[3:6]
    # a key of another institution's row does not widen the scope
    page = institution.get(f"/personview/list/?psize_PersonView=3&page_PersonView=1&after_PersonView={ids[0] + 1}")
    assert shown(page, "personview") == own_ids[:3]
    assert association.get("/personview/list/?page_PersonView=1&after_PersonView=abc").status_code == 200


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("size", [20, 100])
def test_at_most_eight_statements_a_page(app, login, url, size):
    """P1: whatever the page size, a list page runs at most 8 SQL statements (no per-row look-ups)."""
    view = url.split("/")[1]
    name = {"personview": "PersonView", "registrationview": "RegistrationView", "orderview": "OrderView",
            "matterview": "MatterView", "certificateview": "CertificateView"}[view]
    association = login("association")
    association.get(url)
    count = []
    with app.app_context():
        engine = db.engine

    def counter(*_args):
        count.append(1)

    event.listen(engine, "before_cursor_execute", counter)
    try:
        page = association.get(url, query_string={f"psize_{name}": size})
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    assert page.status_code == 200 and shown(page, view)
    assert len(count) <= 8, len(count)


def test_filter_pickers_ask_the_server_within_the_scope(app, login):
    """P1: a list's relation filter is an empty select the page fills from <View>/pick as the user types: an
    institution user picks only its own institution; a user without the list gets none; an active filter
    shows its row's name."""
    with app.app_context():
        own = own_institution()
        institutions = db.session.query(Institution).count()
        own_name = db.session.get(Institution, own).name
    association = login("association")
    page = association.get("/personview/list/")
    # the filter's select (in FAB's filter widget, a JSON string) comes empty: no institution is in the page
    assert '\\"platform-remote-select form-control\\" name=\\"institution\\" ' \
           'data-endpoint=\\"/personview/pick/institution\\"\\u003e\\u003c/select\\u003e' in page.text
    picked = association.get("/personview/pick/institution").get_json()
    assert len(picked["results"]) == min(institutions, 20) and picked["more"] == (institutions > 20)
    found = association.get("/personview/pick/institution", query_string={"term": own_name}).get_json()
    assert {"id": own, "text": own_name} in found["results"]
    assert association.get("/personview/pick/nothing").status_code == 404
    filtered = association.get(f"/personview/list/?_flt_0_institution={own}")
    assert f'\\u003coption value=\\"{own}\\" selected\\u003e' in filtered.text
    mine = login("institution").get("/personview/pick/institution").get_json()
    assert mine["results"] == [{"id": own, "text": own_name}]
    assert login("candidate").get("/personview/pick/institution").status_code in (302, 403)


def test_the_menu_follows_the_permissions(app, login):
    """P1: the menu is rendered once per language and set of permissions: each role sees its own."""
    association, support = login("association").get("/").text, login("support").get("/").text
    assert 'href="/certificate-issue/"' in association and 'href="/certificate-issue/"' not in support
    assert 'href="/supportqueue/"' in support
    english = login("association")
    english.get("/lang/en")
    assert "Candidates and personnel" in english.get("/").text
