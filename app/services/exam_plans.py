"""Exam plans (SPEC B1, B2, B4, B5): subjects with weights that add up to 100 %,
the material sections an exam requires and the categories it offers."""
import re

from flask_babel import lazy_gettext as _l

from models import Subject

LINE = re.compile(r"^(?P<name>[^\s:：]{1,64})[\s:：]+(?P<weight>\d{1,3})\s*%?$")


class PlanError(ValueError):
    """A refused plan; ``str()`` names the line or field."""


def parse_subjects(text):
    """"理论 50\\n实操 50" -> [(name, weight)], the weights adding up to 100."""
    subjects = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = LINE.match(line)
        if not match or not 0 < int(match["weight"]) <= 100:
            raise PlanError(str(_l('Subjects, line %(n)d: write a name and a weight from 1 to 100, e.g. "理论 50".',
                                   n=number)))
        if match["name"] in {name for name, _w in subjects}:
            raise PlanError(str(_l("Subjects, line %(n)d: %(name)s appears twice.", n=number, name=match["name"])))
        subjects.append((match["name"], int(match["weight"])))
    check_weights([w for _n, w in subjects])
    return subjects


def check_weights(weights):
    if not weights:
        raise PlanError(str(_l("An exam needs at least one subject.")))
    if sum(weights) != 100:
        raise PlanError(str(_l("The subject weights add up to %(total)d %%; they must add up to 100 %%.",
                               total=sum(weights))))


def format_subjects(plan):
    return "\n".join(f"{s.name} {s.weight}" for s in plan.subjects)


def set_subjects(plan, parsed):
    """Keep the rows of subjects still named (their scores refer to them), add and drop the others."""
    existing = {s.name: s for s in plan.subjects}
    kept = []
    for name, weight in parsed:
        subject = existing.get(name) or Subject(name=name)
        subject.weight = weight
        kept.append(subject)
    plan.subjects = kept
