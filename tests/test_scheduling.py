"""排考 (SPEC D10): the pure scheduling core on random data (hypothesis) and
the Association's scheduling job over HTTP on a small real exam."""
import datetime
import itertools
import re
from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.services import scheduling as sch
from models import (
    ExamSession,
    Institution,
    Invigilator,
    InvigilatorAssignment,
    Job,
    Person,
    Registration,
    Room,
    SeatAssignment,
)
from tests.conftest import wait_for_job
from tests.portal_helpers import new_id_number, new_phone
from tests.registration_helpers import make_exam

# ---------------------------------------------------------------- the pure core


@st.composite
def problems(draw, fits=None):
    """Random sites, rooms, institutions, sessions and candidates."""
    n_sites = draw(st.integers(1, 3))
    sessions = list(range(1, draw(st.integers(1, 3)) + 1))
    rooms = []
    room_ids = itertools.count(1)
    for site in range(1, n_sites + 1):
        for cap in draw(st.lists(st.integers(1, 8), min_size=0, max_size=4)):
            rooms.append((next(room_ids), site, cap))
    seats_of = Counter()
    for _room, site, cap in rooms:
        seats_of[site] += cap
    candidates = []
    reg_ids = itertools.count(1)
    need = Counter()
    for site in range(1, n_sites + 1):
        limit = seats_of[site] if fits else seats_of[site] + 6
        for _ in range(draw(st.integers(0, limit))):
            mine = draw(st.lists(st.sampled_from(sessions), min_size=1, max_size=len(sessions), unique=True))
            if fits and any(need[(site, s)] >= seats_of[site] for s in mine):
                continue
            for s in mine:
                need[(site, s)] += 1
            candidates.append((next(reg_ids), site, draw(st.sampled_from([None, 1, 2, 3])), mine))
    return candidates, rooms


def check_placement(candidates, rooms, rows):
    capacity = {r[0]: r[2] for r in rooms}
    site_of = {r[0]: r[1] for r in rooms}
    per_room = Counter((s, room) for _reg, s, room, _seat in rows)
    assert all(n <= capacity[room] for (_s, room), n in per_room.items()), "room over capacity"
    seats = [(s, room, seat) for _reg, s, room, seat in rows]
    assert len(seats) == len(set(seats)), "one seat given twice"
    assert all(1 <= seat <= capacity[room] for _s, room, seat in seats)
    pairs = [(reg, s) for reg, s, _room, _seat in rows]
    assert len(pairs) == len(set(pairs)), "a candidate in two places in one session"
    wanted = {(reg, s) for reg, _site, _inst, sessions in candidates for s in sessions}
    assert set(pairs) == wanted, "every candidate seated in every session it sits"
    site_of_reg = {c[0]: c[1] for c in candidates}
    assert all(site_of[room] == site_of_reg[reg] for reg, _s, room, _seat in rows), "a room of the candidate's site"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(fits=True), st.sampled_from([sch.SPREAD, sch.TOGETHER]))
def test_everyone_placed_when_seats_suffice(problem, mode):
    candidates, rooms = problem
    rows = sch.assign_seats(candidates, rooms, mode=mode)
    check_placement(candidates, rooms, rows)
    assert rows == sch.assign_seats(candidates, rooms, mode=mode), "deterministic"


@settings(max_examples=150, deadline=None)
@given(problems(fits=False))
def test_shortage_is_reported_per_site_and_session(problem):
    candidates, rooms = problem
    seats = Counter()
    for _room, site, cap in rooms:
        seats[site] += cap
    need = Counter((site, s) for _reg, site, _inst, sessions in candidates for s in sessions)
    short = {(site, s): n for (site, s), n in need.items() if n > seats[site]}
    if short:
        with pytest.raises(sch.SeatShortage) as info:
            sch.assign_seats(candidates, rooms)
        assert {(site, s): (n, free) for site, s, n, free in info.value.shortages} == \
            {k: (n, seats[k[0]]) for k, n in short.items()}
    else:
        check_placement(candidates, rooms, sch.assign_seats(candidates, rooms))


