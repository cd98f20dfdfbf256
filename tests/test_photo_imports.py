"""D5, D6: batch photo import from a zip (report, GBK names, zip-slip, nested archives,
zip bombs, scope) and the verification states with the pluggable photo check."""
import datetime
import io
import os
import random
import re
import zipfile

import openpyxl
import pytest
from PIL import Image, ImageDraw

from app.demo import demo_id_number
from app.extensions import db
from models import Attachment, Institution, Job, Person, PlatformUser
from models.enums import VerifyState
from tests.conftest import wait_for_job

W, H = 295, 413
RED = (200, 20, 30)
# a real face on the default red background (see tests/data/README.md); the portrait sits in FACE_BOX
FACE = os.path.join(os.path.dirname(__file__), "data", "face_red.jpg")
FACE_BOX = (30, 106, 265, 413)


def face_photo(background=RED):
    """The real face photo, on another background colour if asked."""
    with Image.open(FACE) as face:
        image = Image.new("RGB", face.size, background)
        image.paste(face.crop(FACE_BOX), FACE_BOX[:2])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def photo(size=(W, H), background=RED, fmt="JPEG"):
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w * 0.3, h * 0.25, w * 0.7, h * 0.65), fill=(235, 200, 170))  # a head, no real face
    draw.rectangle((w * 0.2, h * 0.7, w * 0.8, h), fill=(30, 30, 60))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


class GbkInfo(zipfile.ZipInfo):
    """A member written as Chinese Windows writes it: GBK name bytes, no UTF-8 flag."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def make_zip(entries):
    """entries: [(name, bytes)] or [(ZipInfo, bytes)]."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            if isinstance(name, zipfile.ZipInfo):
                name.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(name, data)
    return out.getvalue()


def zip_bomb(name, megabytes=200):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open(name, "w", force_zip64=True) as fh:
            block = b"\0" * (1024 * 1024)
            for _ in range(megabytes):
                fh.write(block)
    return out.getvalue()


@pytest.fixture
def people(app):
    """Fresh people: four of the institution user's college, one of another institution."""
    with app.app_context():
        user = db.session.query(PlatformUser).filter_by(username="institution").one()
        own = user.institution_id
        other = db.session.query(Institution).filter(Institution.id != own).order_by(Institution.id).first().id
        made = []
        for n, inst in enumerate([own, own, own, own, other]):
            number = demo_id_number("110105", datetime.date(1996, 1 + n, 1 + random.randint(0, 27)),
                                    random.randint(400, 999))
            while db.session.query(Person).filter_by(id_number_masked=number[:6] + "*" * 8 + number[-4:]).first():
                number = demo_id_number("110105", datetime.date(1996, 1 + n, 2), random.randint(400, 999))
            person = Person(name=f"照片测试{n}", institution_id=inst, source="school", id_type="resident")
            person.set_id_number(number)
            db.session.add(person)
            db.session.flush()
            made.append((person.id, number))
        db.session.commit()
    yield {"own": made[:4], "other": made[4], "own_institution": own}
    with app.app_context():
        ids = [pid for pid, _n in made]
        db.session.query(Person).filter(Person.id.in_(ids)).update({"photo_id": None}, synchronize_session=False)
        db.session.query(Attachment).filter(Attachment.person_id.in_(ids)).delete(synchronize_session=False)
        db.session.query(Person).filter(Person.id.in_(ids)).delete(synchronize_session=False)
        db.session.commit()


def state(app, person_id):
    with app.app_context():
        person = db.session.get(Person, person_id)
        return person.verify_state, person.photo_id


def stored_photos(app, ids):
    with app.app_context():
        return db.session.query(Attachment).filter(Attachment.person_id.in_(ids), Attachment.kind == "photo").count()


