"""排考 (SPEC D10): paid registrations to sessions, rooms and seats; invigilators
and patrol staff to rooms; admission ticket numbers.

The core (``assign_seats``, ``assign_invigilators``) works on plain tuples in
memory and knows nothing of the database; ``schedule`` loads the plan's rows as
tuples, runs the core and writes the outcome with bulk inserts in one
transaction (all or nothing).  Re-running keeps published seats unless asked to
reschedule everything; unpublished ones are recomputed.
"""
import datetime
import itertools
from collections import defaultdict
from dataclasses import asdict, dataclass

from flask_babel import gettext as _
from sqlalchemy import case, delete, func, insert, select, update

from app.extensions import db
from models import (
    ExamPlan,
    ExamSession,
    ExamSite,
    Invigilator,
    InvigilatorAssignment,
    Notification,
    Person,
    Registration,
    RegistrationSubject,
    Room,
    SeatAssignment,
    Site,
)
from models.enums import InvigilatorDuty, RegistrationStatus, RoomStatus

SPREAD, TOGETHER = "spread", "together"
CHUNK = 5000


class SchedulingError(Exception):
    """Scheduling refused; the message says why (nothing was written)."""


class SeatShortage(SchedulingError):
    """Not enough seats: ``shortages`` lists (site_id, session_id, needed, free)."""

    def __init__(self, shortages):
        super().__init__(f"seat shortage: {shortages}")
        self.shortages = shortages


@dataclass
class Options:
    mode: str = SPREAD            # candidates of one institution spread across rooms, or kept together
    per_room: int = 2             # invigilators per room and session
    exclude_own: bool = True      # never an invigilator from the candidates' own institution
    patrol_per: int = 10          # one patrol officer per this many rooms (per site and session); 0: none
    reschedule_all: bool = False  # also recompute published assignments

    @classmethod
    def from_dict(cls, data):
        data = dict(data or {})
        mode = data.get("mode") if data.get("mode") in (SPREAD, TOGETHER) else SPREAD
        return cls(mode=mode, per_room=max(0, min(int(data.get("per_room", 2)), 10)),
                   exclude_own=bool(data.get("exclude_own", True)),
                   patrol_per=max(0, min(int(data.get("patrol_per", 10)), 1000)),
                   reschedule_all=bool(data.get("reschedule_all", False)))


# ---------------------------------------------------------------- the core (pure)

def _order(members, mode):
    """Candidates (institution, reg_id) in seating order."""
    members = sorted(members, key=lambda m: (m[0] is None, m[0] or 0, m[1]))
    if mode == TOGETHER:
        return [m[1] for m in members]
    # spread: one of each institution in turn, the largest institutions first
    groups = [[reg for _inst, reg in grp] for _key, grp in itertools.groupby(members, key=lambda m: m[0])]
    groups.sort(key=len, reverse=True)
    return [reg for layer in itertools.zip_longest(*groups) for reg in layer if reg is not None]