@settings(max_examples=100, deadline=None)
@given(problems(fits=True), st.data())
def test_kept_seats_are_respected(problem, data):
    """Re-running: seats kept (published) are neither reused nor given again."""
    candidates, rooms = problem
    first = sch.assign_seats(candidates, rooms)
    kept = data.draw(st.lists(st.sampled_from(first), unique=True) if first else st.just([]))
    taken = defaultdict(set)
    for _reg, s, room, seat in kept:
        taken[(s, room)].add(seat)
    rows = sch.assign_seats(candidates, rooms, taken, {(reg, s) for reg, s, _r, _seat in kept})
    check_placement(candidates, rooms, kept + rows)


def test_spread_and_together():
    rooms = [(1, 1, 4), (2, 1, 4)]
    candidates = [(i, 1, 1 if i <= 4 else 2, [1]) for i in range(1, 9)]
    together = sch.assign_seats(candidates, rooms, mode=sch.TOGETHER)
    by_room = defaultdict(set)
    for reg, _s, room, _seat in together:
        by_room[room].add(1 if reg <= 4 else 2)
    assert sorted(map(len, by_room.values())) == [1, 1], "each institution in a room of its own"
    spread = sch.assign_seats(candidates, rooms, mode=sch.SPREAD)
    by_room = defaultdict(Counter)
    for reg, _s, room, _seat in spread:
        by_room[room][1 if reg <= 4 else 2] += 1
    assert all(c == Counter({1: 2, 2: 2}) for c in by_room.values()), "each institution spread evenly"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), st.integers(1, 12), st.integers(1, 3),
                          st.frozensets(st.sampled_from([None, 1, 2, 3]), max_size=2)), max_size=25),
       st.lists(st.sampled_from([None, 1, 2, 3]), max_size=30), st.integers(0, 3), st.booleans(), st.integers(0, 4))
def test_invigilators_never_twice_nor_own_institution(entries, staff, per_room, exclude_own, patrol_per):
    room_sessions = {(s, room): (site, insts) for s, room, site, insts in entries}
    invigilators = list(enumerate(staff, start=1))
    inst_of = dict(invigilators)
    rows, shortfalls = sch.assign_invigilators(room_sessions, invigilators, per_room, exclude_own, patrol_per)
    seen = [(s, inv) for s, _room, inv, _duty in rows]
    assert len(seen) == len(set(seen)), "an invigilator twice in one session"
    per = Counter((s, room) for s, room, _inv, duty in rows if duty == "invigilate")
    missing = {(s, room): n for s, room, n in shortfalls if room is not None}
    for key in room_sessions:
        assert per[key] + missing.get(key, 0) == per_room
    if exclude_own:
        for s, room, inv, duty in rows:
            if duty == "invigilate":
                assert inst_of[inv] not in room_sessions[(s, room)][1]
    if staff and not exclude_own and patrol_per == 0:
        # with nobody excluded, posts stay empty only when the session runs out of people
        sessions = Counter(s for s, _room in room_sessions)
        for s, n in sessions.items():
            if n * per_room <= len(staff):
                assert not [f for f in shortfalls if f[0] == s]


def test_ticket_numbers_are_fixed_width_and_unique():
    tickets = {sch.ticket_no(7, s, r, seat) for s in (1, 12) for r in (3, 30) for seat in (1, 10, 100)}
    assert len(tickets) == 12 and {len(t) for t in tickets} == {20}


# ---------------------------------------------------------------- the job over HTTP

_names = itertools.count(1)