def upload(client, data, **form):
    response = client.post("/photoimport/upload", {"archive": (io.BytesIO(data), "photos.zip"), **form},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.text[:500]
    job_id = int(re.search(r"/photoimport/report/(\d+)", response.headers["Location"]).group(1))
    wait_for_job(client, job_id)
    page = client.get(f"/photoimport/report/{job_id}")
    assert page.status_code == 200
    with client.app.app_context():
        job = db.session.get(Job, job_id)
        return job.status, job.result or {}, job.error, page.text


# --- reading archives ---------------------------------------------------------------------------
def test_gbk_member_names_read_correctly(ctx):
    from app.services.photo_import import read_archive

    data = make_zip([(GbkInfo("照片/张三.jpg"), photo()), (GbkInfo("学生照片说明.txt"), b"x"),
                     ("110105199601010011.png", photo(fmt="PNG"))])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert not any(i.flag_bits & 0x800 for i in zf.infolist())  # really written without the flag
        assert zf.infolist()[0].filename != "照片/张三.jpg"  # zipfile alone garbles it
    members = read_archive(io.BytesIO(data), 5 * 1024 * 1024)
    assert [m[0] for m in members] == ["照片/张三.jpg", "学生照片说明.txt", "110105199601010011.png"]
    assert members[0][1] is not None and members[1][2]  # the text file is refused with a reason


@pytest.mark.parametrize("entries, code", [
    ([("../../etc/110105199601010011.jpg", b"x")], "unsafe_path"),
    ([("/tmp/110105199601010011.jpg", b"x")], "unsafe_path"),
    ([("..\\110105199601010011.jpg", b"x")], "unsafe_path"),
    ([("C:/photos/110105199601010011.jpg", b"x")], "unsafe_path"),
    ([("more.zip", b"PK\x03\x04rest")], "nested"),
    ([("more.rar", b"Rar!\x1a\x07\x00")], "nested"),
    ([("more.7z", b"7z\xbc\xaf\x27\x1c")], "nested"),
    ([("110105199601010011.jpg", make_zip([("a.jpg", b"x")]))], "nested"),  # an archive named .jpg
])
def test_dangerous_archives_refused(ctx, entries, code):
    from app.services.photo_import import ArchiveError, read_archive

    with pytest.raises(ArchiveError) as caught:
        read_archive(io.BytesIO(make_zip(entries)), 5 * 1024 * 1024)
    assert caught.value.code == code
    assert str(caught.value)


def test_zip_bomb_and_too_many_files_refused(app, ctx):
    from app.services.photo_import import ArchiveError, read_archive

    bomb = zip_bomb("110105199601010011.jpg")
    assert len(bomb) < 1024 * 1024
    with pytest.raises(ArchiveError) as caught:
        read_archive(io.BytesIO(bomb), 5 * 1024 * 1024)
    assert caught.value.code == "bomb"
    app.config["PHOTO_IMPORT_MAX_FILES"] = 3
    try:
        with pytest.raises(ArchiveError) as caught:
            read_archive(io.BytesIO(make_zip([(f"{n}.jpg", b"x") for n in range(4)])), 5 * 1024 * 1024)
        assert caught.value.code == "too_many"
    finally:
        app.config["PHOTO_IMPORT_MAX_FILES"] = 3000
    with pytest.raises(ArchiveError) as caught:
        read_archive(io.BytesIO(b"not a zip at all"), 5 * 1024 * 1024)
    assert caught.value.code == "not_zip"


def test_members_are_read_in_a_bounded_way(ctx):
    """A member is never read past the photo limit, whatever its header says."""
    from app.services.photo_import import read_archive

    big = os.urandom(5 * 1024 * 1024 + 10)
    members = read_archive(io.BytesIO(make_zip([("110105199601010011.jpg", big)])), 5 * 1024 * 1024)
    assert members[0][1] is None and "KB" in members[0][2]


# --- the import through the back office -------------------------------------------------------
def test_import_report_matched_unmatched_refused(app, login, people):
    (good, n_good), (small, n_small), (corrupt, n_corrupt), (huge, n_huge) = people["own"]
    other, n_other = people["other"]
    data = make_zip([
        (f"{n_good}.jpg", photo()),
        (GbkInfo(f"照片/{n_small}.png"), photo(size=(200, 300), fmt="PNG")),  # wrong size, GBK folder
        (f"{n_corrupt}.jpg", b"\xff\xd8\xff\xe0 not really a jpeg"),
        (f"{n_huge}.jpg", os.urandom(5 * 1024 * 1024 + 1)),
        (f"{n_other}.jpg", photo()),  # another institution's candidate: not for this user
        ("110105199001019999.jpg", photo()),  # nobody
        (GbkInfo("张三.jpg"), photo()),  # a name, not an ID number
        ("__MACOSX/._x.jpg", b"junk"),
    ])
    c = login("institution")
    status, result, error, page = upload(c, data)
    assert status == "done", error
    report = result["report"]
    assert [m[0] for m in report["matched"]] == [f"{n_good}.jpg"]
    assert sorted(u[0] for u in report["unmatched"]) == sorted([f"{n_other}.jpg", "110105199001019999.jpg",
                                                                "张三.jpg"])
    refused = dict(report["refused"])
    assert set(refused) == {f"照片/{n_small}.png", f"{n_corrupt}.jpg", f"{n_huge}.jpg"}
    assert all(refused.values())  # each with its reason
    assert "张三.jpg" in page and f"照片/{n_small}.png" in page  # GBK names read correctly on the page
    assert state(app, good)[0] == VerifyState.PENDING.value and state(app, good)[1]
    for pid in (small, corrupt, huge, other):
        assert state(app, pid) == (VerifyState.NO_PHOTO.value, None)
    # the report downloads as a workbook listing every file
    xlsx = c.get(f"/files/{result['attachment_id']}")
    assert xlsx.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx.data), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 7 and f"{n_good}.jpg" in [r[0] for r in rows]
    # the association side may read every report
    assert login("association").get(f"/photoimport/report/{c_job(app)}").status_code == 200