def assign_seats(candidates, rooms, taken=None, placed=(), mode=SPREAD, busy=None):
    """Seat every candidate in every session it sits.

    ``candidates``: (reg_id, site_id, institution_id, session_ids);
    ``rooms``: (room_id, site_id, capacity); ``taken``: {(session_id, room_id):
    seat numbers kept}; ``placed``: (reg_id, session_id) pairs already seated;
    ``busy``: {session_id: room ids another exam uses at that time}.
    Returns (reg_id, session_id, room_id, seat_no) rows; raises SeatShortage
    (listing every site and session short of seats) when seats do not suffice.
    """
    taken = taken or {}
    busy = busy or {}
    placed = set(placed)
    groups = defaultdict(list)
    for reg_id, site_id, institution_id, session_ids in candidates:
        for session_id in set(session_ids):
            if (reg_id, session_id) not in placed:
                groups[(session_id, site_id)].append((institution_id, reg_id))
    rooms_of = defaultdict(list)
    for room_id, site_id, capacity in sorted(rooms):
        rooms_of[site_id].append((room_id, capacity))
    out, shortages = [], []
    for (session_id, site_id) in sorted(groups, key=lambda k: (k[0], k[1] is None, k[1] or 0)):
        members = groups[(session_id, site_id)]
        need = len(members)
        free = []  # (room_id, free seat numbers) in room order, only as many rooms as needed
        have = 0
        occupied = busy.get(session_id, ())
        for room_id, capacity in rooms_of.get(site_id, ()):
            if have >= need:
                break
            if room_id in occupied:
                continue
            kept = taken.get((session_id, room_id))
            seats = range(1, capacity + 1) if not kept else [s for s in range(1, capacity + 1) if s not in kept]
            if seats:
                free.append((room_id, seats))
                have += len(seats)
        if have < need:
            shortages.append((site_id, session_id, need, have))
            continue
        append = out.append
        if mode == TOGETHER:  # institution after institution, filling room after room
            it = iter(_order(members, TOGETHER))
            for room_id, seats in free:
                for seat, reg_id in zip(seats, it, strict=False):
                    append((reg_id, session_id, room_id, seat))
            continue
        # spread: deal each institution's candidates to the rooms in turn, then seat
        # each room's candidates one institution after another (neighbours differ)
        members.sort(key=lambda m: (m[0] is None, m[0] or 0, m[1]))
        dealt = [[] for _ in free]
        active = [r for r in range(len(free))]
        j = 0
        while j < need:
            still = []
            for r in active:
                if j >= need:
                    break
                dealt[r].append(members[j])
                j += 1
                if len(dealt[r]) < len(free[r][1]):
                    still.append(r)
            active = still
        for (room_id, seats), mine in zip(free, dealt, strict=True):
            for seat, reg_id in zip(seats, _order(mine, SPREAD), strict=False):
                append((reg_id, session_id, room_id, seat))
    if shortages:
        raise SeatShortage(shortages)
    return out


class _Pool:
    """The invigilators still free in one session, taken one institution after another."""

    def __init__(self, by_inst, turn, unavailable=frozenset()):
        if unavailable:
            by_inst = {inst: [i for i in ids if i not in unavailable] for inst, ids in by_inst.items()}
            by_inst = {inst: ids for inst, ids in by_inst.items() if ids}
        institutions = sorted(by_inst, key=lambda i: (i is None, i or 0))
        n = len(institutions)
        self.order = institutions[turn % n:] + institutions[:turn % n] if n else []
        self.pools = {}
        for inst in self.order:  # rotate people per session to share the load
            ids = by_inst[inst]
            self.pools[inst] = ids[turn % len(ids):] + ids[:turn % len(ids)]
        self.pos = dict.fromkeys(self.order, 0)
        self.live = list(self.order)
        self.cursor = 0

    def take(self, excluded, count):
        got, tries = [], 0
        while len(got) < count and self.live and tries < len(self.live):
            inst = self.live[self.cursor % len(self.live)]
            self.cursor += 1
            if inst in excluded:
                tries += 1
                continue
            got.append(self.pools[inst][self.pos[inst]])
            self.pos[inst] += 1
            tries = 0
            if self.pos[inst] >= len(self.pools[inst]):
                self.live.remove(inst)
        return got


def _by_institution(staff):
    by_inst = defaultdict(list)
    for inv_id, inst in sorted(staff, key=lambda v: v[0]):
        by_inst[inst].append(inv_id)
    return by_inst


