"""The store every application shares: one event store, its group commit, the slip counter, idempotent intakes.

``Store`` is the infrastructure: construction over a persistence URL's environment, ``save`` through this
process's one group commit (see ``group_commit``), the slip-number counter claimed in the intakes' own
transaction (see ``slip_counter``), the ids that make a retried intake find its first complaint, the reads
(``get``, ``history``, ``version_as_of``, ``max_notification_id``) and the one way a complaint command is
recorded (``command``: load, act, save, decide again on a batch-mate's conflict). The per-aggregate
applications (``complaints.ComplaintsApp``, ``callbacks``, ``cases``, ``orders``, ``knowledge``, ``plans``,
``audit``, ``account_admin``) hold only their command methods and share one ``Store``.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, ClassVar, TypedDict
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import structlog
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    Notification,
    OperationalError,
    Recording,
    StoredEvent,
)

from application import deadline
from application.access_index import AccessIndexRow
from application.clock import Clock, SystemClock
from application.errors import (
    ComplaintNotFound,
    ConcurrentChange,
    DeadlineExceeded,
    IntakeConflict,
    StoreUnavailable,
    VersionMismatch,
)
from application.group_commit import COMMIT_BATCH, COMMIT_WINDOW_SECONDS, GroupCommit, Ticket
from application.slip_counter import Key, SlipClaims
from application.transcodings import register_domain_transcodings
from domain.calendar import WorkingCalendar
from domain.centres import DEFAULT_CENTRE
from domain.complaint import Complaint
from domain.rules import Limits
from domain.slips import SlipBook, slip_number
from domain.values import Channel

log = structlog.get_logger("yousu.complaints")

INTAKE_NAMESPACE = uuid5(NAMESPACE_URL, "https://yousu.invalid/intake")
INTAKE_ATTEMPTS = 3  # an IntegrityError on an intake means the same intake was stored meanwhile: find it
COMMAND_ATTEMPTS = 8  # a command whose complaint a batch-mate changed first is decided again on the new state
# The complaint a request's scope check loaded a moment before its command (hand_over): the command decides
# on it first, saving a second load; should the store have moved on meanwhile, it decides again on a fresh load.
_handed: ContextVar[dict[UUID, Complaint] | None] = ContextVar("yousu_handed_complaint", default=None)


def hand_over(complaint: Complaint) -> None:
    """Offer ``complaint``, just loaded, to the next command on it in this context (used at most once)."""
    _handed.set({complaint.id: complaint})


def _take_handed(complaint_id: UUID) -> Complaint | None:
    handed = _handed.get()
    return handed.pop(complaint_id, None) if handed else None


UNBUDGETED_WRITE_SECONDS = 30.0  # a batch member without a request budget (CLI, background loops)


class BatchConflict(IntegrityError):
    """An earlier command of the same group commit changed this aggregate: decide again on its new state."""


@dataclass
class Intake:
    """An intake whose slip number is claimed in its batch's transaction: ``build`` makes it once numbered."""

    centre: str
    day: date
    build: Callable[[str], Complaint]
    complaint: Complaint | None = None


@dataclass
class Work:
    """One caller's share of a group commit: events (or an intake to number), access index rows, its budget."""

    events: list[DomainEventProtocol[UUID]] = field(default_factory=list)
    aggregates: dict[UUID, Any] = field(default_factory=dict)
    access: list[AccessIndexRow] = field(default_factory=list)
    budget: deadline.Budget | None = None
    intake: Intake | None = None
    made: list[DomainEventProtocol[UUID]] = field(default_factory=list)  # the intake's events, once numbered
    recordings: list[Recording[UUID]] = field(default_factory=list)

    def originators(self) -> set[UUID]:
        """The aggregates this work writes to."""
        return {e.originator_id for e in self.events}


@dataclass(frozen=True)
class CommandResult:
    """What every command answers: enough for a client to read its own write."""

    id: UUID
    slip_no: str
    status: str
    version: int
    notification_id: int | None
    due_at: datetime | None = None
    created: bool = True


@dataclass(frozen=True)
class RecordedEvent:
    """One stored event with its recording time, the instant the application's clock gave its command."""

    version: int
    type: str
    event: Complaint.Event
    recorded_at: datetime


