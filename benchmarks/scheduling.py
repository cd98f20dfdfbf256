"""Scheduling speed (issue 5, Speed): 100,000 paid registrations into 3,000 rooms
under 10 s, and 200,000 (into 6,000 rooms: the same rooms per candidate) under
2.2x the time of 100,000; peak memory of each run.

What is measured: the in-memory core (seats, invigilators and patrol staff,
ticket numbers) plus the bulk write of every seat and duty row into a scratch
SQLite file database holding the real seat_assignment and invigilator_assignment
tables.  Each size runs in a fresh process (its own peak RSS).

    PYTHONPATH=. .venv/bin/python benchmarks/scheduling.py
"""
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("INSTANCE_DIR", tempfile.mkdtemp(prefix="bench-"))

ROOMS_PER_100K = 3000
CAPACITY = 40          # 3,000 rooms x 40 = 120,000 seats for 100,000 candidates
SITES_PER_100K = 100   # 30 rooms a site
INSTITUTIONS = 200
INVIGILATORS_PER_ROOM = 2.6  # enough for two a room plus patrol staff, from other institutions


def synthetic(n):
    rng = random.Random(n)
    n_rooms = ROOMS_PER_100K * n // 100_000
    n_sites = SITES_PER_100K * n // 100_000
    rooms = [(r + 1, r % n_sites + 1, CAPACITY) for r in range(n_rooms)]
    per_site = n // n_sites
    candidates = [(i + 1, i // per_site + 1 if i // per_site < n_sites else n_sites, rng.randrange(INSTITUTIONS), (1,))
                  for i in range(n)]
    invigilators = [(v + 1, rng.randrange(INSTITUTIONS)) for v in range(int(n_rooms * INVIGILATORS_PER_ROOM))]
    return candidates, rooms, invigilators


def one(n):
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from app.services import scheduling as sch
    from models import InvigilatorAssignment, SeatAssignment

    candidates, rooms, invigilators = synthetic(n)
    path = os.path.join(tempfile.mkdtemp(prefix="bench-sched-"), "scratch.db")
    engine = create_engine(f"sqlite:///{path}")
    SeatAssignment.__table__.create(engine)
    InvigilatorAssignment.__table__.create(engine)
    connection = engine.connect()
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # the parent rows (rooms, people) are not built here

    started = time.perf_counter()
    seats = sch.assign_seats(candidates, rooms, mode=sch.SPREAD)
    institution_of = {c[0]: c[2] for c in candidates}
    site_of_room = {r[0]: r[1] for r in rooms}
    room_sessions = {}
    for reg, session_id, room, _seat in seats:
        room_sessions.setdefault((session_id, room), (site_of_room[room], set()))[1].add(institution_of[reg])
    duties, shortfalls = sch.assign_invigilators(room_sessions, invigilators, 2, True, 10)
    core = time.perf_counter() - started
    with Session(connection) as session:
        sch.write_seats(session, 1, seats)
        for start in range(0, len(duties), sch.CHUNK):
            session.execute(InvigilatorAssignment.__table__.insert(), [
                {"session_id": s, "room_id": r, "invigilator_id": i, "duty": d}
                for s, r, i, d in duties[start:start + sch.CHUNK]])
        session.commit()
    total = time.perf_counter() - started
    with Session(connection) as session:
        written = session.scalar(select(func.count()).select_from(SeatAssignment))
    assert written == n, (written, n)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n": n, "rooms": len(rooms), "seconds": total, "core_seconds": core, "duties": len(duties),
            "missing_invigilators": sum(f[2] for f in shortfalls), "peak_mb": peak_mb}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]))))
        return
    print("Scheduling: in-memory core (seats, invigilators, patrol, tickets) + bulk insert of every row")
    print("into a scratch SQLite file DB (real seat_assignment / invigilator_assignment tables).")
    results = {}
    for n in (100_000, 200_000):
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True,
                             check=True, env={**os.environ, "PYTHONPATH": ROOT})
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results[n] = r
        print(f"{n:>7,} registrations into {r['rooms']:,} rooms: {r['seconds']:.2f} s "
              f"(core {r['core_seconds']:.2f} s, write {r['seconds'] - r['core_seconds']:.2f} s), "
              f"{r['duties']:,} duties, {r['missing_invigilators']} posts unfilled, peak RSS {r['peak_mb']:.0f} MB")
    ratio = results[200_000]["seconds"] / results[100_000]["seconds"]
    t100 = results[100_000]["seconds"]
    print(f"100k: {t100:.2f} s (target < 10 s: {'OK' if t100 < 10 else 'MISSED'})")
    print(f"ratio 200k/100k: {ratio:.2f} (target < 2.2: {'OK' if ratio < 2.2 else 'MISSED'})")


if __name__ == "__main__":
    main()
