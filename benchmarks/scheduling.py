"""Scheduling speed (issue 5, Speed): 100,000 paid registrations into 3,000 rooms
under 10 s, and 200,000 (into 6,000 rooms: the same rooms per candidate) under
2.2x the time of 100,000; peak memory of each run.

What is measured: ``app.services.scheduling.schedule`` end to end, exactly as
the job runs it, on a scratch SQLite database built by the migrations and
filled with institutions, sites, rooms, people, paid registrations and
invigilators: loading the registrations, the time-clash checks, the core
(seats, invigilators and patrol staff, ticket numbers), the bulk write of every
seat and duty row and the room statuses.  Each size runs in a fresh process
(its own database and peak RSS); building the data is not timed.

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


def build(n):
    """The exam with its sites, rooms, paid registrations and invigilators, by bulk inserts."""
    import datetime
    from decimal import Decimal

    from sqlalchemy import insert

    from app.extensions import db
    from models import ExamPlan, ExamSite, Institution, Invigilator, Person, Registration, Room, Site

    rng = random.Random(n)
    n_rooms, n_sites = ROOMS_PER_100K * n // 100_000, SITES_PER_100K * n // 100_000
    now = datetime.datetime.now()
    db.session.execute(insert(Institution), [{"id": i + 1, "name": f"基准机构{i}"} for i in range(INSTITUTIONS)])
    day = datetime.timedelta(days=1)
    plan = ExamPlan(name="排考基准", reg_start=now - 30 * day, reg_end=now - day, exam_start=now + 10 * day,
                    exam_end=now + 10 * day + datetime.timedelta(hours=3), fee=Decimal("100"))
    db.session.add(plan)
    db.session.flush()
    db.session.execute(insert(Site), [{"id": s + 1, "code": f"B{s:05d}", "name": f"基准站点{s}",
                                       "institution_id": s % INSTITUTIONS + 1, "status": "approved"}
                                      for s in range(n_sites)])
    db.session.execute(insert(ExamSite), [{"id": s + 1, "exam_plan_id": plan.id, "site_id": s + 1, "quota": n}
                                          for s in range(n_sites)])
    db.session.execute(insert(Room), [{"institution_id": r % n_sites % INSTITUTIONS + 1, "site_id": r % n_sites + 1,
                                       "name": f"基准考场{r}", "capacity": CAPACITY} for r in range(n_rooms)])
    per_site = n // n_sites
    for start in range(0, n, 20_000):
        rows = range(start, min(n, start + 20_000))
        db.session.execute(insert(Person), [{"id": i + 1, "name": f"考生{i}", "id_number_enc": "-",
                                             "id_number_hash": f"{i:064d}", "id_number_masked": "-",
                                             "institution_id": rng.randrange(INSTITUTIONS) + 1} for i in rows])
        db.session.execute(insert(Registration), [
            {"exam_plan_id": plan.id, "person_id": i + 1, "exam_site_id": min(i // per_site, n_sites - 1) + 1,
             "status": "registered", "category": "first", "seat_held": True} for i in rows])
    db.session.execute(insert(Invigilator), [
        {"institution_id": rng.randrange(INSTITUTIONS) + 1, "staff_no": f"J{v:06d}", "name": f"监考{v}"}
        for v in range(int(n_rooms * INVIGILATORS_PER_ROOM))])
    db.session.commit()
    return plan.id, n_rooms


def one(n):
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.services import scheduling as sch
    from models import SeatAssignment

    app = create_app()
    with app.test_request_context():
        upgrade()
        plan_id, n_rooms = build(n)
        started = time.perf_counter()
        summary = sch.schedule(plan_id)
        total = time.perf_counter() - started
        written = db.session.scalar(select(func.count()).select_from(SeatAssignment))
        assert written == n == summary["placed"], (written, n, summary)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n": n, "rooms": n_rooms, "seconds": total, "duties": summary["duties"],
            "missing_invigilators": summary["missing_invigilators"], "peak_mb": peak_mb}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]))))
        return
    print("Scheduling: app.services.scheduling.schedule end to end on a scratch SQLite database")
    print("(load registrations, clash checks, seats, invigilators, patrol, tickets, bulk write, room status).")
    results = {}
    for n in (100_000, 200_000):
        env = {**os.environ, "PYTHONPATH": ROOT, "INSTANCE_DIR": tempfile.mkdtemp(prefix="bench-sched-")}
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True,
                             check=True, env=env)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results[n] = r
        print(f"{n:>7,} registrations into {r['rooms']:,} rooms: {r['seconds']:.2f} s, "
              f"{r['duties']:,} duties, {r['missing_invigilators']} posts unfilled, peak RSS {r['peak_mb']:.0f} MB")
    ratio = results[200_000]["seconds"] / results[100_000]["seconds"]
    t100 = results[100_000]["seconds"]
    print(f"100k: {t100:.2f} s (target < 10 s: {'OK' if t100 < 10 else 'MISSED'})")
    print(f"ratio 200k/100k: {ratio:.2f} (target < 2.2: {'OK' if ratio < 2.2 else 'MISSED'})")


if __name__ == "__main__":
    main()
