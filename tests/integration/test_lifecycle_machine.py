"""Random commands in random order against ComplaintsApp: refusals record nothing, status ≡ history.

The status is checked against a fold over ``app.history`` written here, and every history is checked
against the workflow's rules (docs/design.md §1) independently of the aggregate. The persisted variants put
the same histories into a real SQLite file and a real PostgreSQL database and rebuild them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from application.calendar_loader import load_calendar
from application.clock import SettableClock
from application.complaints import ComplaintsApp
from application.persistence import parse_database_url
from application.store import CommandResult
from domain.complaint import Complaint
from domain.errors import ComplaintError
from domain.roster import SigningMode
from domain.rules import ClockKind, Limits, deadline_for
from domain.values import (
    SYSTEM_ACTOR,
    Actor,
    Channel,
    Classification,
    Complainant,
    ComplainantType,
    Role,
    Status,
)

CST = timezone(timedelta(hours=8))
START = datetime(2025, 9, 26, 9, 0, tzinfo=CST)
CALENDAR = load_calendar(Path(__file__).resolve().parents[2] / "ops" / "calendar")
LIMITS = Limits()
POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}

DEPARTMENTS = ("market", "housing", "tax")
CLERK = Actor("clerk-1", "王窗口", Role.window_clerk)
OFFICER = Actor("officer-1", "李值班", Role.duty_officer)
LEADER = Actor("leader-1", "张带班", Role.duty_leader)
OFFICER_AS_LEADER = Actor("officer-1", "李值班", Role.duty_leader)  # one person with both roles: never both signatures
SUPERVISOR = Actor("sup-1", "周督办", Role.supervisor)
HOTLINE = Actor("hotline", "12345", Role.hotline)
DEPT = {d: Actor(f"dept-{d}", f"{d} 经办人", Role.department, department=d) for d in DEPARTMENTS}
PEOPLE = (CLERK, OFFICER, LEADER, OFFICER_AS_LEADER, SUPERVISOR, HOTLINE, *DEPT.values())
ANYONE = st.sampled_from((*PEOPLE, SYSTEM_ACTOR))
SATISFIED = 3
EVENT_TYPES = (
    "Received",
    "Classified",
    "Reclassified",
    "Signed",
    "Dispatched",
    "Consulted",
    "Resolved",
    "FedBack",
    "CalledBack",
    "Escalated",
    "SupplementAdded",
    "Withdrawn",
    "Merged",
    "Unmerged",
    "AnsweredByMaster",
    "Returned",
    "ReturnInsisted",
    "Redispatched",
    "ExtensionRequested",
    "ExtensionApproved",
    "ExtensionRefused",
    "ClockPaused",
    "ClockResumed",
)
# where a complaint may be merged from, and into: before resolution (docs/design.md §1, 并单)
BEFORE_RESOLUTION = (
    Status.received,
    Status.classified,
    Status.officer_signed,
    Status.signed,
    Status.dispatched,
    Status.consulted,
)
# events that leave the status as it is
SAME_STATUS = (
    Complaint.Escalated,
    Complaint.Returned,
    Complaint.ReturnInsisted,
    Complaint.ExtensionRequested,
    Complaint.ExtensionApproved,
    Complaint.ExtensionRefused,
    Complaint.ClockPaused,
    Complaint.ClockResumed,
    Complaint.SupplementAdded,
)

MAIN_SETTINGS = settings(
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
STORE_SETTINGS = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# ---------------------------------------------------------------------------------------- the reference fold


def next_status(  # noqa: PLR0911, PLR0912 — one per event type
    status: Status | None, event: Complaint.Event, before_merge: Status | None = None
) -> Status | None:
    """Where a complaint stands after ``event`` (docs/design.md §1), written apart from the aggregate.

    ``before_merge``: where it stood when it was merged (取消并单 goes back there).
    """
    if isinstance(event, Complaint.Merged):
        return Status.merged
    if isinstance(event, Complaint.Unmerged):
        return before_merge
    if isinstance(event, Complaint.AnsweredByMaster):
        return Status.resolved
    if isinstance(event, Complaint.Redispatched):
        return Status.dispatched
    if isinstance(event, Complaint.Received):
        return Status.received
    if isinstance(event, Complaint.Classified | Complaint.Reclassified):
        return Status.classified
    if isinstance(event, Complaint.Signed):
        return Status.officer_signed if event.signer_role is Role.duty_officer else Status.signed
    if isinstance(event, Complaint.Dispatched):
        return Status.dispatched
    if isinstance(event, Complaint.Consulted):
        return Status.consulted if status in (Status.dispatched, Status.consulted) else status
    if isinstance(event, Complaint.Resolved):
        return Status.resolved
    if isinstance(event, Complaint.FedBack):
        return Status.fed_back
    if isinstance(event, Complaint.CalledBack):
        return Status.rectifying if event.rating < SATISFIED else Status.closed
    if isinstance(event, Complaint.Withdrawn):
        return Status.withdrawn
    assert isinstance(event, SAME_STATUS), type(event)
    return status


def fold_status(events: Sequence[Complaint.Event]) -> Status | None:
    status: Status | None = None
    before_merge: Status | None = None
    for event in events:
        if isinstance(event, Complaint.Merged):
            before_merge = status
        status = next_status(status, event, before_merge)
    return status


def paused_now(events: Sequence[Complaint.Event]) -> bool:
    """Whether the resolution clock stands paused (中止) after ``events``."""
    paused = False
    for event in events:
        if isinstance(event, Complaint.ClockPaused):
            paused = True
        elif isinstance(event, Complaint.ClockResumed):
            paused = False
    return paused


def check_history(events: Sequence[Complaint.Event]) -> None:  # noqa: PLR0912 — one branch per event type
    """Every rule of the workflow, checked on a recorded history."""
    assert isinstance(events[0], Complaint.Received)
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    status: Status | None = None
    classification: Classification | None = None
    signers: list[Role] = []
    signer_ids: list[str] = []
    reclassified = False
    resolved_once = False
    departments: list[str] = []
    consulted = False
    round_ = 0
    keys: set[tuple[ClockKind, int, int]] = set()
    previous = events[0].occurred_at
    before_merge: Status | None = None
    dispatched_at: datetime | None = None
    due_at: datetime | None = None
    pending_return: str | None = None
    insisted: set[str] = set()
    pending_extension: int | None = None
    extensions = 0
    paused_at: datetime | None = None
    pauses = 0
    answered_by_master = False  # a duplicate answered with its master's result: its rectification is the window's
    for event in events:
        assert status is not Status.withdrawn  # nothing follows a withdrawal
        assert isinstance(event.actor, Actor)
        assert event.occurred_at.tzinfo is not None
        assert event.occurred_at >= previous
        previous = event.occurred_at
        if isinstance(event, Complaint.Received):
            assert event is events[0]
            assert event.content.strip()
        elif isinstance(event, Complaint.Classified):
            assert classification is None
            assert status is Status.received  # a duplicate answered by its master is past classification
            classification = event.classification
            assert (event.due_at is not None) == (classification is Classification.general)
        elif isinstance(event, Complaint.Reclassified):
            # once, from general to a complex kind, with a reason, before any resolution
            assert not reclassified
            assert not resolved_once
            assert classification is Classification.general
            assert event.from_classification is Classification.general
            assert event.to_classification.is_complex
            assert event.reason.strip()
            classification = event.to_classification
            reclassified = True
            keys = {k for k in keys if k[0] is not ClockKind.resolution}  # the complex clock is a new one
        elif isinstance(event, Complaint.Signed):
            assert classification is not None
            assert classification.is_complex
            assert not departments
            expected = (Role.duty_officer, Role.duty_leader)[len(signers)]
            assert event.signer_role is expected
            assert event.actor.role is expected
            assert event.actor.id not in signer_ids  # two different people
            signers.append(event.signer_role)
            signer_ids.append(event.actor.id)
        elif isinstance(event, Complaint.Dispatched):
            assert classification is not None
            assert signers == [Role.duty_officer, Role.duty_leader]
            assert not departments
            assert event.departments
            assert len(set(event.departments)) == len(event.departments)
            assert event.supervisor.strip()
            due = deadline_for(ClockKind.resolution, event.occurred_at, CALENDAR, LIMITS, classification)
            assert event.due_at == due.due_at
            departments = list(event.departments)
            dispatched_at, due_at = event.occurred_at, event.due_at
        elif isinstance(event, Complaint.Consulted):
            assert departments
            assert status in (Status.dispatched, Status.consulted, Status.rectifying)
            # by the people concerned; with several departments, every one of them takes part
            assert event.actor.role is Role.duty_leader or (
                event.actor.role is Role.department and event.actor.department in departments
            )
            if len(departments) > 1:
                assert set(departments) <= set(event.participants)
            consulted = True
        elif isinstance(event, Complaint.Resolved):
            assert classification is not None or answered_by_master
            assert status not in (Status.resolved, Status.fed_back, Status.closed)
            assert event.result.strip()
            assert paused_at is None  # 中止: the clock resumes before the complaint is resolved
            assert pending_return is None  # a return waits for the duty leader's decision first
            resolved_once = True
            if classification is Classification.general or answered_by_master:
                assert event.actor.role is Role.window_clerk
            else:
                assert departments
                assert event.actor.role is Role.department
                assert event.actor.department in departments
                if round_ == 0 and (len(departments) > 1 or classification is Classification.hard_to_do):
                    assert consulted
            if classification is Classification.cannot_do and not answered_by_master:
                assert event.legal_basis
                assert event.legal_basis.strip()
        elif isinstance(event, Complaint.FedBack):
            assert status is Status.resolved
        elif isinstance(event, Complaint.CalledBack):
            assert status is Status.fed_back
            assert not isinstance(event.rating, bool)
            assert 1 <= event.rating <= 5
            assert (event.rectification_due_at is not None) == (event.rating < SATISFIED)
            if event.rating < SATISFIED:
                round_ += 1
        elif isinstance(event, Complaint.SupplementAdded):
            assert status not in (Status.closed, Status.withdrawn)
            assert event.text.strip()
            assert event.source in ("hotline", "window")
        elif isinstance(event, Complaint.Withdrawn):
            assert status not in (Status.closed, Status.withdrawn)
            assert event.reason.strip()
        elif isinstance(event, Complaint.Escalated):
            assert status is not Status.withdrawn  # nothing follows a withdrawal
            assert event.actor.role is Role.system
            assert event.level >= 0  # 0: the 差评 notice; 1, 2: overdue levels
            key = (event.clock, event.level, event.round)
            assert key not in keys
            keys.add(key)
        elif isinstance(event, Complaint.Merged):
            # by the duty leader, before resolution, into another complaint
            assert event.actor.role is Role.duty_leader
            assert status in BEFORE_RESOLUTION
            assert event.master_id != event.originator_id
            assert event.reason.strip()
            assert paused_at is None
            before_merge = status
        elif isinstance(event, Complaint.Unmerged):
            assert event.actor.role is Role.duty_leader
            assert status is Status.merged
            assert event.reason.strip()
            assert event.to_status is before_merge
        elif isinstance(event, Complaint.AnsweredByMaster):
            assert event.actor.role is Role.system
            assert status is Status.merged
            assert event.result.strip()
            resolved_once = answered_by_master = True
            pending_return, pending_extension = None, None  # its own handling is over: nothing left to decide
        elif isinstance(event, Complaint.Returned):
            # by a department it is with, within the window after (re-)dispatch, once decided never again
            assert dispatched_at is not None
            assert status in (Status.dispatched, Status.consulted)
            assert event.actor.role is Role.department
            assert event.actor.department == event.department
            assert event.department in departments
            assert event.department not in insisted
            assert pending_return is None
            assert pending_extension is None
            assert paused_at is None
            assert event.reason.strip()
            assert event.occurred_at <= CALENDAR.add_working_days(dispatched_at, LIMITS.return_window).due_at
            pending_return = event.department
        elif isinstance(event, Complaint.ReturnInsisted):
            assert status is not Status.merged
            assert event.actor.role is Role.duty_leader
            assert pending_return == event.department
            assert event.opinion.strip()
            insisted.add(event.department)
            pending_return = None
        elif isinstance(event, Complaint.Redispatched):
            assert status is not Status.merged
            assert event.actor.role is Role.duty_leader
            assert pending_return is not None
            assert classification is not None
            assert event.departments
            assert len(set(event.departments)) == len(event.departments)
            due = deadline_for(ClockKind.resolution, event.occurred_at, CALENDAR, LIMITS, classification)
            assert event.due_at == due.due_at  # the deadline restarts at re-dispatch
            departments = list(event.departments)
            dispatched_at, due_at = event.occurred_at, event.due_at
            pending_return, pending_extension, insisted, consulted = None, None, set(), False
            keys = {k for k in keys if k[0] is not ClockKind.resolution}  # a new resolution clock
        elif isinstance(event, Complaint.ExtensionRequested):
            assert event.actor.role is Role.department
            assert event.department in departments
            assert status in (Status.dispatched, Status.consulted)
            assert pending_extension is None
            assert pending_return is None
            assert paused_at is None
            assert extensions < LIMITS.max_extensions
            assert due_at is not None
            assert event.occurred_at <= due_at  # before the deadline
            assert event.days >= 1
            assert event.reason.strip()
            pending_extension = event.days
        elif isinstance(event, Complaint.ExtensionApproved):
            assert status is not Status.merged
            assert event.actor.role is Role.duty_leader
            assert pending_extension == event.days
            assert event.previous_due_at == due_at
            assert event.due_at == CALENDAR.add_working_days(event.previous_due_at, event.days).due_at
            due_at, pending_extension = event.due_at, None
            extensions += 1
        elif isinstance(event, Complaint.ExtensionRefused):
            assert event.actor.role is Role.duty_leader
            assert pending_extension is not None
            assert event.reason.strip()
            pending_extension = None
        elif isinstance(event, Complaint.ClockPaused):
            assert event.actor.role is Role.department
            assert event.department in departments
            assert status in (Status.dispatched, Status.consulted)
            assert paused_at is None
            assert pending_return is None
            assert due_at is not None
            assert event.occurred_at <= due_at
            assert event.reason.strip()
            pauses += 1
            assert event.round == pauses
            assert event.pause_due_at == CALENDAR.add_working_days(event.occurred_at, LIMITS.pause).due_at
            paused_at = event.occurred_at
        elif isinstance(event, Complaint.ClockResumed):
            assert event.actor.role in (Role.window_clerk, Role.hotline)
            assert event.source == ("hotline" if event.actor.role is Role.hotline else "clerk")
            assert paused_at is not None
            assert event.previous_due_at == due_at
            # the deadline moves by exactly the working time paused
            paused = CALENDAR.working_seconds_between(paused_at, event.occurred_at)
            assert event.paused_seconds == paused
            assert event.due_at == CALENDAR.add_working_time(event.previous_due_at, paused).due_at
            assert CALENDAR.working_seconds_between(event.previous_due_at, event.due_at) == paused or not paused
            due_at, paused_at = event.due_at, None
        else:  # pragma: no cover — a new event type needs a rule here
            raise AssertionError(type(event))
        status = next_status(status, event, before_merge)


# ---------------------------------------------------------------------------------------- the machine


def reclassify_via_app(
    app: ComplaintsApp, complaint_id: UUID, *, classification: Classification, reason: str, actor: Actor
) -> CommandResult:
    """改分类 through the app: its own command once wired, else the domain command on the app's command path."""
    wired = getattr(app, "reclassify", None)
    if wired is not None:
        result: CommandResult = wired(complaint_id, classification=classification, reason=reason, actor=actor)
        return result
    return app._command(
        complaint_id,
        None,
        lambda c, now: c.reclassify(classification=classification, reason=reason, actor=actor, now=now),
    )