def small_exam(app, seats_per_room=4, rooms_per_site=2, candidates_per_site=5):
    """An exam (no sessions yet), rooms at both its sites, paid registrations from two institutions."""
    exam = make_exam(app)
    with app.app_context():
        institutions = [i.id for i in db.session.query(Institution).order_by(Institution.id).limit(3)]
        from models import ExamSite

        rooms, regs = [], []
        for k, es_id in enumerate(exam["sites"]):
            es = db.session.get(ExamSite, es_id)
            for _r in range(rooms_per_site):
                room = Room(institution_id=es.site.institution_id, site_id=es.site_id, name=f"排考测试{next(_names)}室",
                            capacity=seats_per_room)
                db.session.add(room)
                rooms.append(room)
            for n in range(candidates_per_site):
                person = Person(name=f"排考考生{k}{n}", id_type="resident", phone=new_phone(), source="school",
                                institution_id=institutions[(n + k) % 2])
                person.set_id_number(new_id_number())
                db.session.add(person)
                db.session.flush()
                reg = Registration(exam_plan_id=exam["id"], person_id=person.id, institution_id=es.site.institution_id,
                                   exam_site_id=es.id, status="registered", category="first")
                db.session.add(reg)
                regs.append(reg)
        for _v in range(12):  # invigilators from an institution without candidates here
            db.session.add(Invigilator(institution_id=institutions[2], staff_no=f"PK{next(_names):05d}",
                                       name="监考老师"))
        db.session.commit()
        exam["rooms"] = [r.id for r in rooms]
        exam["regs"] = [r.id for r in regs]
        exam["room_institutions"] = [r.institution_id for r in rooms]
    return exam


def add_paid(app, exam, site=0):
    with app.app_context():
        person = Person(name="后来考生", id_type="resident", phone=new_phone(), source="social")
        person.set_id_number(new_id_number())
        db.session.add(person)
        db.session.flush()
        from models import ExamSite

        es = db.session.get(ExamSite, exam["sites"][site])
        reg = Registration(exam_plan_id=exam["id"], person_id=person.id, institution_id=es.site.institution_id,
                           exam_site_id=es.id, status="registered", category="first")
        db.session.add(reg)
        db.session.commit()
        return reg.id


def assignments(app, exam):
    with app.app_context():
        rows = db.session.query(SeatAssignment).join(ExamSession).filter(ExamSession.exam_plan_id == exam["id"]).all()
        return {r.registration_id: (r.id, r.room_id, r.seat_no, r.ticket_no, r.published) for r in rows}


def run(c, exam, **options):
    data = {"mode": "spread", "per_room": "2", "patrol_per": "10", "exclude_own": "1", **options}
    r = c.post(f"/scheduling/{exam['id']}/run", data, token_from=f"/scheduling/{exam['id']}")
    assert r.status_code == 302, r.text[:500]
    job_id = int(re.search(r"job=(\d+)", r.headers["Location"]).group(1))
    status = wait_for_job(c, job_id)
    page = c.get(r.headers["Location"])
    assert page.status_code == 200
    return status, page


def test_association_schedules_a_small_exam(app, login):
    exam = small_exam(app)
    assoc = login("association")
    assert exam_link(assoc.get("/scheduling/").text, exam)
    status, page = run(assoc, exam)
    assert status["status"] == "done" and status["percent"] == 100, status
    assert "job-progress" in page.text  # the progress bar of the job
    seats = assignments(app, exam)
    assert set(seats) == set(exam["regs"])
    assert len({t for _id, _room, _seat, t, _p in seats.values()}) == len(seats)
    with app.app_context():
        # one whole-exam session was created; rooms are 排考中; two invigilators per used room
        sessions = db.session.query(ExamSession).filter_by(exam_plan_id=exam["id"]).all()
        assert len(sessions) == 1
        used = {room for _id, room, _seat, _t, _p in seats.values()}
        assert {db.session.get(Room, r).status for r in used} == {"scheduling"}
        duties = db.session.query(InvigilatorAssignment).filter_by(session_id=sessions[0].id).all()
        per_room = Counter(d.room_id for d in duties if d.duty == "invigilate")
        assert set(per_room) == used and set(per_room.values()) == {2}
        assert any(d.duty == "patrol" for d in duties)
        invigilators = [d.invigilator_id for d in duties]
        assert len(invigilators) == len(set(invigilators))
        for d in duties:
            if d.room_id is None:
                continue
            own = {db.session.get(Registration, reg).person.institution_id
                   for reg, (_id, room, *_rest) in seats.items() if room == d.room_id}
            assert db.session.get(Invigilator, d.invigilator_id).institution_id not in own
    for room in used:
        assert assoc.get(f"/scheduling/{exam['id']}/rooms/{room}").status_code == 200