def c_job(app):
    with app.app_context():
        return db.session.query(Job.id).filter_by(kind="photo_import").order_by(Job.id.desc()).first()[0]


@pytest.mark.parametrize("bad", ["zip_slip", "nested", "bomb"])
def test_refused_archive_stores_nothing(app, login, people, bad):
    (good, n_good) = people["own"][0]
    entries = [(f"{n_good}.jpg", photo())]
    if bad == "zip_slip":
        data = make_zip(entries + [("../../app/static/evil.jpg", photo())])
    elif bad == "nested":
        data = make_zip(entries + [("inner.zip", make_zip([("a.jpg", photo())]))])
    else:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(*entries[0])
            with zf.open("110105199001019999.jpg", "w", force_zip64=True) as fh:
                for _ in range(200):
                    fh.write(b"\0" * (1024 * 1024))
        data = out.getvalue()
    c = login("institution")
    status, _result, error, page = upload(c, data)
    assert status == "failed" and error
    assert "import-error" in page
    assert state(app, good) == (VerifyState.NO_PHOTO.value, None)
    assert stored_photos(app, [good]) == 0
    with app.app_context():  # the uploaded zip itself is not kept
        assert db.session.query(Attachment).filter_by(kind="photo_zip").count() == 0


def test_association_imports_for_a_chosen_institution(app, login, people):
    (own, n_own) = people["own"][0]
    other, n_other = people["other"]
    data = make_zip([(f"{n_own}.jpg", photo()), (f"{n_other}.jpg", photo(background=(20, 60, 200)))])
    c = login("association")
    status, result, _e, _p = upload(c, data, institution_id=str(people["own_institution"]))
    assert [m[0] for m in result["report"]["matched"]] == [f"{n_own}.jpg"]
    assert [u[0] for u in result["report"]["unmatched"]] == [f"{n_other}.jpg"]
    # all institutions, blue background chosen for this import: the other one matches, the red one is refused
    status, result, _e, _p = upload(c, data, background="blue")
    assert [m[0] for m in result["report"]["matched"]] == [f"{n_other}.jpg"]
    assert [r[0] for r in result["report"]["refused"]] == [f"{n_own}.jpg"]


# --- verification ---------------------------------------------------------------------------------
def test_default_checker_sends_a_photo_without_a_face_to_manual(ctx):
    from app.services.photo_check import FaceAndBackgroundChecker

    ok, reason = FaceAndBackgroundChecker().check(None, photo())
    assert ok is False and reason == "照片中未检测到人脸。"


def test_default_checker_passes_a_real_face_on_red(ctx):
    from app.services.photo_check import FaceAndBackgroundChecker

    assert os.path.getsize(FACE) < 40 * 1024
    with Image.open(FACE) as face:
        assert face.size == (W, H)
    assert FaceAndBackgroundChecker().check(None, face_photo()) == (True, None)


@pytest.mark.parametrize("background, found", [((20, 60, 200), "蓝色"), ((250, 250, 250), "白色")])
def test_default_checker_refuses_the_face_on_another_background(ctx, background, found):
    from app.services.photo_check import FaceAndBackgroundChecker

    ok, reason = FaceAndBackgroundChecker().check(None, face_photo(background))
    assert ok is False and reason == f"照片背景应为红色，当前为{found}。"  # the face itself was found