class LifecycleMachine(RuleBasedStateMachine):
    """Drives one ComplaintsApp with random commands on a few complaints."""

    env: ClassVar[dict[str, str]] = POPO
    reached: ClassVar[set[Status]] = set()
    outcomes: ClassVar[Counter[str]] = Counter()

    complaints = Bundle("complaints")

    def __init__(self) -> None:
        super().__init__()
        self.clock = SettableClock(START)
        self.app = ComplaintsApp(
            dict(self.env), clock=self.clock, calendar=CALENDAR, limits=LIMITS, signing_mode=SigningMode.roles_only
        )
        self.ids: list[UUID] = []
        # Hotline references decide the complaint id; a per-run tag keeps runs apart in a shared store.
        self.tag = uuid4().hex[:8]

    def teardown(self) -> None:
        self.app.close()

    # ------------------------------------------------------------------ helpers

    def events_of(self, complaint_id: UUID) -> list[Complaint.Event]:
        return [recorded.event for recorded in self.app.history(complaint_id)]

    def issue(
        self,
        complaint_id: UUID,
        event_type: str,
        actor: Actor,
        call: Callable[[], CommandResult],
        *,
        must_succeed: bool = False,
    ) -> bool:
        """Run one command; check what it recorded, or that a refusal recorded nothing.

        One event, except a supplement on a paused complaint: it brings the awaited materials, so the
        clock resumes with it (SupplementAdded, then ClockResumed by the same actor at the same time).
        """
        history_before = self.app.history(complaint_id)
        expected = [event_type]
        if event_type == "SupplementAdded" and paused_now([r.event for r in history_before]):
            expected.append("ClockResumed")
        version_before = self.app.get(complaint_id).version
        max_before = self.app.max_notification_id()
        now = self.clock.now()
        try:
            result = call()
        except ComplaintError as exc:
            refusal: ComplaintError | None = exc
        else:
            refusal = None
        if refusal is not None:
            assert not must_succeed, f"{event_type} by {actor.role.value} refused: {refusal.code}"
            assert len(self.app.history(complaint_id)) == len(history_before)
            assert self.app.get(complaint_id).version == version_before
            assert self.app.max_notification_id() == max_before
            self.outcomes[f"refused:{refusal.code}"] += 1
            return False
        history = self.app.history(complaint_id)
        assert len(history) == len(history_before) + len(expected)
        assert history[: len(history_before)] == history_before
        added = history[len(history_before) :]
        assert [r.type for r in added] == expected
        for recorded in added:
            assert recorded.event.actor == actor
            assert recorded.event.occurred_at == now
        last = history[-1]
        assert result.version == last.version == version_before + len(expected)
        status = fold_status([r.event for r in history])
        assert status is not None
        assert result.status == status.value
        self.reached.add(status)
        assert result.notification_id is not None
        assert result.notification_id > max_before
        assert result.notification_id == self.app.max_notification_id()
        for recorded_type in expected:
            self.outcomes[f"recorded:{recorded_type}"] += 1
        return True

    # ------------------------------------------------------------------ rules

    @initialize(target=complaints)
    def first_complaint(self) -> UUID:
        result = self.app.receive(
            channel=Channel.window,
            content="窗口办理营业执照被拖延",
            category="market_regulation",
            complainant=Complainant(ComplainantType.person, "陈群众", "13800000000"),
            actor=CLERK,
        )
        self.ids.append(result.id)
        return result.id

    @initialize(target=complaints, kind=st.sampled_from([k for k in Classification if k.is_complex]))
    def reclassified_complaint(self, kind: Classification) -> UUID:
        """A general complaint not solved on the spot, reclassified: the walk goes on from there."""
        result = self.app.receive(
            channel=Channel.window,
            content="窗口当场无法解决的诉求",
            category="other",
            complainant=Complainant(ComplainantType.person, "陈群众", "13800000000"),
            actor=CLERK,
        )
        self.ids.append(result.id)
        self.issue(
            result.id,
            "Classified",
            CLERK,
            lambda: self.app.classify(result.id, classification=Classification.general, reason="", actor=CLERK),
            must_succeed=True,
        )
        self.issue(
            result.id,
            "Reclassified",
            CLERK,
            lambda: reclassify_via_app(self.app, result.id, classification=kind, reason="需部门协调", actor=CLERK),
            must_succeed=True,
        )
        return result.id

    @initialize(target=complaints, rating=st.integers(min_value=1, max_value=SATISFIED - 1))
    def rectifying_complaint(self, rating: int) -> UUID:
        """A general complaint walked to a 差评, so every run has a rectification round to act on.

        (Random walks alone reached ``rectifying`` in most runs but not all: the coverage check flickered.)
        """
        app = self.app
        cid = app.receive(
            channel=Channel.window,
            content="办结后群众不满意",
            category="other",
            complainant=Complainant(ComplainantType.person, "陈群众", "13800000000"),
            actor=CLERK,
        ).id
        self.ids.append(cid)
        steps: list[tuple[str, Callable[[], CommandResult]]] = [
            ("Classified", lambda: app.classify(cid, classification=Classification.general, reason="", actor=CLERK)),
            ("Resolved", lambda: app.resolve(cid, result="当场解答", legal_basis=None, actor=CLERK)),
            ("FedBack", lambda: app.feed_back(cid, method="phone", summary="", actor=CLERK)),
            ("CalledBack", lambda: app.call_back(cid, rating=rating, comment="不满意", actor=CLERK)),
        ]
        for event_type, call in steps:
            self.issue(cid, event_type, CLERK, call, must_succeed=True)
        return cid

    @rule(
        target=complaints,
        channel=st.sampled_from(Channel),
        content=st.sampled_from(["群众反映办事难", "企业开办材料被退回三次", "", "   "]),
        external_ref=st.one_of(st.none(), st.sampled_from(["12345-A", "12345-B"])),
        minutes_ago=st.integers(min_value=-30, max_value=3 * 24 * 60),
    )
    def receive(self, channel: Channel, content: str, external_ref: str | None, minutes_ago: int) -> Any:
        max_before = self.app.max_notification_id()
        received_at = self.clock.now() - timedelta(minutes=minutes_ago) if channel is Channel.hotline else None
        try:
            result = self.app.receive(
                channel=channel,
                content=content,
                category="other",
                complainant=Complainant(ComplainantType.enterprise, "刘经理", "0571-1", enterprise_name="某公司"),
                actor=HOTLINE if channel is Channel.hotline else CLERK,
                received_at=received_at,
                external_ref=f"{self.tag}-{external_ref}" if external_ref else None,
            )
        except ComplaintError as exc:
            assert self.app.max_notification_id() == max_before
            self.outcomes[f"refused:receive:{exc.code}"] += 1
            return multiple()
        if not result.created:  # a retried hotline intake answers with the first complaint
            assert result.id in self.ids
            assert self.app.max_notification_id() == max_before
            self.outcomes["receive:idempotent"] += 1
            return multiple()
        # the complaint alone: its slip number comes from the day's counter row, in the same transaction
        assert self.app.max_notification_id() == max_before + 1
        history = self.app.history(result.id)
        assert [r.type for r in history] == ["Received"]
        assert history[0].event.occurred_at == self.clock.now()
        # no centre given: the district hall's book, in the centre format
        assert result.slip_no.startswith(f"YS-district-{CALENDAR.local_day(self.clock.now()):%Y%m%d}-")
        self.outcomes["recorded:Received"] += 1
        self.ids.append(result.id)
        return result.id

    @rule(minutes=st.integers(min_value=0, max_value=3 * 24 * 60))
    def time_passes(self, minutes: int) -> None:
        before = self.clock.now()
        assert self.clock.advance(timedelta(minutes=minutes)) == before + timedelta(minutes=minutes)

    @rule(complaint_id=complaints, kind=st.sampled_from(Classification), actor=ANYONE)
    def classify(self, complaint_id: UUID, kind: Classification, actor: Actor) -> None:
        self.issue(
            complaint_id,
            "Classified",
            actor,
            lambda: self.app.classify(complaint_id, classification=kind, reason="按责分类", actor=actor),
        )

    @rule(
        complaint_id=complaints,
        kind=st.sampled_from(Classification),
        reason=st.sampled_from(["现场无法解决", "需部门协调", " "]),
        actor=ANYONE,
    )
    def reclassify(self, complaint_id: UUID, kind: Classification, reason: str, actor: Actor) -> None:
        self.issue(
            complaint_id,
            "Reclassified",
            actor,
            lambda: reclassify_via_app(self.app, complaint_id, classification=kind, reason=reason, actor=actor),
        )

    @rule(complaint_id=complaints, actor=ANYONE)
    def sign(self, complaint_id: UUID, actor: Actor) -> None:
        self.issue(complaint_id, "Signed", actor, lambda: self.app.sign(complaint_id, opinion="同意", actor=actor))

    @rule(
        complaint_id=complaints,
        departments=st.lists(st.sampled_from((*DEPARTMENTS, " ")), max_size=3),
        supervisor=st.sampled_from(["周督办", "", "  "]),
        actor=ANYONE,
    )
    def dispatch(self, complaint_id: UUID, departments: list[str], supervisor: str, actor: Actor) -> None:
        self.issue(
            complaint_id,
            "Dispatched",
            actor,
            lambda: self.app.dispatch(
                complaint_id, departments=departments, supervisor=supervisor, instructions="", actor=actor
            ),
        )

    @rule(
        complaint_id=complaints,
        conclusion=st.sampled_from(["会商一致", " "]),
        actor=st.one_of(st.sampled_from((LEADER, *DEPT.values())), ANYONE),
        participants=st.one_of(st.just(list(DEPARTMENTS)), st.lists(st.sampled_from(DEPARTMENTS), max_size=2)),
    )
    def consult(self, complaint_id: UUID, conclusion: str, actor: Actor, participants: list[str]) -> None:
        self.issue(
            complaint_id,
            "Consulted",
            actor,
            lambda: self.app.consult(complaint_id, participants=participants, conclusion=conclusion, actor=actor),
        )

    @rule(
        complaint_id=complaints,
        actor=st.one_of(st.sampled_from((CLERK, *DEPT.values())), ANYONE),
        legal_basis=st.sampled_from([None, "", "《行政许可法》第十二条"]),
        result=st.sampled_from(["已办理", "已办理", ""]),
    )
    def resolve(self, complaint_id: UUID, actor: Actor, legal_basis: str | None, result: str) -> None:
        self.issue(
            complaint_id,
            "Resolved",
            actor,
            lambda: self.app.resolve(complaint_id, result=result, legal_basis=legal_basis, actor=actor),
        )

    @rule(complaint_id=complaints, method=st.sampled_from(["phone", "sms", ""]), actor=ANYONE)
    def feed_back(self, complaint_id: UUID, method: str, actor: Actor) -> None:
        self.issue(
            complaint_id,
            "FedBack",
            actor,
            lambda: self.app.feed_back(complaint_id, method=method, summary="告知结果", actor=actor),
        )

    @rule(
        complaint_id=complaints,
        rating=st.one_of(st.integers(min_value=-1, max_value=7), st.booleans()),
        actor=ANYONE,
    )
    def call_back(self, complaint_id: UUID, rating: int, actor: Actor) -> None:
        self.issue(
            complaint_id,
            "CalledBack",
            actor,
            lambda: self.app.call_back(complaint_id, rating=rating, comment="", actor=actor),
        )

    @rule(complaint_id=complaints, text=st.sampled_from(["补充材料照片", " "]))
    def supplement(self, complaint_id: UUID, text: str) -> None:
        self.issue(
            complaint_id,
            "SupplementAdded",
            HOTLINE,
            lambda: self.app.add_supplement(
                complaint_id, text=text, source="hotline", actor=HOTLINE, message_id=uuid4().hex
            ),
        )

    @rule(complaint_id=complaints, now=st.integers(min_value=0, max_value=2))
    def withdraw(self, complaint_id: UUID, now: int) -> None:
        """撤诉, now and then (one draw in three): a withdrawn complaint takes no further step."""
        if now:
            return
        self.issue(
            complaint_id,
            "Withdrawn",
            HOTLINE,
            lambda: self.app.withdraw(complaint_id, reason="群众撤诉", actor=HOTLINE, message_id=uuid4().hex),
        )

    @rule(
        complaint_id=complaints,
        clock=st.sampled_from(ClockKind),
        level=st.integers(min_value=-1, max_value=3),
        actor=st.sampled_from((SYSTEM_ACTOR, SYSTEM_ACTOR, SYSTEM_ACTOR, LEADER, CLERK)),
    )
    def escalate(self, complaint_id: UUID, clock: ClockKind, level: int, actor: Actor) -> None:
        self.issue(
            complaint_id,
            "Escalated",
            actor,
            lambda: self.app.escalate(
                complaint_id,
                clock=clock,
                level=level,
                due_at=self.clock.now(),
                reason="超过时限",
                recipients=["liaison-1"],
                actor=actor,
            ),
        )

    @rule(
        complaint_id=complaints,
        # up to 10: a complex walk with 改分类 is 9 commands from Classified to CalledBack
        steps=st.integers(min_value=1, max_value=10),
        kind=st.sampled_from(Classification),
        departments=st.lists(st.sampled_from(DEPARTMENTS), min_size=1, max_size=3, unique=True),
        ratings=st.lists(st.integers(min_value=1, max_value=5), min_size=10, max_size=10),
        consult_anyway=st.booleans(),
        reclassify_to=st.one_of(st.none(), st.sampled_from([k for k in Classification if k.is_complex])),
    )
    def progress(
        self,
        complaint_id: UUID,
        steps: int,
        kind: Classification,
        departments: list[str],
        ratings: list[int],
        consult_anyway: bool,
        reclassify_to: Classification | None,
    ) -> None:
        """The right next command with the right actor: the workflow must accept it."""
        for i in range(steps):
            self._next_step(
                complaint_id, kind, departments, ratings[i], consult_anyway=consult_anyway, reclassify_to=reclassify_to
            )

    def _next_step(  # noqa: PLR0912 — one branch per place a complaint can stand
        self,
        complaint_id: UUID,
        kind: Classification,
        departments: list[str],
        rating: int,
        *,
        consult_anyway: bool,
        reclassify_to: Classification | None,
    ) -> None:
        c = self.app.get(complaint_id)
        must_consult = c.status is Status.dispatched and c.needs_consultation
        may_consult = c.status in (Status.dispatched, Status.rectifying) and c.dispatched_at is not None
        app = self.app
        if c.status is Status.merged:
            assert c.merged_into is not None
            if app.get(c.merged_into).first_resolved_at is not None:
                self.issue(
                    complaint_id,
                    "AnsweredByMaster",
                    SYSTEM_ACTOR,
                    lambda: app.answer_from_master(complaint_id, actor=SYSTEM_ACTOR),
                    must_succeed=True,
                )
            else:
                self.issue(
                    complaint_id,
                    "Unmerged",
                    LEADER,
                    lambda: app.unmerge(complaint_id, reason="并非同一事项", actor=LEADER),
                    must_succeed=True,
                )
        elif c.paused_at is not None:
            self.issue(
                complaint_id,
                "ClockResumed",
                CLERK,
                lambda: app.resume_clock(complaint_id, note="材料到达", actor=CLERK),
                must_succeed=True,
            )
        elif c.pending_return is not None:
            self.issue(
                complaint_id,
                "ReturnInsisted",
                LEADER,
                lambda: app.insist_on_dispatch(complaint_id, opinion="须办理", actor=LEADER),
                must_succeed=True,
            )
        elif c.pending_extension is not None:
            self.issue(
                complaint_id,
                "ExtensionApproved",
                LEADER,
                lambda: app.approve_extension(complaint_id, opinion="", actor=LEADER),
                must_succeed=True,
            )
        elif c.status is Status.received:
            self.issue(
                complaint_id,
                "Classified",
                CLERK,
                lambda: app.classify(complaint_id, classification=kind, reason="", actor=CLERK),
                must_succeed=True,
            )
        elif (
            c.status is Status.classified
            and c.classification is Classification.general
            and reclassify_to is not None
            and c.reclassified_from is None
        ):
            self.issue(
                complaint_id,
                "Reclassified",
                CLERK,
                lambda: reclassify_via_app(
                    app, complaint_id, classification=reclassify_to, reason="现场无法解决", actor=CLERK
                ),
                must_succeed=True,
            )
        elif c.status in (Status.classified, Status.officer_signed) and c.classification is not Classification.general:
            signer = OFFICER if c.status is Status.classified else LEADER
            self.issue(
                complaint_id,
                "Signed",
                signer,
                lambda: app.sign(complaint_id, opinion="", actor=signer),
                must_succeed=True,
            )
        elif c.status is Status.signed:
            self.issue(
                complaint_id,
                "Dispatched",
                LEADER,
                lambda: app.dispatch(
                    complaint_id, departments=departments, supervisor="周督办", instructions="", actor=LEADER
                ),
                must_succeed=True,
            )
        elif (must_consult or (may_consult and consult_anyway)) and not c.consulted_in_round:
            self.issue(
                complaint_id,
                "Consulted",
                LEADER,
                lambda: app.consult(complaint_id, participants=list(c.departments), conclusion="会商", actor=LEADER),
                must_succeed=True,
            )
        elif c.status in (Status.classified, Status.dispatched, Status.consulted, Status.rectifying):
            # a duplicate answered with its master's result is the window's, whatever it was classified before
            general = c.answered_by_master or c.classification is Classification.general
            resolver = CLERK if general else DEPT[c.departments[-1]]
            self.issue(
                complaint_id,
                "Resolved",
                resolver,
                lambda: app.resolve(complaint_id, result="已办理", legal_basis="《条例》第五条", actor=resolver),
                must_succeed=True,
            )
        elif c.status is Status.resolved:
            self.issue(
                complaint_id,
                "FedBack",
                CLERK,
                lambda: app.feed_back(complaint_id, method="phone", summary="", actor=CLERK),
                must_succeed=True,
            )
        elif c.status is Status.fed_back:
            self.issue(
                complaint_id,
                "CalledBack",
                CLERK,
                lambda: app.call_back(complaint_id, rating=rating, comment="", actor=CLERK),
                must_succeed=True,
            )
        else:
            assert c.status in (Status.closed, Status.withdrawn)  # nothing left to do

    # ------------------------------------------------------------------ 并单, 退单/改派, 延期, 中止

    @initialize(target=complaints)
    def merged_and_answered(self) -> Any:
        """A master and its duplicate: merged, unmerged, merged again, answered with the master's result."""
        app = self.app
        ids = []
        for content in ("小区噪音扰民", "同一小区噪音扰民（重复反映）"):
            ids.append(
                app.receive(
                    channel=Channel.window,
                    content=content,
                    category="other",
                    complainant=Complainant(ComplainantType.person, "陈群众", "13800000000"),
                    actor=CLERK,
                ).id
            )
            self.clock.advance(timedelta(minutes=1))
        master, duplicate = ids
        self.ids.extend(ids)
        merge = lambda: app.merge(duplicate, master_id=master, reason="同一诉求人同一事项", actor=LEADER)  # noqa: E731
        self.issue(duplicate, "Merged", LEADER, merge, must_succeed=True)
        self.issue(
            duplicate,
            "Unmerged",
            LEADER,
            lambda: app.unmerge(duplicate, reason="核实", actor=LEADER),
            must_succeed=True,
        )
        self.issue(duplicate, "Merged", LEADER, merge, must_succeed=True)
        for event_type, call in (
            ("Classified", lambda: app.classify(master, classification=Classification.general, reason="", actor=CLERK)),
            ("Resolved", lambda: app.resolve(master, result="已协调物业整改", legal_basis=None, actor=CLERK)),
        ):
            self.issue(master, event_type, CLERK, call, must_succeed=True)
        self.issue(
            duplicate,
            "AnsweredByMaster",
            SYSTEM_ACTOR,
            lambda: app.answer_from_master(duplicate, actor=SYSTEM_ACTOR),
            must_succeed=True,
        )
        return multiple(master, duplicate)

    @initialize(target=complaints)
    def withdrawn_around_a_merge(self) -> Any:
        """撤诉 around 并单, every run (the random withdraw fires one draw in three, and missed some runs).

        The person may add to a merged duplicate and withdraw it; a master may be withdrawn too: it then
        takes no more duplicates and answers none, so its remaining duplicate waits for 取消并单.
        """
        app = self.app
        ids = []
        for content in ("路灯损坏", "路灯损坏（重复反映）", "路灯损坏（再次反映）", "路灯仍未修复"):
            ids.append(
                app.receive(
                    channel=Channel.window,
                    content=content,
                    category="other",
                    complainant=Complainant(ComplainantType.person, "陈群众", "13800000000"),
                    actor=CLERK,
                ).id
            )
            self.clock.advance(timedelta(minutes=1))
        master, withdrawing, waiting, late = ids
        self.ids.extend(ids)
        self.issue(
            withdrawing,
            "Merged",
            LEADER,
            lambda: app.merge(withdrawing, master_id=master, reason="同一事项", actor=LEADER),
            must_succeed=True,
        )
        self.issue(
            waiting,
            "Merged",
            LEADER,
            lambda: app.merge(waiting, master_id=master, reason="同一事项", actor=LEADER),
            must_succeed=True,
        )
        self.issue(
            withdrawing,
            "SupplementAdded",
            HOTLINE,
            lambda: app.add_supplement(
                withdrawing, text="补充现场照片", source="hotline", actor=HOTLINE, message_id=uuid4().hex
            ),
            must_succeed=True,
        )
        for cid in (withdrawing, master):
            self.issue(
                cid,
                "Withdrawn",
                HOTLINE,
                lambda cid=cid: app.withdraw(cid, reason="群众撤诉", actor=HOTLINE, message_id=uuid4().hex),  # type: ignore[misc]
                must_succeed=True,
            )
        merge_late = lambda: app.merge(late, master_id=master, reason="同一事项", actor=LEADER)  # noqa: E731
        assert not self.issue(late, "Merged", LEADER, merge_late)
        answer = lambda: app.answer_from_master(waiting, actor=SYSTEM_ACTOR)  # noqa: E731
        assert not self.issue(waiting, "AnsweredByMaster", SYSTEM_ACTOR, answer)
        self.issue(
            waiting,
            "Unmerged",
            LEADER,
            lambda: app.unmerge(waiting, reason="主诉求已撤诉", actor=LEADER),
            must_succeed=True,
        )
        return multiple(waiting, late)

    @initialize(target=complaints)
    def returned_extended_paused(self) -> UUID:
        """A 不给办 complaint returned, re-dispatched, consulted, extended and paused: every decision walked once."""
        app = self.app
        cid = app.receive(
            channel=Channel.hotline,
            content="企业开办材料被退回三次",
            category="other",
            complainant=Complainant(ComplainantType.person, "陈群众", "13800000000"),
            actor=HOTLINE,
            external_ref=f"{self.tag}-walk",
        ).id
        self.ids.append(cid)
        market, housing = DEPT["market"], DEPT["housing"]
        steps: list[tuple[str, Actor, Callable[[], CommandResult]]] = [
            ("Classified", CLERK, lambda: app.classify(cid, classification=Classification.refused_to_do, reason="", actor=CLERK)),
            ("Signed", OFFICER, lambda: app.sign(cid, opinion="", actor=OFFICER)),
            ("Signed", LEADER, lambda: app.sign(cid, opinion="", actor=LEADER)),
            ("Dispatched", LEADER, lambda: app.dispatch(cid, departments=["market"], supervisor="周督办", instructions="", actor=LEADER)),
            ("Returned", market, lambda: app.return_complaint(cid, reason="不属本部门", actor=market)),
            ("Redispatched", LEADER, lambda: app.redispatch(cid, departments=["housing"], supervisor=None, instructions="", actor=LEADER)),
            ("Returned", housing, lambda: app.return_complaint(cid, reason="亦不属本部门", actor=housing)),
            ("ReturnInsisted", LEADER, lambda: app.insist_on_dispatch(cid, opinion="属住建职责", actor=LEADER)),
            ("Consulted", LEADER, lambda: app.consult(cid, participants=["housing"], conclusion="由住建办理", actor=LEADER)),
            ("ExtensionRequested", housing, lambda: app.request_extension(cid, days=2, reason="需现场核查", actor=housing)),
            ("ExtensionRefused", LEADER, lambda: app.refuse_extension(cid, reason="时限内可办结", actor=LEADER)),
            ("ExtensionRequested", housing, lambda: app.request_extension(cid, days=1, reason="需现场核查", actor=housing)),
            ("ExtensionApproved", LEADER, lambda: app.approve_extension(cid, opinion="同意", actor=LEADER)),
            ("ClockPaused", housing, lambda: app.pause_clock(cid, reason="等待补充材料", actor=housing)),
        ]  # fmt: skip
        for event_type, actor, call in steps:
            self.issue(cid, event_type, actor, call, must_succeed=True)
        # a pause longer than its limit escalates like a missed deadline
        pause_due = app.get(cid).pause_due_at
        assert pause_due is not None
        self.clock.set(pause_due + timedelta(minutes=1))
        self.issue(
            cid,
            "Escalated",
            SYSTEM_ACTOR,
            lambda: app.escalate(
                cid,
                clock=ClockKind.pause,
                level=1,
                due_at=pause_due,
                reason="中止期限已过",
                recipients=["duty_leader"],
                actor=SYSTEM_ACTOR,
                round_=1,
            ),
            must_succeed=True,
        )
        self.issue(
            cid,
            "ClockResumed",
            HOTLINE,
            lambda: app.resume_clock(cid, note="补充材料", actor=HOTLINE),
            must_succeed=True,
        )
        return cid

    @rule(
        complaint_id=complaints,
        master_id=complaints,
        reason=st.sampled_from(["同一诉求人同一事项", " "]),
        actor=st.one_of(st.just(LEADER), ANYONE),
    )
    def merge(self, complaint_id: UUID, master_id: UUID, reason: str, actor: Actor) -> None:
        self.issue(
            complaint_id,
            "Merged",
            actor,
            lambda: self.app.merge(complaint_id, master_id=master_id, reason=reason, actor=actor),
        )

    @rule(complaint_id=complaints, actor=st.one_of(st.just(LEADER), ANYONE))
    def unmerge(self, complaint_id: UUID, actor: Actor) -> None:
        self.issue(
            complaint_id, "Unmerged", actor, lambda: self.app.unmerge(complaint_id, reason="并非同一事项", actor=actor)
        )

    @rule(complaint_id=complaints)
    def answer_from_master(self, complaint_id: UUID) -> None:
        self.issue(
            complaint_id,
            "AnsweredByMaster",
            SYSTEM_ACTOR,
            lambda: self.app.answer_from_master(complaint_id, actor=SYSTEM_ACTOR),
        )

    @rule(
        complaint_id=complaints,
        actor=st.one_of(st.sampled_from(tuple(DEPT.values())), ANYONE),
        reason=st.sampled_from(["不属于本部门职责", ""]),
    )
    def return_complaint(self, complaint_id: UUID, actor: Actor, reason: str) -> None:
        self.issue(
            complaint_id,
            "Returned",
            actor,
            lambda: self.app.return_complaint(complaint_id, reason=reason, actor=actor),
        )

    @rule(complaint_id=complaints, actor=st.one_of(st.just(LEADER), ANYONE))
    def insist(self, complaint_id: UUID, actor: Actor) -> None:
        self.issue(
            complaint_id,
            "ReturnInsisted",
            actor,
            lambda: self.app.insist_on_dispatch(complaint_id, opinion="须办理", actor=actor),
        )

    @rule(
        complaint_id=complaints,
        departments=st.lists(st.sampled_from((*DEPARTMENTS, " ")), max_size=2),
        actor=st.one_of(st.just(LEADER), ANYONE),
    )
    def redispatch(self, complaint_id: UUID, departments: list[str], actor: Actor) -> None:
        self.issue(
            complaint_id,
            "Redispatched",
            actor,
            lambda: self.app.redispatch(
                complaint_id, departments=departments, supervisor=None, instructions="", actor=actor
            ),
        )

    @rule(
        complaint_id=complaints,
        days=st.integers(min_value=-1, max_value=31),
        actor=st.one_of(st.sampled_from(tuple(DEPT.values())), ANYONE),
    )
    def request_extension(self, complaint_id: UUID, days: int, actor: Actor) -> None:
        self.issue(
            complaint_id,
            "ExtensionRequested",
            actor,
            lambda: self.app.request_extension(complaint_id, days=days, reason="需现场核查", actor=actor),
        )

    @rule(complaint_id=complaints, approve=st.booleans(), actor=st.one_of(st.just(LEADER), ANYONE))
    def decide_extension(self, complaint_id: UUID, approve: bool, actor: Actor) -> None:
        if approve:
            self.issue(
                complaint_id,
                "ExtensionApproved",
                actor,
                lambda: self.app.approve_extension(complaint_id, opinion="", actor=actor),
            )
        else:
            self.issue(
                complaint_id,
                "ExtensionRefused",
                actor,
                lambda: self.app.refuse_extension(complaint_id, reason="不予延期", actor=actor),
            )

    @rule(
        complaint_id=complaints,
        actor=st.one_of(st.sampled_from(tuple(DEPT.values())), ANYONE),
        reason=st.sampled_from(["等待补充材料", " "]),
    )
    def pause_clock(self, complaint_id: UUID, actor: Actor, reason: str) -> None:
        self.issue(
            complaint_id, "ClockPaused", actor, lambda: self.app.pause_clock(complaint_id, reason=reason, actor=actor)
        )

    @rule(complaint_id=complaints, actor=st.one_of(st.sampled_from((CLERK, HOTLINE)), ANYONE))
    def resume_clock(self, complaint_id: UUID, actor: Actor) -> None:
        self.issue(
            complaint_id,
            "ClockResumed",
            actor,
            lambda: self.app.resume_clock(complaint_id, note="材料到达", actor=actor),
        )

    # ------------------------------------------------------------------ invariants

    @invariant()
    def status_agrees_with_history(self) -> None:
        for complaint_id in self.ids:
            events = self.events_of(complaint_id)
            complaint = self.app.get(complaint_id)
            assert complaint.status is fold_status(events)
            assert complaint.version == len(events)
            check_history(events)
            self.reached.add(complaint.status)