def exam_link(text, exam):
    return f"/scheduling/{exam['id']}" in text


def test_rerun_keeps_published_and_reschedule_all_recomputes(app, login):
    exam = small_exam(app)
    assoc = login("association")
    assert run(assoc, exam)[0]["status"] == "done"
    r = assoc.post(f"/scheduling/{exam['id']}/publish", {}, token_from=f"/scheduling/{exam['id']}")
    assert r.status_code == 302
    published = assignments(app, exam)
    assert all(p for *_rest, p in published.values())
    late = add_paid(app, exam)
    status, _page = run(assoc, exam)
    assert status["status"] == "done", status
    again = assignments(app, exam)
    assert {k: v for k, v in again.items() if k != late} == published, "published seats kept as they were"
    assert late in again and not again[late][4]
    taken = [(room, seat) for _id, room, seat, _t, _p in again.values()]
    assert len(taken) == len(set(taken))
    status, _page = run(assoc, exam, reschedule_all="1")
    assert status["status"] == "done"
    fresh = assignments(app, exam)
    assert set(fresh) == set(again) and not any(p for *_rest, p in fresh.values())


def test_shortage_fails_with_a_clear_message_and_writes_nothing(app, login):
    exam = small_exam(app, seats_per_room=2, rooms_per_site=1, candidates_per_site=3)
    assoc = login("association")
    status, page = run(assoc, exam)
    assert status["status"] == "failed"
    with app.app_context():
        from models import ExamSite

        site_name = db.session.get(ExamSite, exam["sites"][0]).site.name
    assert site_name in status["error"] and "1" in status["error"], status["error"]
    assert assignments(app, exam) == {}


def test_institution_cannot_schedule_and_sees_only_its_rooms(app, login):
    exam = small_exam(app)
    assoc = login("association")
    assert run(assoc, exam)[0]["status"] == "done"
    inst = login("institution")
    with app.app_context():
        from models import PlatformUser

        own = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
    r = inst.post(f"/scheduling/{exam['id']}/run", {"mode": "spread"}, token_from="/notifications/")
    assert r.status_code == 403
    assert inst.post(f"/scheduling/{exam['id']}/publish", {}, token_from="/notifications/").status_code == 403
    page = inst.get(f"/scheduling/{exam['id']}")
    assert page.status_code == 200 and "schedule-form" not in page.text
    seats = assignments(app, exam)
    assert not any(p for *_rest, p in seats.values()), "nothing published by the institution"
    mine = [room for room, i in zip(exam["rooms"], exam["room_institutions"], strict=True) if i == own]
    theirs = [room for room, i in zip(exam["rooms"], exam["room_institutions"], strict=True) if i != own]
    assert mine and theirs
    used = {room for _id, room, *_rest in seats.values()}
    with app.app_context():
        names = {r: db.session.get(Room, r).name for r in exam["rooms"]}
    for room in mine:
        if room in used:
            assert names[room] in page.text
            seat_page = inst.get(f"/scheduling/{exam['id']}/rooms/{room}")
            assert seat_page.status_code == 200
            tickets = [t for _id, r, _seat, t, _p in seats.values() if r == room]
            assert all(t in seat_page.text for t in tickets)
    for room in theirs:
        assert names[room] not in page.text
        assert inst.get(f"/scheduling/{exam['id']}/rooms/{room}").status_code == 404
    # the generated seat-plan list is scoped the same way
    listing = inst.get("/seatassignmentview/list/?psize_SeatAssignmentView=100")
    foreign = [t for _id, r, _seat, t, _p in seats.values() if r in theirs]
    assert listing.status_code == 200 and not any(t in listing.text for t in foreign)