def test_default_checker_names_how_many_faces(ctx):
    from app.services.photo_check import FaceAndBackgroundChecker

    with Image.open(FACE) as face:
        head = face.crop((75, 140, 215, 310))
        image = Image.new("RGB", face.size, RED)
    image.paste(head, (5, 150))
    image.paste(head, (150, 150))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    assert FaceAndBackgroundChecker().check(None, out.getvalue()) == (False, "照片中检测到 2 张人脸，应只有一张。")


def _import(app, login, numbers):
    c = login("institution")
    status, result, error, _page = upload(c, make_zip([(f"{n}.jpg", photo()) for n in numbers]))
    assert status == "done" and len(result["report"]["matched"]) == len(numbers), (error, result)
    return c


def test_verify_and_manual_confirmation(app, login, people):
    (a, n_a), (b, n_b), (c_id, n_c), _rest = people["own"]
    c = _import(app, login, [n_a, n_b, n_c])
    token_page = "/photoverificationview/list/"
    assert c.get(token_page).status_code == 200
    # the default OpenCV check finds no face on the synthetic photo: 需人工确认
    r = c.post(f"/photoverificationview/action/verify_info/{a}", token_from=token_page)
    assert r.status_code == 302
    assert state(app, a)[0] == VerifyState.MANUAL.value
    # 人工确认 → 信息准确; a second confirmation is refused
    c.post(f"/photoverificationview/action/confirm_info/{a}", token_from=token_page)
    assert state(app, a)[0] == VerifyState.ACCURATE.value
    c.post(f"/photoverificationview/action/confirm_info/{b}", token_from=token_page)
    assert state(app, b)[0] == VerifyState.PENDING.value  # not waiting for a manual confirmation
    # a pluggable check: a passing one makes 认证 → 信息准确, run as 批量认证 (a job)
    app.config["PHOTO_CHECKER"] = "tests.photo_checkers.PassingChecker"
    try:
        r = c.post("/photoverificationview/action_post", {"action": "batch_verify_info", "rowid": [str(b), str(c_id)]},
                   token_from=token_page)
        assert r.status_code == 302
        done = wait_for_job(c, int(re.search(r"(\d+)\D*$", r.headers["Location"]).group(1)))
        assert done["status"] == "done", done
        job_page = c.get(r.headers["Location"])
        assert job_page.status_code == 200 and "verify-summary" in job_page.text
    finally:
        app.config["PHOTO_CHECKER"] = "app.services.photo_check.FaceAndBackgroundChecker"
    assert state(app, b)[0] == VerifyState.ACCURATE.value and state(app, c_id)[0] == VerifyState.ACCURATE.value


def test_institution_cannot_verify_another_institutions_people(app, login, people):
    other, n_other = people["other"]
    status, result, _e, _p = upload(login("association"), make_zip([(f"{n_other}.jpg", photo())]))
    assert len(result["report"]["matched"]) == 1 and state(app, other)[0] == VerifyState.PENDING.value
    with app.app_context():
        db.session.get(Person, other).verify_state = VerifyState.MANUAL.value
        db.session.commit()
    c = login("institution")
    page = "/photoverificationview/list/"
    listing = c.get(page)
    assert listing.status_code == 200 and "照片测试4" not in listing.text
    assert c.post(f"/photoverificationview/action/verify_info/{other}", token_from=page).status_code == 404
    assert c.post(f"/photoverificationview/action/confirm_info/{other}", token_from=page).status_code == 404
    r = c.post("/photoverificationview/action_post", {"action": "confirm_info", "rowid": [str(other)]}, token_from=page)
    assert r.status_code == 404
    assert c.get(f"/photoverificationview/show/{other}").status_code == 404
    assert state(app, other)[0] == VerifyState.MANUAL.value
    # nor see its photo
    assert c.get(f"/files/{state(app, other)[1]}").status_code == 404