def test_random_commands_keep_status_and_history_in_agreement() -> None:
    LifecycleMachine.reached.clear()
    LifecycleMachine.outcomes.clear()
    run_state_machine_as_test(LifecycleMachine, settings=MAIN_SETTINGS)
    # The walk went everywhere: every status, rectification and closing included, and both paths taken.
    assert LifecycleMachine.reached == set(Status)
    recorded = {k.removeprefix("recorded:") for k in LifecycleMachine.outcomes if k.startswith("recorded:")}
    assert recorded == set(EVENT_TYPES)
    assert sum(v for k, v in LifecycleMachine.outcomes.items() if k.startswith("refused:")) > 0


# ---------------------------------------------------------------------------------------- real stores


class CopiedToStores(LifecycleMachine):
    """At the end of each run, the in-memory histories are saved into real stores and read back fresh."""

    targets: ClassVar[list[dict[str, str]]] = []

    def teardown(self) -> None:
        try:
            for env in self.targets:
                writer = ComplaintsApp(
                    dict(env), clock=self.clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only
                )
                try:
                    for complaint_id in self.ids:
                        writer.events.put(list(self.app.events.get(complaint_id)))
                finally:
                    writer.close()
                fresh = ComplaintsApp(
                    dict(env), clock=self.clock, calendar=CALENDAR, signing_mode=SigningMode.roles_only
                )
                try:
                    for complaint_id in self.ids:
                        original = self.app.get(complaint_id)
                        rebuilt = fresh.get(complaint_id)
                        assert rebuilt.state() == original.state()
                        assert rebuilt.version == original.version
                        assert isinstance(rebuilt.status, Status)
                        assert [r.event for r in fresh.history(complaint_id)] == self.events_of(complaint_id)
                finally:
                    fresh.close()
        finally:
            super().teardown()