def assign_invigilators(room_sessions, invigilators, per_room=2, exclude_own=True, patrol_per=10, patrols=(),
                        overlaps=None, busy=None):
    """Invigilators to rooms and patrol staff to sites, per session.

    ``room_sessions``: {(session_id, room_id): (site_id, institutions of its candidates)};
    ``invigilators`` and ``patrols`` (the association's patrol staff):
    (invigilator_id, institution_id).  Patrol posts go to patrol staff, or to
    invigilators when there are none.  Nobody serves twice in a session nor in
    two sessions that overlap (``overlaps``: {session_id: sessions of this exam
    at the same time}; ``busy``: {session_id: people serving another exam then});
    with ``exclude_own`` nobody serves where candidates of their own institution
    sit.  Returns (rows of (session_id, room_id or None, invigilator_id, duty),
    shortfalls of (session_id, room_id or None, missing)).
    """
    staff, patrol_staff = _by_institution(invigilators), _by_institution(patrols)
    overlaps, busy = overlaps or {}, busy or {}
    per_session = defaultdict(list)
    for (session_id, room_id), (site_id, insts) in room_sessions.items():
        per_session[session_id].append((site_id, room_id, frozenset(insts) if exclude_own else frozenset()))
    invigilate, patrol = InvigilatorDuty.INVIGILATE.value, InvigilatorDuty.PATROL.value
    rows, shortfalls, serving = [], [], defaultdict(set)
    for turn, session_id in enumerate(sorted(per_session)):
        unavailable = set(busy.get(session_id, ()))
        for other in overlaps.get(session_id, ()):
            unavailable |= serving[other]
        pool = _Pool(staff, turn, unavailable)
        entries = sorted(per_session[session_id], key=lambda e: (e[0] is None, e[0] or 0, e[1]))
        for _site, room_id, excluded in entries:
            got = pool.take(excluded, per_room)
            rows.extend((session_id, room_id, inv, invigilate) for inv in got)
            serving[session_id].update(got)
            if len(got) < per_room:
                shortfalls.append((session_id, room_id, per_room - len(got)))
        if patrol_per:
            patrol_pool = _Pool(patrol_staff, turn, unavailable) if patrol_staff else pool
            for _site, group in itertools.groupby(entries, key=lambda e: e[0]):
                group = list(group)
                need = -(-len(group) // patrol_per)
                got = patrol_pool.take(frozenset().union(*(e[2] for e in group)), need)
                rows.extend((session_id, None, inv, patrol) for inv in got)
                serving[session_id].update(got)
                if len(got) < need:
                    shortfalls.append((session_id, None, need - len(got)))
    return rows, shortfalls


def overlapping(first, second):
    """Two (starts_at, ends_at) spans share some time (touching ends do not)."""
    return first[0] < second[1] and second[0] < first[1]


def ticket_no(plan_id, session_id, room_id, seat_no):
    """Deterministic and unique: (session, room, seat) is unique, every part has a fixed width."""
    return f"{plan_id:04d}{session_id:06d}{room_id:06d}{seat_no:04d}"


# ---------------------------------------------------------------- database side

def sessions_of(plan, create=True):
    """The plan's sessions; a plan without any gets one whole-exam session."""
    sessions = db.session.query(ExamSession).filter_by(exam_plan_id=plan.id).order_by(
        ExamSession.starts_at, ExamSession.id).all()
    if not sessions and create:
        whole = ExamSession(exam_plan_id=plan.id, name=_("Whole exam"), starts_at=plan.exam_start,
                            ends_at=plan.exam_end)
        db.session.add(whole)
        db.session.flush()
        sessions = [whole]
    return sessions


def load_candidates(plan, sessions):
    """(reg_id, site_id, institution_id, session_ids) of every paid registration."""
    subject_sessions = defaultdict(list)
    sittings = []
    for s in sessions:
        (subject_sessions[s.subject_id].append(s.id) if s.subject_id else sittings.append(s.id))
    rows = db.session.execute(
        select(Registration.id, ExamSite.site_id, Person.institution_id, Registration.exam_session_id)
        .join(ExamSite, ExamSite.id == Registration.exam_site_id, isouter=True)
        .join(Person, Person.id == Registration.person_id)
        .where(Registration.exam_plan_id == plan.id, Registration.status == RegistrationStatus.REGISTERED.value)
        .order_by(Registration.id)).all()
    if subject_sessions:
        taking = defaultdict(list)
        for reg_id, subject_id in db.session.execute(
                select(RegistrationSubject.registration_id, RegistrationSubject.subject_id)
                .join(Registration, Registration.id == RegistrationSubject.registration_id)
                .where(Registration.exam_plan_id == plan.id,
                       Registration.status == RegistrationStatus.REGISTERED.value)):
            taking[reg_id].append(subject_id)
        everything = [sid for ids in subject_sessions.values() for sid in ids]
        return [(rid, site, inst, [sid for subj in taking[rid] for sid in subject_sessions.get(subj, ())]
                 if taking.get(rid) else everything) for rid, site, inst, _sitting in rows]
    valid = set(sittings)
    return [(rid, site, inst, [sitting if sitting in valid else sittings[0]]) for rid, site, inst, sitting in rows]


def _shortage_message(plan, shortages, sessions):
    names = dict(db.session.query(Site.id, Site.name).filter(Site.id.in_([s[0] for s in shortages if s[0]])).all())
    session_names = {s.id: s.name for s in sessions}
    parts = []
    for site_id, session_id, need, free in shortages:
        if site_id is None:
            parts.append(_("%(count)d candidates have no exam site.", count=need))
            continue
        parts.append(_("Site %(site)s lacks %(missing)d seats for %(session)s (%(needed)d candidates, "
                       "%(free)d free seats).", site=names.get(site_id, site_id), missing=need - free,
                       session=session_names.get(session_id, session_id), needed=need, free=free))
    return " ".join(parts)


class Clock:
    """Which sessions share time: this exam's among themselves, and with other exams'."""

    def __init__(self, plan, sessions):
        spans = {s.id: (s.starts_at, s.ends_at) for s in sessions}
        self.own = {sid: {o for o in spans if o != sid and overlapping(spans[sid], spans[o])} for sid in spans}
        others = db.session.execute(
            select(ExamSession.id, ExamSession.starts_at, ExamSession.ends_at, ExamSession.name, ExamPlan.name)
            .join(ExamPlan, ExamPlan.id == ExamSession.exam_plan_id)
            .where(ExamSession.exam_plan_id != plan.id, ExamSession.starts_at < max(e for _s, e in spans.values()),
                   ExamSession.ends_at > min(s for s, _e in spans.values()))).all()
        self.foreign = {sid: {o.id for o in others if overlapping(spans[sid], (o.starts_at, o.ends_at))}
                        for sid in spans}
        self.foreign_names = {o.id: f"{o[4]} {o[3]}" for o in others}

    def _used(self, column):
        """{session_id: values of ``column`` in other exams' sessions at that time}."""
        ids = set().union(*self.foreign.values())
        if not ids:
            return {}
        model = column.class_
        by_other = defaultdict(set)
        for session_id, value in db.session.execute(select(model.session_id, column).distinct()
                                                    .where(model.session_id.in_(ids))):
            by_other[session_id].add(value)
        return {sid: set().union(*(by_other[o] for o in others)) for sid, others in self.foreign.items()}

    def busy_rooms(self):
        return self._used(SeatAssignment.room_id)

    def busy_invigilators(self):
        return self._used(InvigilatorAssignment.invigilator_id)

    def candidate_clashes(self, plan, candidates, names, limit=5):
        """Messages for candidates who would sit two sessions at once (in this exam,
        or here and in another exam where they already have a seat); [] if none."""
        clashes = []
        if any(self.own.values()):
            for reg_id, _site, _inst, session_ids in candidates:
                mine = sorted(set(session_ids))
                pair = next(((a, b) for a in mine for b in mine if a < b and b in self.own[a]), None)
                if pair:
                    clashes.append((reg_id, names[pair[0]], names[pair[1]]))
        foreign = set().union(*self.foreign.values())
        if foreign:
            sessions_of_reg = {c[0]: set(c[3]) for c in candidates}
            elsewhere = Registration.__table__.alias("elsewhere")
            for reg_id, other in db.session.execute(
                    select(Registration.id, SeatAssignment.session_id)
                    .join(elsewhere, elsewhere.c.person_id == Registration.person_id)
                    .join(SeatAssignment, SeatAssignment.registration_id == elsewhere.c.id)
                    .where(Registration.exam_plan_id == plan.id,
                           Registration.status == RegistrationStatus.REGISTERED.value,
                           SeatAssignment.session_id.in_(foreign))):
                mine = next((sid for sid in sorted(sessions_of_reg.get(reg_id, ())) if other in self.foreign[sid]),
                            None)
                if mine is not None:
                    clashes.append((reg_id, names[mine], self.foreign_names[other]))
        if not clashes:
            return []
        people = dict(db.session.execute(select(Registration.id, Person.name).join(Person).where(
            Registration.id.in_([c[0] for c in clashes[:limit]]))).all())
        messages = [_("%(name)s would sit %(first)s and %(second)s at the same time.", name=people[reg],
                      first=first, second=second) for reg, first, second in clashes[:limit]]
        if len(clashes) > limit:
            messages.append(_("%(count)d time clashes in all.", count=len(clashes)))
        return messages


def schedule(plan_id, options=None, progress=None):
    """Schedule one exam plan; returns a summary dict.  Raises SchedulingError
    (nothing written) when seats do not suffice or a candidate would sit two
    sessions at once.  ``progress(done, total)`` is called between the stages
    (before anything is written)."""
    opts = options if isinstance(options, Options) else Options.from_dict(options)
    report = progress or (lambda done, total: None)
    plan = db.session.query(ExamPlan).filter_by(id=plan_id).with_for_update().one_or_none()
    if plan is None:
        raise SchedulingError(_("No such exam."))
    sessions = sessions_of(plan)
    session_ids = [s.id for s in sessions]
    candidates = load_candidates(plan, sessions)
    clock = Clock(plan, sessions)
    clashes = clock.candidate_clashes(plan, candidates, {s.id: s.name for s in sessions})
    if clashes:
        db.session.rollback()
        raise SchedulingError(" ".join(clashes))
    report(1, 4)
    site_ids = [sid for (sid,) in db.session.execute(select(ExamSite.site_id).where(ExamSite.exam_plan_id == plan.id))]
    rooms = db.session.execute(select(Room.id, Room.site_id, Room.capacity).where(Room.site_id.in_(site_ids))).all()
    taken, placed, kept = defaultdict(set), set(), []
    if not opts.reschedule_all:
        kept = db.session.execute(
            select(SeatAssignment.registration_id, SeatAssignment.session_id, SeatAssignment.room_id,
                   SeatAssignment.seat_no)
            .where(SeatAssignment.session_id.in_(session_ids), SeatAssignment.published.is_(True))).all()
        for reg_id, session_id, room_id, seat_no in kept:
            taken[(session_id, room_id)].add(seat_no)
            placed.add((reg_id, session_id))
    try:
        seats = assign_seats(candidates, [tuple(r) for r in rooms], taken, placed, opts.mode, clock.busy_rooms())
    except SeatShortage as exc:
        db.session.rollback()
        raise SchedulingError(_shortage_message(plan, exc.shortages, sessions)) from None
    report(2, 4)

    # who sits where: the institutions of each room's candidates (kept seats included)
    institution_of = {c[0]: c[2] for c in candidates}
    site_of_room = {r[0]: r[1] for r in rooms}
    room_sessions = {}
    for reg_id, session_id, room_id, *_rest in itertools.chain(kept, seats):
        entry = room_sessions.setdefault((session_id, room_id), (site_of_room.get(room_id), set()))
        if institution_of.get(reg_id) is not None:
            entry[1].add(institution_of[reg_id])
    staff = defaultdict(list)
    for inv_id, inst, duty in db.session.execute(select(Invigilator.id, Invigilator.institution_id,
                                                        Invigilator.duty)):
        staff[duty].append((inv_id, inst))
    duties, shortfalls = assign_invigilators(
        room_sessions, staff[InvigilatorDuty.INVIGILATE.value], opts.per_room, opts.exclude_own, opts.patrol_per,
        patrols=staff[InvigilatorDuty.PATROL.value], overlaps=clock.own, busy=clock.busy_invigilators())
    report(3, 4)

    # write: all in this transaction
    stale = delete(SeatAssignment).where(SeatAssignment.session_id.in_(session_ids))
    if not opts.reschedule_all:
        stale = stale.where(SeatAssignment.published.is_(False))
    db.session.execute(stale)
    db.session.execute(delete(InvigilatorAssignment).where(InvigilatorAssignment.session_id.in_(session_ids)))
    db.session.flush()
    write_seats(db.session, plan.id, seats)
    for start in range(0, len(duties), CHUNK):
        db.session.execute(insert(InvigilatorAssignment.__table__), [
            {"session_id": s, "room_id": r, "invigilator_id": i, "duty": d}
            for s, r, i, d in duties[start:start + CHUNK]])
    update_room_status(site_ids)
    db.session.commit()
    report(4, 4)
    summary = {"placed": len(seats), "kept": len(placed), "candidates": len(candidates),
               "rooms": len({k[1] for k in room_sessions}), "duties": len(duties),
               "missing_invigilators": sum(s[2] for s in shortfalls), "options": asdict(opts)}
    summary["message"] = _("Scheduling done: %(placed)d seats assigned, %(kept)d published kept, %(rooms)d rooms, "
                           "%(duties)d invigilation duties.", **summary)
    if shortfalls:
        summary["message"] += " " + _("Not enough invigilators: %(count)d posts left empty.",
                                      count=summary["missing_invigilators"])
    return summary


def write_seats(session, plan_id, seats):
    """Bulk insert of (reg_id, session_id, room_id, seat_no) rows with their ticket numbers."""
    for start in range(0, len(seats), CHUNK):
        session.execute(insert(SeatAssignment.__table__), [  # Core: no ORM bookkeeping for 100,000s of rows
            {"registration_id": reg, "session_id": sess, "room_id": room, "seat_no": seat,
             "ticket_no": ticket_no(plan_id, sess, room, seat), "published": False}
            for reg, sess, room, seat in seats[start:start + CHUNK]])


def room_status_now(now=None):
    """SQL for a room's status across all exams: 排考中 while a session it is used in
    has not ended, 已结束 when all have, 未排考 when it is used in none."""
    now = now or datetime.datetime.now()
    used = select(SeatAssignment.room_id)
    running = used.join(ExamSession, ExamSession.id == SeatAssignment.session_id).where(ExamSession.ends_at >= now)
    return case((Room.id.in_(running), RoomStatus.SCHEDULING.value), (Room.id.in_(used), RoomStatus.FINISHED.value),
                else_=RoomStatus.UNSCHEDULED.value)


def capacity_error(room_id, capacity, now=None):
    """Why a room may not shrink to ``capacity`` (seats beyond it are assigned in an
    exam that has not ended), or None."""
    if room_id is None or capacity is None:  # a new room has no seats yet
        return None
    query = (select(func.max(SeatAssignment.seat_no)).join(ExamSession, ExamSession.id == SeatAssignment.session_id)
             .where(SeatAssignment.room_id == room_id, ExamSession.ends_at >= (now or datetime.datetime.now())))
    with db.session.no_autoflush:  # the room being edited is not written before the check
        highest = db.session.scalar(query)
    if highest and capacity < highest:
        return _("Seat %(seat)d of this room is assigned in an exam that has not ended: the capacity cannot be "
                 "less than %(seat)d.", seat=highest)
    return None


def update_room_status(site_ids, now=None):
    """Store each room's status (see ``room_status_now``) for the rooms of these sites."""
    db.session.execute(update(Room).where(Room.site_id.in_(site_ids)).values(status=room_status_now(now)))


def publish(plan_id):
    """Mark the plan's admission tickets published and tell each candidate with an
    account (in-app, in bulk); returns how many seats were newly published."""
    plan = db.session.get(ExamPlan, plan_id)
    if plan is None:
        raise SchedulingError(_("No such exam."))
    ids = select(ExamSession.id).where(ExamSession.exam_plan_id == plan_id)
    unpublished = (SeatAssignment.session_id.in_(ids), SeatAssignment.published.is_(False))
    users = db.session.scalars(
        select(Person.user_id).distinct().join(Registration, Registration.person_id == Person.id)
        .join(SeatAssignment, SeatAssignment.registration_id == Registration.id)
        .where(*unpublished, Person.user_id.is_not(None))).all()
    result = db.session.execute(update(SeatAssignment).where(*unpublished).values(published=True))
    update_room_status(select(ExamSite.site_id).where(ExamSite.exam_plan_id == plan_id))
    title = _("Admission ticket published: %(exam)s", exam=plan.name)
    body = _("Download and print it from My exams; bring it and your ID card to the exam.")
    for start in range(0, len(users), CHUNK):
        db.session.execute(insert(Notification.__table__), [
            {"user_id": user, "title": title, "body": body, "link": "/portal/me/exams"}
            for user in users[start:start + CHUNK]])
    db.session.commit()
    return result.rowcount


def room_summary(plan_id, institution_id=None):
    """Per site, room and session: capacity, seats taken, published, invigilators and
    the room's status in this exam (排考中 until the session ends, then 已结束)."""
    q = (select(Site.name, Room.id, Room.name, Room.capacity, ExamSession.ends_at, ExamSession.id, ExamSession.name,
                func.count(SeatAssignment.id),
                func.sum(case((SeatAssignment.published.is_(True), 1), else_=0)))
         .join(Room, Room.id == SeatAssignment.room_id).join(Site, Site.id == Room.site_id, isouter=True)
         .join(ExamSession, ExamSession.id == SeatAssignment.session_id)
         .where(ExamSession.exam_plan_id == plan_id)
         .group_by(Site.name, Room.id, Room.name, Room.capacity, ExamSession.ends_at, ExamSession.id,
                   ExamSession.name)
         .order_by(Site.name, Room.name, ExamSession.id))
    if institution_id is not None:
        q = q.where(Room.institution_id == institution_id)
    staff = room_invigilators(select(ExamSession.id).where(ExamSession.exam_plan_id == plan_id))
    now = datetime.datetime.now()
    return [{"site": site, "room_id": rid, "room": rname, "capacity": cap, "session": sname, "session_id": sid,
             "status": (RoomStatus.FINISHED if ends < now else RoomStatus.SCHEDULING).value,
             "seated": n, "published": int(p or 0), "invigilators": staff.get((sid, rid), [])}
            for site, rid, rname, cap, ends, sid, sname, n, p in db.session.execute(q)]


def room_invigilators(session_ids, room_ids=None):
    """{(session id, room id): [names]} of the invigilators posted to rooms (patrol staff, who
    have no room, are not on a room's papers), in the order they were assigned."""
    query = (select(InvigilatorAssignment.session_id, InvigilatorAssignment.room_id, Invigilator.name)
             .join(Invigilator, Invigilator.id == InvigilatorAssignment.invigilator_id)
             .where(InvigilatorAssignment.session_id.in_(session_ids), InvigilatorAssignment.room_id.is_not(None),
                    InvigilatorAssignment.duty == InvigilatorDuty.INVIGILATE.value)
             .order_by(InvigilatorAssignment.id))
    if room_ids is not None:
        query = query.where(InvigilatorAssignment.room_id.in_(room_ids))
    names = defaultdict(list)
    for session_id, room_id, name in db.session.execute(query):
        names[(session_id, room_id)].append(name)
    return dict(names)


def idle_rooms(plan_id, institution_id=None):
    """Rooms of the exam's sites it does not use (未排考 in this exam)."""
    used = select(SeatAssignment.room_id).join(ExamSession, ExamSession.id == SeatAssignment.session_id) \
        .where(ExamSession.exam_plan_id == plan_id)
    q = (select(Site.name, Room.id, Room.name, Room.capacity).join(Site, Site.id == Room.site_id)
         .join(ExamSite, ExamSite.site_id == Site.id)
         .where(ExamSite.exam_plan_id == plan_id, Room.id.not_in(used)).order_by(Site.name, Room.name))
    if institution_id is not None:
        q = q.where(Room.institution_id == institution_id)
    return db.session.execute(q).all()


def patrol_staff(plan_id):
    """Per session of the exam: the names of its patrol staff."""
    out = defaultdict(list)
    for session_name, name in db.session.execute(
            select(ExamSession.name, Invigilator.name)
            .join(InvigilatorAssignment, InvigilatorAssignment.session_id == ExamSession.id)
            .join(Invigilator, Invigilator.id == InvigilatorAssignment.invigilator_id)
            .where(ExamSession.exam_plan_id == plan_id, InvigilatorAssignment.duty == InvigilatorDuty.PATROL.value)
            .order_by(ExamSession.starts_at, ExamSession.id, Invigilator.name)):
        out[session_name].append(name)
    return dict(out)


def seat_list(plan_id, room_id):
    """The seats of one room in the plan: (session, seat, ticket, candidate name, published)."""
    return db.session.execute(
        select(ExamSession.name, SeatAssignment.seat_no, SeatAssignment.ticket_no, Person.name,
               SeatAssignment.published)
        .join(ExamSession, ExamSession.id == SeatAssignment.session_id)
        .join(Registration, Registration.id == SeatAssignment.registration_id)
        .join(Person, Person.id == Registration.person_id)
        .where(ExamSession.exam_plan_id == plan_id, SeatAssignment.room_id == room_id)
        .order_by(ExamSession.starts_at, ExamSession.id, SeatAssignment.seat_no)).all()