def test_anonymous_is_sent_to_login(client, app):
    exam = make_exam(app)
    r = client.post(f"/scheduling/{exam['id']}/run", {})
    assert r.status_code in (302, 400)
    with app.app_context():  # nothing was started
        assert db.session.query(Job).filter_by(kind="scheduling", created_by_id=None).count() == 0


def test_sessions_follow_subjects_and_sittings_and_rooms_finish(app):
    """Subject sessions: each registration sits the sessions of its subjects; sittings: the chosen one;
    rooms are 已结束 once the exam is over."""
    from models import ExamPlan, RegistrationSubject

    exam = small_exam(app, candidates_per_site=3)
    with app.app_context():
        plan = db.session.get(ExamPlan, exam["id"])
        theory, practice = exam["subjects"]
        for i, subject in enumerate((theory, practice)):
            starts = plan.exam_start + datetime.timedelta(hours=4 * i)
            db.session.add(ExamSession(exam_plan_id=plan.id, subject_id=subject, name=f"科目{i}",
                                       starts_at=starts, ends_at=starts + datetime.timedelta(hours=2)))
        first, *others = exam["regs"]
        db.session.add(RegistrationSubject(registration_id=first, subject_id=practice))
        db.session.commit()
        sch.schedule(plan.id, {"mode": "together"})
        sessions = {s.id: s.subject_id for s in db.session.query(ExamSession).filter_by(exam_plan_id=plan.id)}
        rows = db.session.query(SeatAssignment).filter(SeatAssignment.session_id.in_(sessions)).all()
        taken = defaultdict(set)
        for r in rows:
            taken[r.registration_id].add(sessions[r.session_id])
        assert taken[first] == {practice}
        assert all(taken[o] == {theory, practice} for o in others)
        # the exam is over: its rooms are finished
        sch.update_room_status(exam_sites(plan.id), now=plan.exam_end + datetime.timedelta(days=1))
        db.session.commit()
        assert {db.session.get(Room, r.room_id).status for r in rows} == {"finished"}

    exam = make_exam(app, sittings=2)
    with app.app_context():
        from models import ExamSite

        es = db.session.get(ExamSite, exam["sites"][0])
        db.session.add(Room(institution_id=es.site.institution_id, site_id=es.site_id,
                            name=f"排考测试{next(_names)}室", capacity=5))
        chosen = {}
        for k in range(4):
            person = Person(name=f"场次考生{k}", id_type="resident", phone=new_phone(), source="social")
            person.set_id_number(new_id_number())
            db.session.add(person)
            db.session.flush()
            sitting = exam["sittings"][k % 2] if k < 3 else None
            reg = Registration(exam_plan_id=exam["id"], person_id=person.id, institution_id=es.site.institution_id,
                               exam_site_id=es.id, status="registered", category="first", exam_session_id=sitting)
            db.session.add(reg)
            db.session.flush()
            chosen[reg.id] = sitting or exam["sittings"][0]
        db.session.commit()
        sch.schedule(exam["id"])
        got = dict(db.session.query(SeatAssignment.registration_id, SeatAssignment.session_id)
                   .filter(SeatAssignment.registration_id.in_(chosen)).all())
        assert got == chosen


def exam_sites(plan_id):
    from models import ExamSite

    return [s for (s,) in db.session.query(ExamSite.site_id).filter_by(exam_plan_id=plan_id)]


# ---------------------------------------------------------------- time clashes, patrol staff, room status (D10)

def test_busy_rooms_are_skipped_in_that_session_only():
    candidates = [(r, 1, None, [1, 2]) for r in range(1, 4)]
    rows = sch.assign_seats(candidates, [(10, 1, 3), (11, 1, 3)], busy={1: {10}})
    assert {room for _r, s, room, _seat in rows if s == 1} == {11}
    assert {room for _r, s, room, _seat in rows if s == 2} == {10}
    with pytest.raises(sch.SeatShortage):
        sch.assign_seats(candidates, [(10, 1, 3)], busy={2: {10}})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 8), st.integers(1, 2)), max_size=20),
       st.integers(1, 30), st.integers(0, 5), st.sets(st.tuples(st.integers(1, 4), st.integers(1, 4))),
       st.dictionaries(st.integers(1, 4), st.sets(st.integers(1, 30), max_size=10)))
