"""Reference data every installation needs: administrative divisions and
the matter-type catalogue.  Idempotent."""
import csv
import os

from app.extensions import db
from models import CourseCategory, Major, Region

MAJOR_CATALOGUE_VERSION = "2012"

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")


def load_regions():
    base = os.path.join(DATA_DIR, "divisions")
    rows = []
    for filename, level, parent in (("provinces.csv", 1, None), ("cities.csv", 2, "provinceCode"),
                                    ("areas.csv", 3, "cityCode")):
        with open(os.path.join(base, filename), encoding="utf-8") as fh:
            for rec in csv.DictReader(fh):
                rows.append({"code": rec["code"], "name": rec["name"], "level": level,
                             "parent_code": rec[parent] if parent else None})
    existing = {code for (code,) in db.session.query(Region.code)}
    new = [r for r in rows if r["code"] not in existing]
    # parents first, so the foreign keys hold on every database
    for level in (1, 2, 3):
        batch = [r for r in new if r["level"] == level]
        if batch:
            db.session.execute(Region.__table__.insert(), batch)
    db.session.commit()
    return len(new)


def load_majors():
    """A8: the engineering majors with their former names (app/data/majors.csv)."""
    existing = {code for (code,) in db.session.query(Major.code).filter_by(version=MAJOR_CATALOGUE_VERSION)}
    with open(os.path.join(DATA_DIR, "majors.csv"), encoding="utf-8") as fh:
        new = [{"code": r["code"], "name": r["name"], "old_name": r["old_name"] or None, "family": r["family"],
                "level": "undergraduate", "version": MAJOR_CATALOGUE_VERSION}
               for r in csv.DictReader(fh) if r["code"] not in existing]
    if new:
        db.session.execute(Major.__table__.insert(), new)
    db.session.commit()
    return len(new)


def load_course_categories():
    """G1: the three-level course category tree (app/data/course_categories.csv); adds what is missing."""
    existing = {(parent_id, name): cid for cid, parent_id, name in
                db.session.query(CourseCategory.id, CourseCategory.parent_id, CourseCategory.name)}
    added = 0
    with open(os.path.join(DATA_DIR, "course_categories.csv"), encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            parent_id = None
            for level, name in enumerate((rec["level1"], rec["level2"], rec["level3"]), start=1):
                if (parent_id, name) not in existing:
                    node = CourseCategory(name=name, level=level, parent_id=parent_id)
                    db.session.add(node)
                    db.session.flush()
                    existing[(parent_id, name)] = node.id
                    added += 1
                parent_id = existing[(parent_id, name)]
    db.session.commit()
    return added


def load_all():
    import app.matters  # noqa: F401
    from app.workflow import sync_catalogue

    added = load_regions()
    load_majors()
    load_course_categories()
    sync_catalogue()
    return added
