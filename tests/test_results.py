"""Results (SPEC E1, issue 6, first step): weighted totals and the pass rule."""
from decimal import Decimal

import pytest

from app.extensions import db
from app.services import results
from models import ExamPlan, ExamResult, Person, Registration, Score, Subject
from tests.portal_helpers import new_id_number, new_phone
from tests.registration_helpers import make_exam

HALF = [(1, 50, 100, 60), (2, 50, 100, 60)]


@pytest.mark.parametrize("scores, pass_total, expected", [
    ({1: (80, False), 2: (70, False)}, None, (Decimal("75.00"), True)),
    ({1: (90, False), 2: (59, False)}, None, (Decimal("74.50"), False)),    # one subject under its minimum
    ({1: (61, False), 2: (61, False)}, Decimal("65"), (Decimal("61.00"), False)),  # the total rule
    ({1: (85, False), 2: (None, True)}, None, (Decimal("42.50"), False)),   # 缺考 counts 0 and fails
    ({1: (85, False)}, None, (Decimal("42.50"), False)),                    # no score yet
    ({1: (Decimal("60.5"), False), 2: (Decimal("60.25"), False)}, None, (Decimal("60.38"), True)),
])
def test_fifty_fifty(scores, pass_total, expected):
    assert results.decide(HALF, scores, pass_total) == expected


def test_one_subject_of_weight_100_and_other_full_marks():
    assert results.decide([(7, 100, 100, 60)], {7: (60, False)}) == (Decimal("60.00"), True)
    assert results.decide([(7, 100, 150, 90)], {7: (120, False)}) == (Decimal("80.00"), True)
    assert results.decide([(7, 100, 150, 90)], {7: (89, False)}, Decimal("50")) == (Decimal("59.33"), False)
    # no per-subject minimum (pass mark 0): only the total decides
    assert results.decide([(1, 50, 100, 0), (2, 50, 100, 0)], {1: (100, False), 2: (30, False)},
                          Decimal("60")) == (Decimal("65.00"), True)


def test_compute_stores_one_result_per_registration_and_updates_it(app):
    exam = make_exam(app)
    with app.app_context():
        plan = db.session.get(ExamPlan, exam["id"])
        plan.pass_total = Decimal("60")
        theory, practice = (db.session.get(Subject, s) for s in exam["subjects"])
        regs = []
        for k, (a, b) in enumerate(((80, 70), (90, 40))):
            person = Person(name=f"成绩考生{k}", id_type="resident", phone=new_phone(), source="social")
            person.set_id_number(new_id_number())
            db.session.add(person)
            db.session.flush()
            reg = Registration(exam_plan_id=plan.id, person_id=person.id, status="registered", category="first")
            db.session.add(reg)
            db.session.flush()
            db.session.add_all([Score(registration_id=reg.id, subject_id=theory.id, score=a),
                                Score(registration_id=reg.id, subject_id=practice.id, score=b)])
            regs.append(reg.id)
        db.session.commit()
        assert results.compute(plan.id) == 2
        got = {r.registration_id: (r.total, r.passed) for r in db.session.query(ExamResult)
               .filter(ExamResult.registration_id.in_(regs))}
        assert got == {regs[0]: (Decimal("75.00"), True), regs[1]: (Decimal("65.00"), False)}
        # a changed score (e.g. after a re-check) changes the result, with no second row
        db.session.query(Score).filter_by(registration_id=regs[1], subject_id=practice.id).update({"score": 60})
        db.session.commit()
        results.compute(plan.id)
        assert db.session.query(ExamResult).filter_by(registration_id=regs[1]).count() == 1
        result = db.session.query(ExamResult).filter_by(registration_id=regs[1]).one()
        assert (result.total, result.passed) == (Decimal("75.00"), True)


def test_the_plan_form_takes_the_total_pass_mark(app, login):
    exam = make_exam(app)
    page = login("association").get(f"/examplanview/edit/{exam['id']}")
    assert page.status_code == 200 and "加权总分合格线" in page.text and 'name="pass_total"' in page.text
    assert 'name="results_published_at"' in page.text and 'name="recheck_until"' in page.text  # E1, E3


def test_make_up_candidates_count_only_the_subjects_they_sit(app):
    """补考: a registration for practice only (weight 50) has practice count 100 of the total."""
    from models import RegistrationSubject
    from tests.results_helpers import new_person, sat_exam, seat

    exam = sat_exam(app)
    theory, practice = exam["subjects"]
    reg, _ = seat(app, exam, new_person(app))
    with app.app_context():
        db.session.add(RegistrationSubject(registration_id=reg, subject_id=practice))
        db.session.add(Score(registration_id=reg, subject_id=practice, score=70))
        db.session.commit()
        results.compute(exam["id"])
        result = db.session.query(ExamResult).filter_by(registration_id=reg).one()
        assert (result.total, result.passed) == (Decimal("70.00"), True)
    assert results.subjects_sat(HALF, {1, 2}) == HALF and results.subjects_sat(HALF, None) == HALF