def test_nobody_serves_two_sessions_at_once(entries, staff, patrol_staff, pairs, busy):
    room_sessions = {(s, room): (site, set()) for s, room, site in entries}
    overlaps = defaultdict(set)
    for a, b in pairs:
        if a != b:
            overlaps[a].add(b)
            overlaps[b].add(a)
    invigilators = [(i, None) for i in range(1, staff + 1)]
    patrols = [(i, None) for i in range(100, 100 + patrol_staff)]
    rows, _short = sch.assign_invigilators(room_sessions, invigilators, 2, True, 2, patrols=patrols,
                                           overlaps=overlaps, busy=busy)
    serving = defaultdict(set)
    for s, room, inv, duty in rows:
        assert inv not in busy.get(s, ()), "serving another exam at that time"
        assert (duty == "patrol") == (room is None)
        if patrol_staff:  # patrol posts go to the association's patrol staff, rooms to invigilators
            assert (inv >= 100) == (duty == "patrol")
        serving[s].add(inv)
    for s, others in overlaps.items():
        for o in others:
            assert not serving[s] & serving[o], f"sessions {s} and {o} overlap"


def add_session(plan_id, name, starts, hours=2, subject_id=None):
    session = ExamSession(exam_plan_id=plan_id, subject_id=subject_id, name=name, starts_at=starts,
                          ends_at=starts + datetime.timedelta(hours=hours))
    db.session.add(session)
    db.session.flush()
    return session


def test_a_candidate_in_two_overlapping_sessions_is_refused(app, login):
    from models import ExamPlan, RegistrationSubject

    exam = small_exam(app, candidates_per_site=2)
    with app.app_context():
        plan = db.session.get(ExamPlan, exam["id"])
        theory, practice = exam["subjects"]
        add_session(plan.id, "理论科目", plan.exam_start, subject_id=theory)
        add_session(plan.id, "实操科目", plan.exam_start + datetime.timedelta(hours=1), subject_id=practice)
        both = exam["regs"][0]
        name = db.session.get(Registration, both).person.name
        db.session.add(RegistrationSubject(registration_id=both, subject_id=theory))
        db.session.add(RegistrationSubject(registration_id=both, subject_id=practice))
        for reg in exam["regs"][1:]:  # the others sit one subject each: no clash for them
            db.session.add(RegistrationSubject(registration_id=reg, subject_id=theory))
        db.session.commit()
    status, _page = run(login("association"), exam)
    assert status["status"] == "failed"
    assert name in status["error"] and "理论科目" in status["error"] and "实操科目" in status["error"], status["error"]
    assert "同一时间" in status["error"]
    assert assignments(app, exam) == {}, "nothing written"


def test_a_candidate_seated_in_another_exam_at_that_time_is_refused(app):
    first, second = small_exam(app, candidates_per_site=1), make_exam(app)
    with app.app_context():
        from models import ExamPlan, ExamSite

        sch.schedule(first["id"])
        person = db.session.get(Registration, first["regs"][0]).person
        es = db.session.get(ExamSite, second["sites"][0])
        db.session.add(Room(institution_id=es.site.institution_id, site_id=es.site_id, name=f"排考测试{next(_names)}室",
                            capacity=5))
        db.session.add(Registration(exam_plan_id=second["id"], person_id=person.id, exam_site_id=es.id,
                                    institution_id=es.site.institution_id, status="registered", category="first"))
        db.session.commit()
        with pytest.raises(sch.SchedulingError) as refused:
            sch.schedule(second["id"])
        assert person.name in str(refused.value) and db.session.get(ExamPlan, first["id"]).name in str(refused.value)
        # a week later there is no clash
        plan = db.session.get(ExamPlan, second["id"])
        plan.exam_start += datetime.timedelta(days=7)
        plan.exam_end += datetime.timedelta(days=7)
        db.session.commit()
        assert sch.schedule(second["id"])["placed"] == 1