class OnStore(LifecycleMachine):
    """The same random walk, written straight to a real store; a fresh app rebuilds every complaint."""

    def teardown(self) -> None:
        try:
            fresh = ComplaintsApp(
                {**self.env, "AGGREGATE_CACHE_MAXSIZE": ""},
                clock=self.clock,
                calendar=CALENDAR,
                signing_mode=SigningMode.roles_only,
            )
            try:
                for complaint_id in self.ids:
                    original = self.app.get(complaint_id)
                    rebuilt = fresh.get(complaint_id)
                    assert rebuilt.state() == original.state()
                    assert fold_status([r.event for r in fresh.history(complaint_id)]) is rebuilt.status
            finally:
                fresh.close()
        finally:
            super().teardown()


def test_histories_saved_to_sqlite_and_postgres_rebuild_equal_aggregates(sqlite_url: str, pg_url: str) -> None:
    machine = type(
        "CopiedToSQLiteAndPostgres",
        (CopiedToStores,),
        {"targets": [parse_database_url(sqlite_url).env, parse_database_url(pg_url).env]},
    )
    run_state_machine_as_test(machine, settings=STORE_SETTINGS)


def test_random_commands_on_sqlite_rebuild_equal_aggregates(sqlite_url: str) -> None:
    machine = type("OnSQLite", (OnStore,), {"env": parse_database_url(sqlite_url).env})
    run_state_machine_as_test(machine, settings=STORE_SETTINGS)


def test_random_commands_on_postgres_rebuild_equal_aggregates(pg_url: str) -> None:
    machine = type("OnPostgres", (OnStore,), {"env": parse_database_url(pg_url).env})
    run_state_machine_as_test(machine, settings=STORE_SETTINGS)
