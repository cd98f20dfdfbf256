"""The one workflow engine.  Matter types (app/matters/) declare states and
transitions as data; ``apply`` checks state, role, applicant/assignee and
opinion inside one transaction (row lock on PostgreSQL), writes the history
row, updates stage/status/due date, runs the effects and notifies the people
concerned."""
import datetime
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask_appbuilder.security.sqla.models import Role
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db, dialect_insert
from app.roles import CANDIDATE, INSTITUTION
from app.scoping import role_names, sees_all
from app.services import notifications
from app.workdays import add_workdays
from models import BusinessNumberCounter, Matter, MatterHistory, PlatformUser, SequenceCounter
from models import MatterType as MatterTypeRow
from models.enums import MatterStatus


class WorkflowError(Exception):
    """A refused transition; ``str()`` is a translated message for the user."""


@dataclass(frozen=True)
class State:
    code: str
    label: object
    status: MatterStatus


@dataclass(frozen=True)
class T:
    """A transition: name, from-state(s), to-state, who may take it."""
    name: str
    label: object
    source: tuple
    target: str
    roles: frozenset = frozenset()
    applicant_only: bool = False
    assignee_only: bool = False
    opinion: bool = False
    effects: tuple = ()
    # the payload key naming the institution that acts at this stage (default: the matter's)
    institution_key: str = None
    # the payload key listing the user ids who may take it (G2, G4: the teachers still to confirm)
    actors_key: str = None
    # the applicant may take it too (G4: the institution that reported a plan terminates or finishes it)
    applicant_may: bool = False

    def __post_init__(self):
        if isinstance(self.source, str):
            object.__setattr__(self, "source", (self.source,))
        object.__setattr__(self, "roles", frozenset(self.roles))


@dataclass
class MatterType:
    code: str
    name: object
    category: str
    deadline_workdays: object  # int or None
    states: list
    transitions: list
    initial: str = "draft"
    online_entry: str = None
    filers: frozenset = frozenset()  # roles that may file it (staff roles may file any)
    # link(matter, user) -> the page a notification opens for that user, or None for the default
    link: object = None
    _states: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self._states = {s.code: s for s in self.states}
        for t in self.transitions:
            unknown = set(t.source + (t.target,)) - set(self._states)
            assert not unknown, f"{self.code}.{t.name}: unknown states {unknown}"

    def state(self, code):
        return self._states[code]

    def transition(self, name):
        for t in self.transitions:
            if t.name == name:
                return t
        return None


REGISTRY = {}


def stage_label(code):
    """Translated label of a stage code, whatever the matter type."""
    for mtype in REGISTRY.values():
        if code in mtype._states:
            return mtype.state(code).label
    return code


def transition_names():
    """Every transition name with its label, once (the back office's actions)."""
    seen = {}
    for mtype in REGISTRY.values():
        for t in mtype.transitions:
            seen.setdefault(t.name, t)
    return seen


def register(matter_type):
    REGISTRY[matter_type.code] = matter_type
    return matter_type


def matter_type_of(matter):
    return REGISTRY[matter.type_code]


# --- business numbers ---------------------------------------------------------------
def next_counter(table, key_column, key):
    """The next value of a counter row, created at 1: one atomic upsert (no read-then-write race); the
    row stays locked until the caller's transaction ends, so numbers are unique under concurrency."""
    stmt = dialect_insert(table).values({key_column: key, "last_value": 1})
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[key_column]], set_={"last_value": table.c.last_value + 1}
    ).returning(table.c.last_value)
    return db.session.execute(stmt).scalar_one()


def next_sequence(key):
    """The next number of a numbering scheme (G2 filing numbers, G4 plan numbers), from 1."""
    return next_counter(SequenceCounter.__table__, "key", key)


def allocate_business_no(moment=None):
    """``yyyymmddHH`` + 4-digit sequence, unique under concurrency (the hour's counter row)."""
    moment = moment or datetime.datetime.now()
    hour_key = moment.strftime("%Y%m%d%H")
    seq = next_counter(BusinessNumberCounter.__table__, "hour_key", hour_key)
    if seq > 9999:
        raise WorkflowError(str(_l("Too many matters this hour; please try again later.")))
    return f"{hour_key}{seq:04d}"


# --- creating and moving matters -----------------------------------------------------
def matters_about(type_code, obj):
    """The matters of ``type_code`` about the row ``obj`` (a select, newest first)."""
    return select(Matter).where(Matter.type_code == type_code, Matter.object_type == type(obj).__name__,
                                Matter.object_id == obj.id).order_by(Matter.id.desc())