def test_rooms_and_invigilators_busy_in_another_exam_are_not_used(app):
    from models import ExamPlan, ExamSite

    first = small_exam(app, rooms_per_site=1, candidates_per_site=2)
    with app.app_context():
        sch.schedule(first["id"], {"per_room": 2, "patrol_per": 0})
        busy_people = {i for (i,) in db.session.query(InvigilatorAssignment.invigilator_id)
                       .join(ExamSession).filter(ExamSession.exam_plan_id == first["id"])}
        # a second exam at the same time, offered at the same sites with one more room each
        plan = db.session.get(ExamPlan, first["id"])
        second = make_exam(app)
        other = db.session.get(ExamPlan, second["id"])
        other.exam_start, other.exam_end = plan.exam_start, plan.exam_end
        db.session.query(ExamSite).filter_by(exam_plan_id=other.id).delete()
        spare = []
        for es_id in first["sites"]:
            es = db.session.get(ExamSite, es_id)
            db.session.add(ExamSite(exam_plan_id=other.id, site_id=es.site_id, quota=10))
            room = Room(institution_id=es.site.institution_id, site_id=es.site_id, name=f"排考测试{next(_names)}室",
                        capacity=5)
            db.session.add(room)
            db.session.flush()
            spare.append(room.id)
        db.session.commit()
        for k, es in enumerate(db.session.query(ExamSite).filter_by(exam_plan_id=other.id)):
            person = Person(name=f"同场考生{k}", id_type="resident", phone=new_phone(), source="social")
            person.set_id_number(new_id_number())
            db.session.add(person)
            db.session.flush()
            db.session.add(Registration(exam_plan_id=other.id, person_id=person.id, exam_site_id=es.id,
                                        institution_id=es.site.institution_id, status="registered", category="first"))
        db.session.commit()
        sch.schedule(other.id, {"per_room": 2, "patrol_per": 0})
        rooms = {r for (r,) in db.session.query(SeatAssignment.room_id).join(ExamSession)
                 .filter(ExamSession.exam_plan_id == other.id)}
        assert rooms == set(spare), "the rooms the first exam uses at that time are skipped"
        staff = {i for (i,) in db.session.query(InvigilatorAssignment.invigilator_id)
                 .join(ExamSession).filter(ExamSession.exam_plan_id == other.id)}
        assert staff and not staff & busy_people


def test_patrol_staff_of_the_association_patrol(app, login):
    exam = small_exam(app)
    assoc = login("association")
    r = assoc.post("/invigilatorview/add", {"staff_no": f"XK{next(_names):05d}", "name": "巡考员甲", "duty": "patrol"},
                   token_from="/invigilatorview/add")
    assert r.status_code == 302, r.text[:800]
    with app.app_context():
        patrol = db.session.query(Invigilator).filter_by(name="巡考员甲").order_by(Invigilator.id.desc()).first()
        assert patrol.institution_id is None and patrol.duty == "patrol"
    status, page = run(assoc, exam, patrol_per="10")
    assert status["status"] == "done", status
    with app.app_context():
        duties = db.session.query(InvigilatorAssignment).join(ExamSession).filter(
            ExamSession.exam_plan_id == exam["id"]).all()
        patrols = {d.invigilator_id for d in duties if d.duty == "patrol"}
        assert patrol.id in patrols
        assert all(db.session.get(Invigilator, i).duty == "patrol" for i in patrols)
        assert patrol.id not in {d.invigilator_id for d in duties if d.duty == "invigilate"}
    assert "patrol-staff" in page.text and "巡考员甲" in page.text
    # an institution may neither name patrol staff nor see them on the plan page
    inst = login("institution")
    r = inst.post("/invigilatorview/add", {"staff_no": f"XK{next(_names):05d}", "name": "巡考员乙", "duty": "patrol"},
                  token_from="/invigilatorview/add")
    with app.app_context():
        assert db.session.query(Invigilator).filter_by(name="巡考员乙").count() == 0
    assert "巡考员甲" not in inst.get(f"/scheduling/{exam['id']}").text