def intake_id(
    *,
    channel: Channel,
    external_ref: str | None,
    idempotency_key: str | None,
    caller: str,
    centre: str = DEFAULT_CENTRE,
) -> UUID | None:
    """A deterministic id for an intake that may be retried: one complaint per external ref, or per caller,
    centre and key.

    An Idempotency-Key is the caller's own at their centre: the same key from another user, or from the same
    user working for another centre, is another intake (otherwise a key could read back a complaint outside
    the caller's scope).
    """
    if external_ref:
        return uuid5(INTAKE_NAMESPACE, f"ref:{channel.value}:{external_ref}")
    if idempotency_key:
        return uuid5(INTAKE_NAMESPACE, f"ckey:{len(caller)}:{caller}:{len(centre)}:{centre}:{idempotency_key}")
    return None


def caller_key_id(idempotency_key: str | None, caller: str) -> UUID | None:
    """The id an Idempotency-Key gave when keys were scoped to the caller but not the centre (older intakes)."""
    return uuid5(INTAKE_NAMESPACE, f"key:{len(caller)}:{caller}:{idempotency_key}") if idempotency_key else None


def hotline_complaint_id(external_ref: str) -> UUID:
    """The complaint a 12345 work order became (the id its intake was given)."""
    found = intake_id(channel=Channel.hotline, external_ref=external_ref, idempotency_key=None, caller="")
    assert found is not None  # noqa: S101 — an external ref always gives an id
    return found


def legacy_key_id(idempotency_key: str | None) -> UUID | None:
    """The id an Idempotency-Key gave before keys were scoped to the caller (retries of older intakes)."""
    return uuid5(INTAKE_NAMESPACE, f"key:{idempotency_key}") if idempotency_key else None


@contextmanager
def store_errors() -> Iterator[None]:
    """Translate the store's connection failures into one error the API maps to 503."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailable from exc


class StoreOptions(TypedDict, total=False):
    """The store's own keywords, which an application built on it passes on (``**options``)."""

    clock: Clock | None
    calendar: WorkingCalendar | None
    limits: Limits | None
    commit_window: float
    commit_batch: int