def latest_matter(type_code, obj):
    """The newest matter of ``type_code`` about ``obj``, or None."""
    if obj is None or obj.id is None:
        return None
    return db.session.scalar(matters_about(type_code, obj).limit(1))


def open_matter(type_code, obj, other_than=None):
    """The matter of ``type_code`` about ``obj`` still in progress (other than matter ``other_than``), or None."""
    stmt = matters_about(type_code, obj).where(Matter.status == MatterStatus.IN_PROGRESS.value)
    if other_than is not None:
        stmt = stmt.where(Matter.id != other_than)
    return db.session.scalar(stmt.limit(1))


def object_of(matter, model):
    """The ``model`` row the matter is about, or None (another kind of object, or none)."""
    if matter is None or matter.object_type != model.__name__:
        return None
    return db.session.get(model, matter.object_id)


def _new_matter(mtype, filer, title, institution_id, obj, payload, **fields):
    """A matter of ``mtype`` at its initial stage, filed by ``filer`` (refused: WorkflowError)."""
    if not may_file(mtype, filer):
        raise WorkflowError(str(_l("You may not file this kind of matter.")))
    return Matter(
        type_code=mtype.code,
        title=str(title),
        state=mtype.initial,
        status=mtype.state(mtype.initial).status.value,
        applicant_id=filer.id,
        institution_id=institution_id if institution_id is not None else filer.institution_id,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=getattr(obj, "id", None),
        payload=payload or {},
        **fields,
    )


def create_matter(type_code, applicant, title, institution_id=None, obj=None, payload=None, commit=True):
    matter = _new_matter(REGISTRY[type_code], applicant, title, institution_id, obj, payload,
                         business_no=allocate_business_no())
    db.session.add(matter)
    if commit:
        db.session.commit()
    return matter


def _acting_institution(t, matter):
    if t.institution_key:
        return (matter.payload or {}).get(t.institution_key)
    return matter.institution_id


def _may_take(t, matter, user):
    """Role, applicant/assignee and institution checks for one transition."""
    names = role_names(user)
    if t.applicant_only:
        return matter.applicant_id == user.id
    if matter.applicant_id == user.id and not t.applicant_may:
        return False  # nobody reviews their own application
    if not (t.roles & names):
        return False
    if t.assignee_only and matter.assignee_id != user.id:
        return False
    if t.actors_key and user.id not in (matter.payload or {}).get(t.actors_key, ()):
        return False
    if INSTITUTION in t.roles and not sees_all(user) and not (t.roles & names - {INSTITUTION}):
        return user.institution_id is not None and _acting_institution(t, matter) == user.institution_id
    return True


def may_file(mtype, user):
    """Whether ``user`` may open a matter of this type (staff may file any)."""
    return sees_all(user) or bool(mtype.filers & role_names(user))


def available_transitions(matter, user):
    mtype = matter_type_of(matter)
    return [t for t in mtype.transitions if matter.state in t.source and _may_take(t, matter, user)]


def concerned_users(matter, actor):
    """Applicant, assignee, and whoever may act on the matter's new state."""
    users = {matter.applicant, matter.assignee}
    mtype = matter_type_of(matter)
    roles = set()
    for t in mtype.transitions:
        if matter.state in t.source and not t.applicant_only and not t.assignee_only:
            roles |= t.roles
    if roles:
        query = db.session.query(PlatformUser).filter(PlatformUser.active.is_(True)).options(
            joinedload(PlatformUser.roles))
        for user in query.filter(PlatformUser.roles.any(Role.name.in_(roles))):
            if any(_may_take(t, matter, user) for t in mtype.transitions if matter.state in t.source):
                users.add(user)
    users.discard(None)
    return [u for u in users if u.id != actor.id]


def _lock(matter_id):
    stmt = select(Matter).where(Matter.id == matter_id)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return db.session.execute(stmt).scalar_one_or_none()


@contextmanager
def unit():
    """Rows written and transitions taken (``take``) that land together or not at all: commits at the end,
    rolls back on any error, and sends the notifications only once committed.  The caller adds ``take``'s
    deliveries to the yielded list."""
    deliveries = []
    try:
        yield deliveries
        db.session.flush()
        ids = [item.id for item in deliveries]  # known now: no reload of each row once committed
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    notifications.dispatch(ids)


