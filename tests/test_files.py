"""Uploaded files are served only through the scoped view (issue 2 §13)."""
import io

from PIL import Image

from app.extensions import db
from app.services import files
from models import Institution, Person, PlatformUser


def _png():
    buf = io.BytesIO()
    Image.new("RGB", (20, 30), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def _stored(app, owner_filter, kind="photo"):
    with app.app_context():
        person = db.session.query(Person).filter(owner_filter).first()
        item = files.store(_png(), "证件照.png", "image/png", kind, person=person)
        db.session.commit()
        return item.id, person.institution_id


def test_scope_of_downloads(app, login, client):
    own = None
    with app.app_context():
        own = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
        candidate_uid = db.session.query(PlatformUser).filter_by(username="candidate").one().id
    mine, _ = _stored(app, Person.institution_id == own)
    theirs, _ = _stored(app, Person.institution_id != own)
    candidates_own, _ = _stored(app, Person.user_id == candidate_uid)

    inst = login("institution")
    r = inst.get(f"/files/{mine}")
    assert r.status_code == 200 and r.data.startswith(b"\x89PNG") and "attachment" in r.headers["Content-Disposition"]
    assert inst.get(f"/files/{theirs}").status_code == 404
    cand = login("candidate")
    assert cand.get(f"/files/{candidates_own}").status_code == 200
    assert cand.get(f"/files/{mine}").status_code == 404
    assert login("association").get(f"/files/{theirs}").status_code == 200
    assert client.get(f"/files/{mine}").status_code == 302  # anonymous: to the login page
    assert inst.get("/files/999999").status_code == 404


def test_no_public_upload_folder(app, client):
    with app.app_context():
        item_id, _ = _stored(app, Institution.id.isnot(None) if False else Person.id.isnot(None))
        from models import Attachment

        key = db.session.get(Attachment, item_id).storage_key
    for url in (f"/static/uploads/{key}", f"/static/{key}", f"/uploads/{key}"):
        assert client.get(url).status_code == 404