def test_pages_and_permissions(app, login, client):
    c = login("institution")
    page = c.get("/photoimport/")
    assert page.status_code == 200 and 'name="archive"' in page.text
    assert 'name="institution_id"' not in page.text  # an institution imports for itself only
    assert 'name="institution_id"' in login("association").get("/photoimport/").text
    assert client.get("/photoimport/").status_code in (302, 401, 403)  # not logged in
    assert client.get("/photoverificationview/list/").status_code in (302, 401, 403)


def test_file_inputs_get_the_translated_picker(login, client):
    """The browser's own file button speaks the browser's language: the back office and the portal
    load the one shared picker with Chinese labels (tests/e2e drives it in chromium)."""
    picker = ['src="/static/filepicker.js"', 'data-choose-file="选择文件"', 'data-no-file="未选择文件"']
    c = login("institution")
    for url in ("/photoimport/", "/imports/candidates/", "/photoverificationview/list/"):
        text = c.get(url).text
        assert all(p in text for p in picker), url
    assert all(p in client.get("/portal/login").text for p in picker)


def note(app, person_id):
    with app.app_context():
        return db.session.get(Person, person_id).verify_note


def test_batch_verification_of_real_photos_keeps_the_reasons(app, login, people):
    """批量认证 with the default OpenCV check: the real face on red passes, the face on blue and the
    photo without a face go to 需人工确认 with their reasons, shown to the reviewer; a pass and a
    manual confirmation clear the reason."""
    (good, n_good), (blue, n_blue), (faceless, n_faceless), _rest = people["own"]
    c = login("institution")
    data = make_zip([(f"{n_good}.jpg", face_photo()), (f"{n_blue}.jpg", face_photo((20, 60, 200))),
                     (f"{n_faceless}.jpg", photo())])
    status, result, error, _page = upload(c, data, background="")  # any colour at import: the check decides
    assert status == "done" and len(result["report"]["matched"]) == 3, (error, result)
    with app.app_context():  # a stale reason from an earlier check
        db.session.get(Person, good).verify_note = "旧的检测结果"
        db.session.commit()
    page = "/photoverificationview/list/"
    r = c.post("/photoverificationview/action_post", {"action": "batch_verify_info",
                                                      "rowid": [str(good), str(blue), str(faceless)]},
               token_from=page)
    assert r.status_code == 302
    done = wait_for_job(c, int(re.search(r"(\d+)\D*$", r.headers["Location"]).group(1)))
    assert done["status"] == "done", done
    assert state(app, good)[0] == VerifyState.ACCURATE.value and note(app, good) is None
    assert state(app, blue)[0] == VerifyState.MANUAL.value
    assert note(app, blue) == "照片背景应为红色，当前为蓝色。"
    assert state(app, faceless)[0] == VerifyState.MANUAL.value and note(app, faceless) == "照片中未检测到人脸。"
    job_page = c.get(r.headers["Location"]).text
    assert "照片背景应为红色，当前为蓝色。" in job_page
    # the reviewer sees the reason in the list and where manual confirmation is decided
    listing = c.get(f"{page}?_flt_0_verify_state={VerifyState.MANUAL.value}").text
    assert "照片检测结果" in listing and "照片中未检测到人脸。" in listing
    show = c.get(f"/photoverificationview/show/{blue}").text
    assert "照片背景应为红色，当前为蓝色。" in show and "confirm_info" in show
    assert "照片背景应为红色，当前为蓝色。" in login("association").get(f"/personview/show/{blue}").text
    # 人工确认 clears the reason; a new photo clears it too (checked again)
    c.post(f"/photoverificationview/action/confirm_info/{blue}", token_from=page)
    assert state(app, blue)[0] == VerifyState.ACCURATE.value and note(app, blue) is None
    status, result, _e, _p = upload(c, make_zip([(f"{n_faceless}.jpg", face_photo())]))
    assert len(result["report"]["matched"]) == 1
    assert state(app, faceless)[0] == VerifyState.PENDING.value and note(app, faceless) is None


def test_single_verification_stores_the_reason(app, login, people):
    (a, n_a) = people["own"][0]
    c = _import(app, login, [n_a])
    page = "/photoverificationview/list/"
    c.post(f"/photoverificationview/action/verify_info/{a}", token_from=page)
    assert state(app, a)[0] == VerifyState.MANUAL.value and note(app, a) == "照片中未检测到人脸。"
    assert "照片中未检测到人脸。" in c.get(f"{page}?_flt_0_verify_state={VerifyState.MANUAL.value}").text