def apply(matter_id, transition_name, user, opinion=None, attachment_id=None):
    """Take one transition; raises WorkflowError (nothing written) when refused."""
    with unit() as deliveries:
        matter, sent = take(matter_id, transition_name, user, opinion, attachment_id)
        deliveries += sent
    return matter


def take(matter_id, transition_name, user, opinion=None, attachment_id=None):
    """``apply`` inside the caller's transaction (a payment hook, F2): the same checks, history and
    effects, but no commit; returns ``(matter, deliveries)`` for the caller to dispatch after it commits."""
    from app.audit import actor_var

    token = actor_var.set(user)  # the audit log names the actor, also outside a request
    try:
        matter = _lock(matter_id)
        if matter is None:
            raise WorkflowError(str(_l("The matter does not exist.")))
        mtype = matter_type_of(matter)
        t = mtype.transition(transition_name)
        if t is None:
            raise WorkflowError(str(_l("Unknown operation.")))
        if matter.state not in t.source:
            raise WorkflowError(str(_l('Matter %(no)s is at stage "%(stage)s"; "%(op)s" is not possible now.',
                                       no=matter.business_no, stage=mtype.state(matter.state).label, op=t.label)))
        if not _may_take(t, matter, user):
            raise WorkflowError(str(_l('You may not take "%(op)s" on matter %(no)s.',
                                       op=t.label, no=matter.business_no)))
        opinion = (opinion or "").strip() or None
        if t.opinion and not opinion:
            raise WorkflowError(str(_l('"%(op)s" needs an opinion.', op=t.label)))
        _move(matter, mtype, t, user, opinion, attachment_id)
        deliveries = []
        for effect in t.effects:  # an effect may return deliveries of its own notifications
            deliveries += effect(matter, t, user) or []
        deliveries += _notify_moved(matter, mtype, t, concerned_users(matter, user), opinion)
        db.session.flush()
    finally:
        actor_var.reset(token)
    return matter, deliveries


def _notify_moved(matter, mtype, t, users, opinion=None):
    """The people concerned by the stage a transition reached are told (their deliveries)."""
    return notifications.notify(
        users, _l("Matter %(no)s: %(op)s", no=matter.business_no, op=t.label),
        _l('"%(title)s" is now at stage "%(stage)s".', title=matter.title, stage=mtype.state(matter.state).label)
        + (f" {opinion}" if opinion else ""),
        link=lambda u: matter_link(matter, u))


def file(type_code, applicant, title, transition_name, institution_id=None, obj=None, payload=None):
    """``create_matter`` and its first transition (``submit``) in one transaction, committed: the same
    checks, history, effects and notifications as ``apply``, but written in one flush, and the locks taken
    late.  The people concerned by the new stage are read first, then the effects (a seat's conditional
    UPDATE) and the business number's counter take their row locks (in the order a batch filing takes them,
    D7), and the commit follows at once, so that concurrent filers queue only for those few statements.
    Raises WorkflowError (nothing written)."""
    from app.audit import actor_var

    mtype = REGISTRY[type_code]
    t = mtype.transition(transition_name)
    if t is None or mtype.initial not in t.source:  # a caller's mistake: before any matter exists
        raise WorkflowError(str(_l("Unknown operation.")))
    matter = _new_matter(mtype, applicant, title, institution_id, obj, payload, applicant=applicant)
    if not _may_take(t, matter, applicant):
        raise WorkflowError(str(_l('You may not take "%(op)s" on matter %(no)s.', op=t.label, no="")))
    token = actor_var.set(applicant)
    try:
        with unit() as deliveries, db.session.no_autoflush:
            db.session.add(matter)
            _move(matter, mtype, t, applicant, None, None)  # reads the calendar for the due date
            concerned = concerned_users(matter, applicant)
            for effect in t.effects:  # a seat's conditional UPDATE: refused before a number is spent
                deliveries += effect(matter, t, applicant) or []
            matter.business_no = allocate_business_no()  # the counter row stays locked until the commit
            db.session.flush()  # the matter's id, for the links of its notifications
            deliveries += _notify_moved(matter, mtype, t, concerned)
    finally:
        actor_var.reset(token)
    return matter


ASSIGN = "assign"
# history rows the engine writes beside the transitions
OPERATION_LABELS = {ASSIGN: _l("Assign an expert")}