class Store(Application[UUID]):
    """The event store the applications share; the calendar, limits and clock are injected.

    Its ``name`` names the library's tables and environment prefix: every subclass keeps it (``Store.name``).
    """

    name = "complaints"
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "1000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        clock: Clock | None = None,
        calendar: WorkingCalendar | None = None,
        limits: Limits | None = None,
        commit_window: float = COMMIT_WINDOW_SECONDS,
        commit_batch: int = COMMIT_BATCH,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.calendar = calendar or WorkingCalendar()
        self.limits = limits or Limits()
        # every save of this process goes through one group commit (see save and _commit_batch)
        self.group_commit: GroupCommit[Work] = GroupCommit(
            self._commit_batch, window=commit_window, max_batch=commit_batch
        )
        self._seeded: set[Key] = set()  # counter rows known to exist (no legacy slip book to read)
        self._memory_slips: dict[Key, int] = {}  # the in-memory store's counter (unit tests)
        super().__init__(env)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save in this process's next group commit, unless the request was answered already or its time is up.

        Answers once the transaction holding these events has committed; raises what made it fail
        (IntegrityError for a conflict of these events alone, BatchConflict when a command of the
        same batch changed the same aggregate first). ``access_index`` rows are the only keyword.
        """
        deadline.check()  # the recorders check again right before COMMIT
        unknown = set(kwargs) - {"access_index"}
        if unknown:
            msg = f"save() takes only access_index, not {sorted(unknown)}"
            raise TypeError(msg)
        collected: ProcessingEvent[UUID] = ProcessingEvent()
        collected.collect_events(*objs)
        work = Work(
            events=collected.events,
            aggregates=collected.aggregates,
            access=list(kwargs.get("access_index", ())),
            budget=deadline.current(),
        )
        return self._submit(work).recordings

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Dates, enums and value objects, beside the library's UUID/Decimal/datetime."""
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    # ------------------------------------------------------------------ queries

    def get(self, complaint_id: UUID, *, version: int | None = None) -> Complaint:
        """The complaint now, or as it was at ``version``."""
        with store_errors():
            try:
                complaint: object = self.repository.get(complaint_id, version=version)
            except AggregateNotFoundError:
                raise ComplaintNotFound from None
        if not isinstance(complaint, Complaint):
            raise ComplaintNotFound
        return complaint

    def history(self, complaint_id: UUID) -> list[RecordedEvent]:
        """Every event of one complaint, in order, with its recording time (the event's timestamp)."""
        with store_errors():
            events = list(self.events.get(complaint_id))
        if not events or not isinstance(events[0], Complaint.Received):
            raise ComplaintNotFound
        return [
            RecordedEvent(
                version=e.originator_version,
                type=type(e).__name__,
                event=e,
                recorded_at=e.timestamp,
            )
            for e in events
            if isinstance(e, Complaint.Event)
        ]

    def version_as_of(self, complaint_id: UUID, as_of: datetime) -> int | None:
        """The last version recorded at or before ``as_of`` (None: the complaint did not exist yet)."""
        version: int | None = None
        for recorded in self.history(complaint_id):
            if recorded.recorded_at <= as_of:
                version = recorded.version
        return version

    def max_notification_id(self) -> int:
        """The newest notification id in the store (0 when empty)."""
        with store_errors():
            return self.recorder.max_notification_id() or 0

    def command(
        self,
        complaint_id: UUID,
        act: Callable[[Complaint, datetime], None],
        *,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Record one command on a complaint: ``act(complaint, now)`` refuses or triggers its event.

        A new command needs no method of its own: its route passes the aggregate's command method (with the
        application's ``calendar``, ``limits`` or ``signing_mode`` where it takes them); see
        docs/adding-a-command.md. ``ComplaintsApp``'s methods are the older commands' names for the same call.
        """
        return self._command(complaint_id, expected_version, act)

    def intake(
        self,
        make: Callable[[UUID, str, datetime], Complaint],
        *,
        channel: Channel,
        external_ref: str | None,
        idempotency_key: str | None,
        caller: str,
        centre: str,
        fingerprint: str | None,
    ) -> CommandResult:
        """Record the intake ``make(complaint_id, slip_no, now)`` once, numbered in its batch's transaction.

        A retried intake (same ``external_ref``, or same ``idempotency_key`` from the same ``caller`` at the
        same ``centre``: ``intake_id``) answers the first complaint, also one recorded under the earlier id
        schemes (found only by the same caller at the same centre). The id is fixed before the slip-number
        loop: an attempt whose COMMIT was answered with an error may still have stored the complaint, and the
        next attempt must find it, not record it again under another slip number.
        """
        keyed = intake_id(
            channel=channel, external_ref=external_ref, idempotency_key=idempotency_key, caller=caller, centre=centre
        )
        complaint_id = keyed or uuid4()
        earlier = [] if external_ref else [caller_key_id(idempotency_key, caller), legacy_key_id(idempotency_key)]
        with self.group_commit.preparing():
            for attempt in range(INTAKE_ATTEMPTS):
                if keyed is not None or attempt > 0:
                    existing = self._existing_intake(complaint_id, fingerprint)
                    for old in earlier:
                        if existing is None and old is not None:
                            existing = self._existing_intake(old, fingerprint, owner=caller, centre=centre)
                    if existing is not None:
                        return existing
                now = self.clock.now()
                day = self.calendar.local_day(now)

                def build(slip_no: str, now: datetime = now) -> Complaint:
                    return make(complaint_id, slip_no, now)

                build(slip_number(centre, day, 1))  # a refused intake raises here and takes no number
                work = Work(intake=Intake(centre, day, build), budget=deadline.current())
                try:
                    with store_errors():
                        self._submit(work)
                except IntegrityError:
                    continue  # the same intake was stored concurrently: the next attempt returns it
                made = work.intake.complaint if work.intake is not None else None
                assert made is not None  # noqa: S101 — the commit numbered and made it
                self._log_provisional(work.recordings)
                return self._result(made, work.recordings)
            raise ConcurrentChange("受理繁忙，请重试")

    # ------------------------------------------------------------------ internals

    def _command(
        self,
        complaint_id: UUID,
        expected_version: int | None,
        act: Callable[[Complaint, datetime], None],
        *,
        replayable: bool = False,
    ) -> CommandResult:
        """Load, act, save in the next group commit: the one way every complaint command is recorded.

        When a command of the same batch changed this complaint first, the command is decided
        again on the new state (its rules may now refuse it; ``expected_version`` then no longer
        matches). A conflict with another process answers ConcurrentChange, as before. A
        ``replayable`` command that records nothing (its message id was recorded before) answers
        as a replay (``created=False``).
        """
        with self.group_commit.preparing():
            handed = _take_handed(complaint_id)
            for _ in range(COMMAND_ATTEMPTS + (handed is not None)):
                was_handed = handed is not None
                complaint = handed if handed is not None else self.get(complaint_id)
                handed = None
                try:
                    if expected_version is not None and expected_version != complaint.version:
                        raise VersionMismatch(expected_version, complaint.version)
                    act(complaint, self.clock.now())
                except Exception:
                    if was_handed:
                        continue  # perhaps decided on a state the store has left: decide on the stored one
                    raise
                try:
                    with store_errors():
                        recordings = self.save(complaint)
                except BatchConflict:
                    self.evict(complaint_id)
                    continue
                except IntegrityError:
                    self.evict(complaint_id)
                    if was_handed:
                        continue  # another process wrote since the scope check: decide on the stored state
                    raise ConcurrentChange from None
                self._log_provisional(recordings)
                result = self._result(complaint, recordings)
                return replace(result, created=False) if replayable and result.notification_id is None else result
        raise ConcurrentChange

    # ------------------------------------------------------------------ group commit

    def _submit(self, work: Work) -> Work:
        """Hand ``work`` to the group commit; answers it once committed, or raises its own error."""
        ticket = self.group_commit.submit(work)
        if ticket.error is not None:
            error = ticket.error
            try:  # a batch-wide error is raised in every member's thread: each raises its own copy
                own = copy.copy(error)
            except Exception:
                own = error
            raise own from error if own is not error else None
        return work

    def _commit_batch(self, tickets: list[Ticket[Work]]) -> None:
        """Commit a batch in one transaction; a member that cannot be committed fails alone.

        * A member whose request was answered already (or is out of time) is left out (503).
        * A member writing an aggregate an earlier member writes is refused with BatchConflict
          (the command is decided again on the state the earlier one leaves).
        * Members answered while the batch was committing are named by the budget right before
          COMMIT: the transaction rolls back and the others are committed without them.
        * An IntegrityError (another process changed an aggregate, or stored the same intake)
          rolls the batch back; its members are then committed one by one, so only the
          conflicting one gets the error.
        """
        pending: list[Ticket[Work]] = []
        touched: set[UUID] = set()
        for ticket in tickets:
            work = ticket.work
            if work.budget is not None and not work.budget.alive():
                ticket.fail(DeadlineExceeded())
                continue
            mine = work.originators()
            if mine & touched:
                ticket.fail(BatchConflict("changed by an earlier command of the same batch"))
                continue
            touched |= mine
            pending.append(ticket)
        while pending:
            try:
                self._record_works([t.work for t in pending])
            except deadline.Abandoned as exc:
                for i in exc.members:
                    pending[i].fail(DeadlineExceeded())
                pending = [t for t in pending if not t.answered]
                continue
            except IntegrityError:
                if len(pending) == 1:
                    raise
                for ticket in pending:
                    self._commit_alone(ticket)
                return
            for ticket in pending:
                ticket.succeed()
            return

    def _commit_alone(self, ticket: Ticket[Work]) -> None:
        try:
            self._record_works([ticket.work])
        except deadline.Abandoned:
            ticket.fail(DeadlineExceeded())
        except Exception as exc:
            ticket.fail(exc)
        else:
            ticket.succeed()

    def _record_works(self, works: list[Work]) -> None:
        """One transaction: every work's events, their access index rows, and the intakes numbered in it."""
        events = [e for w in works for e in w.events]
        stored = [self.mapper.to_stored_event(e) for e in events]
        access = [row for w in works for row in w.access]
        intakes = [w for w in works if w.intake is not None]
        made_stored: list[StoredEvent] = []
        kwargs: dict[str, Any] = {}
        if access:
            kwargs["access_index"] = access
        counts: Counter[Key] = Counter()
        firsts: dict[Key, int] = {}
        if intakes:
            counts = Counter((w.intake.centre, w.intake.day) for w in intakes if w.intake is not None)

            def fill(firsts: dict[Key, int]) -> list[StoredEvent]:
                following = dict(firsts)
                made_stored.clear()
                for w in intakes:
                    assert w.intake is not None  # noqa: S101 — selected above
                    key = (w.intake.centre, w.intake.day)
                    complaint = w.intake.build(slip_number(key[0], key[1], following[key]))
                    following[key] += 1
                    w.intake.complaint = complaint
                    w.made = list(complaint.collect_events())
                    made_stored.extend(self.mapper.to_stored_event(e) for e in w.made)
                return list(made_stored)

            seeds = {key: self._legacy_issued(key) for key in counts if key not in self._seeded}
            claims = SlipClaims(counts=dict(counts), seeds=seeds, fill=fill)
            if getattr(self.recorder, "counts_slips", False):
                kwargs["slip_claims"] = claims
            else:  # the in-memory store: this process is the only writer, its leader the only one counting
                firsts = {k: self._memory_slips.get(k, seeds.get(k, 0)) + 1 for k in counts}
                stored = [*stored, *fill(firsts)]
        budget = deadline.BatchBudget([w.budget for w in works], UNBUDGETED_WRITE_SECONDS)
        with deadline.bound(budget):
            ids = self.recorder.insert_events(stored, **kwargs)
        for key, n in counts.items():
            if key in firsts:  # the in-memory counter moves only once its batch is stored
                self._memory_slips[key] = firsts[key] + n - 1
        self._seeded.update(counts)
        all_stored = stored if "slip_claims" not in kwargs else [*stored, *made_stored]
        self._answer(works, all_stored, list(ids or ()))

    def _answer(self, works: list[Work], stored: list[StoredEvent], ids: list[int]) -> None:
        """Each work's recordings (its events with their notification ids), in the order they were stored."""
        by_position = dict(zip(range(len(stored)), zip(stored, ids, strict=False), strict=False))
        position = 0
        ordered = [(w, w.events) for w in works] + [(w, w.made) for w in works if w.made]
        for work, domain_events in ordered:
            for event in domain_events:
                found = by_position.get(position)
                position += 1
                if found is None:
                    continue
                s, notification_id = found
                notification = Notification(
                    originator_id=s.originator_id,
                    originator_version=s.originator_version,
                    topic=s.topic,
                    state=s.state,
                    id=notification_id,
                )
                work.recordings.append(Recording(event, notification))
        cache = self.repository.cache
        if cache is not None and not self.repository.fastforward:
            for work in works:
                for aggregate_id, aggregate in work.aggregates.items():
                    cache.put(aggregate_id, aggregate)

    def _legacy_issued(self, key: Key) -> int:
        """Numbers the day's slip book issued before the counter existed (0: no book)."""
        centre, day = key
        with store_errors():
            try:
                book: object = self.repository.get(SlipBook.id_for(day, centre))
            except AggregateNotFoundError:
                return 0
        return book.issued if isinstance(book, SlipBook) else 0

    def evict(self, aggregate_id: UUID) -> None:
        cache = self.repository.cache
        if cache is not None:
            with suppress(KeyError):
                cache.get(aggregate_id, evict=True)

    def _existing_intake(
        self, complaint_id: UUID, fingerprint: str | None, *, owner: str | None = None, centre: str | None = None
    ) -> CommandResult | None:
        """The intake already recorded under ``complaint_id`` (by ``owner`` at ``centre`` when given), else None."""
        try:
            complaint = self.get(complaint_id)
        except ComplaintNotFound:
            return None
        if owner is not None and (complaint.received_by is None or complaint.received_by.id != owner):
            return None
        if centre is not None and complaint.centre != centre:
            return None
        if fingerprint is not None and complaint.fingerprint not in (None, fingerprint):
            raise IntakeConflict(complaint.id)
        # The first intake's own notification id is not kept; the newest id is a safe upper bound
        # for a client that wants to read its own write.
        last = self.max_notification_id()
        return CommandResult(
            id=complaint.id,
            slip_no=complaint.slip_no,
            status=complaint.status.value,
            version=complaint.version,
            notification_id=last,
            due_at=complaint.due_at,
            created=False,
        )

    @staticmethod
    def _log_provisional(recordings: list[Recording[UUID]]) -> None:
        """A deadline counted Monday–Friday (no holiday schedule for its year) is logged when it is computed."""
        for r in recordings:
            e = r.domain_event
            for name, value in vars(e).items():
                if value is True and name.endswith("provisional"):
                    due_field = name.replace("_provisional", "_at") if name != "provisional" else "due_at"
                    due = getattr(e, due_field, None)
                    log.warning(
                        "provisional_deadline",
                        complaint_id=str(e.originator_id),
                        event_type=type(e).__name__,
                        due_at=due.isoformat() if isinstance(due, datetime) else None,
                    )

    @staticmethod
    def _result(complaint: Complaint, recordings: list[Recording[UUID]]) -> CommandResult:
        own = [r for r in recordings if r.domain_event.originator_id == complaint.id]
        return CommandResult(
            id=complaint.id,
            slip_no=complaint.slip_no,
            status=complaint.status.value,
            version=complaint.version,
            notification_id=own[-1].notification.id if own else None,
            due_at=complaint.due_at,
        )