def test_room_status_follows_every_exam_and_idle_rooms_are_listed(app, login):
    exam = small_exam(app, rooms_per_site=3, candidates_per_site=2, seats_per_room=4)
    with app.app_context():
        from models import ExamPlan

        plan = db.session.get(ExamPlan, exam["id"])
        sch.schedule(plan.id)
        used = {r for (r,) in db.session.query(SeatAssignment.room_id).join(ExamSession)
                .filter(ExamSession.exam_plan_id == plan.id)}
        idle = set(exam["rooms"]) - used
        assert idle
        status = {r: db.session.get(Room, r).status for r in exam["rooms"]}
        assert {status[r] for r in used} == {"scheduling"} and {status[r] for r in idle} == {"unscheduled"}
        sites = exam_sites(plan.id)
        sch.update_room_status(sites, now=plan.exam_end + datetime.timedelta(days=1))
        db.session.commit()
        assert {db.session.get(Room, r).status for r in used} == {"finished"}
        names = {r: db.session.get(Room, r).name for r in idle}
    page = login("association").get(f"/scheduling/{exam['id']}")
    assert "idle-rooms" in page.text and all(n in page.text for n in names.values())
    assert "未排考" in page.text and "排考中" in page.text


def test_a_scheduled_room_cannot_shrink_below_its_assigned_seats(app, login, api):
    exam = small_exam(app, rooms_per_site=1, candidates_per_site=3, seats_per_room=4)
    with app.app_context():
        sch.schedule(exam["id"])
        room_id = exam["rooms"][0]
        room = db.session.get(Room, room_id)
        highest = max(s for (s,) in db.session.query(SeatAssignment.seat_no).filter_by(room_id=room_id))
        form = {"name": room.name, "capacity": str(highest - 1), "institution": str(room.institution_id),
                "site": str(room.site_id)}
    assoc = login("association")
    r = assoc.post(f"/roomview/edit/{room_id}", form, token_from=f"/roomview/edit/{room_id}", follow_redirects=True)
    assert f"容量不能小于 {highest}" in r.text, r.text[-3000:]
    c, headers = api("association")
    r = c.put(f"/api/v1/room/{room_id}", json={"capacity": highest - 1}, headers=headers)
    assert r.status_code in (400, 422) and str(highest) in r.text
    with app.app_context():
        assert db.session.get(Room, room_id).capacity == 4, "nothing written"
    r = c.put(f"/api/v1/room/{room_id}", json={"capacity": highest}, headers=headers)
    assert r.status_code == 200, r.text


def test_publishing_tells_each_candidate_once(app, login, candidate):
    from models import ExamSite, Notification, PlatformUser

    c, phone, _number = candidate
    exam = small_exam(app, candidates_per_site=1)
    with app.app_context():
        me = db.session.query(Person).filter_by(phone=phone).one()
        es = db.session.get(ExamSite, exam["sites"][0])
        db.session.add(Registration(exam_plan_id=exam["id"], person_id=me.id, exam_site_id=es.id,
                                    institution_id=es.site.institution_id, status="registered", category="first"))
        db.session.commit()
        user_id = db.session.query(PlatformUser.id).filter_by(phone=phone).scalar()
    assoc = login("association")
    assert run(assoc, exam)[0]["status"] == "done"
    for _twice in range(2):
        assoc.post(f"/scheduling/{exam['id']}/publish", {}, token_from=f"/scheduling/{exam['id']}")
    with app.app_context():
        notes = db.session.query(Notification).filter_by(user_id=user_id).filter(
            Notification.title.contains("准考证已发布")).all()
        assert len(notes) == 1 and notes[0].link == "/portal/me/exams"
    assert "准考证已发布" in c.get("/notifications/").text