def operation_label(name):
    """The label of a history row's operation: a transition's, or an engine operation's (assign)."""
    t = transition_names().get(name)
    return t.label if t is not None else OPERATION_LABELS.get(name, name)


def assignable(matter):
    """Whether the matter's current stage is taken by its assignee (专家评价, F3)."""
    return any(matter.state in t.source and t.assignee_only for t in matter_type_of(matter).transitions)


def assign(matter_id, assignee, user, opinion=None):
    """Assign the matter's current stage to ``assignee`` (who then takes its assignee-only transitions):
    the engine's history row "assign" and the assignee's notification (H3); raises WorkflowError, nothing
    written.  Who may assign whom is the caller's rule (app/services/expert_review.py)."""
    from app.audit import actor_var

    token = actor_var.set(user)
    try:
        matter = _lock(matter_id)
        if matter is None:
            raise WorkflowError(str(_l("The matter does not exist.")))
        mtype = matter_type_of(matter)
        stage = [t for t in mtype.transitions if matter.state in t.source and t.assignee_only]
        if not stage:
            raise WorkflowError(str(_l('Matter %(no)s is at stage "%(stage)s"; it cannot be assigned now.',
                                       no=matter.business_no, stage=mtype.state(matter.state).label)))
        if assignee is None or not assignee.active or not any(t.roles & role_names(assignee) for t in stage) \
                or assignee.id == matter.applicant_id:
            raise WorkflowError(str(_l("This user may not handle matter %(no)s.", no=matter.business_no)))
        if matter.assignee_id == assignee.id:
            raise WorkflowError(str(_l("Matter %(no)s is assigned to this user already.", no=matter.business_no)))
        matter.assignee = assignee
        db.session.add(MatterHistory(matter=matter, transition=ASSIGN, from_state=matter.state,
                                     to_state=matter.state, actor_id=user.id, at=datetime.datetime.now(),
                                     opinion=(opinion or "").strip() or None))
        deliveries = notifications.notify(
            [assignee], _l("Matter %(no)s: assigned to you", no=matter.business_no),
            _l('"%(title)s" is assigned to you for "%(stage)s".', title=matter.title,
               stage=mtype.state(matter.state).label),
            link=lambda u: matter_link(matter, u))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        actor_var.reset(token)
    notifications.dispatch(deliveries)
    return matter


def matter_link(matter, user):
    """Back-office users open the matter; portal users (candidates) its page in 我的事项 (F8); a type may
    send some users to its own screen (a teacher to the confirmation, G2)."""
    own = matter_type_of(matter).link
    url = own(matter, user) if own is not None else None
    if url:
        return url
    return f"/portal/me/matters/{matter.id}" if role_names(user) <= {CANDIDATE} else f"/matterview/show/{matter.id}"


def _move(matter, mtype, t, user, opinion, attachment_id):
    now = datetime.datetime.now()
    from_state = matter.state
    new_state = mtype.state(t.target)
    was_draft = matter.status == MatterStatus.DRAFT.value
    matter.state = new_state.code
    matter.status = new_state.status.value
    if was_draft and new_state.status == MatterStatus.IN_PROGRESS:
        matter.filed_at = now
        # a matter may carry its own deadline (an exam's review days), else its type's
        deadline = (matter.payload or {}).get("deadline_workdays") or deadline_of(mtype.code)
        if deadline:
            matter.due_date = add_workdays(now.date(), deadline)
    if new_state.status == MatterStatus.COMPLETED:
        matter.completed_at = now
    elif new_state.status == MatterStatus.DRAFT:
        matter.filed_at = matter.due_date = None
    db.session.add(MatterHistory(matter=matter, transition=t.name, from_state=from_state,
                                 to_state=new_state.code, actor_id=user.id, at=now,
                                 opinion=opinion, attachment_id=attachment_id))


def sync_catalogue():
    """Write the declared matter types into the catalogue table (names, deadlines
    stay editable there; new types are added)."""
    for mtype in REGISTRY.values():
        row = db.session.get(MatterTypeRow, mtype.code)
        if row is None:
            db.session.add(MatterTypeRow(code=mtype.code, name=str(mtype.name), category=mtype.category,
                                         deadline_workdays=mtype.deadline_workdays,
                                         online_entry=mtype.online_entry, enabled=True))
    db.session.commit()


def deadline_of(matter_type_code):
    row = db.session.get(MatterTypeRow, matter_type_code)
    return row.deadline_workdays if row else REGISTRY[matter_type_code].deadline_workdays
