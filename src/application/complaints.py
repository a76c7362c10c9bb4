"""The `complaints` application: one method per command; load, call the aggregate, save."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    OperationalError,
    Recording,
)

from application import deadline
from application.clock import Clock, SystemClock
from application.errors import (
    ComplaintNotFound,
    ConcurrentChange,
    IntakeConflict,
    StoreUnavailable,
    VersionMismatch,
)
from application.transcodings import register_domain_transcodings
from domain.calendar import WorkingCalendar
from domain.centres import DEFAULT_CENTRE
from domain.complaint import Complaint
from domain.roster import DutyDay, DutyRoster, RosterRow, SigningMode, month_of, plan_month
from domain.rules import ClockKind, Limits
from domain.slips import SlipBook
from domain.values import Actor, Channel, Classification, Complainant, Role

log = structlog.get_logger("yousu.complaints")

INTAKE_NAMESPACE = uuid5(NAMESPACE_URL, "https://yousu.invalid/intake")
SLIP_RETRIES = 40
SLIP_BACKOFF = 0.002  # seconds per failed attempt, jittered: concurrent intakes must not starve one another


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
    """One stored event with its recording time (for history and audit)."""

    version: int
    type: str
    event: Complaint.Event
    recorded_at: datetime


def intake_id(*, channel: Channel, external_ref: str | None, idempotency_key: str | None, caller: str) -> UUID | None:
    """A deterministic id for an intake that may be retried: one complaint per external ref, or per caller and key.

    An Idempotency-Key is the caller's own: the same key from another user is another intake
    (otherwise a second clerk could read the first clerk's complaint back by guessing a key).
    """
    if external_ref:
        return uuid5(INTAKE_NAMESPACE, f"ref:{channel.value}:{external_ref}")
    if idempotency_key:
        return uuid5(INTAKE_NAMESPACE, f"key:{len(caller)}:{caller}:{idempotency_key}")
    return None


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


class ComplaintsApp(Application[UUID]):
    """Records complaints; the calendar, limits and clock are injected."""

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
        centres: Collection[str] | None = None,
        signing_mode: SigningMode = SigningMode.roles_only,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.calendar = calendar or WorkingCalendar()
        self.limits = limits or Limits()
        self.centres: frozenset[str] = frozenset(centres or ()) | {DEFAULT_CENTRE}
        # the composition root passes YOUSU_SIGNING_MODE (default roster); a bare app checks roles only
        self.signing_mode = signing_mode
        # The day's slip book is one aggregate: intakes in this process take turns at it, so only other
        # processes can make an intake retry (measured: 4 threads starved one intake past 20 retries).
        self._intake_lock = threading.Lock()
        super().__init__(env)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save, unless the request this work belongs to was answered already or its time is up."""
        deadline.check()  # the recorders check again right before COMMIT
        return super().save(*objs, **kwargs)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Dates, enums and value objects, beside the library's UUID/Decimal/datetime."""
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    # ------------------------------------------------------------------ commands

    def receive(  # noqa: PLR0913 — the intake slip has this many fields
        self,
        *,
        channel: Channel,
        content: str,
        category: str,
        complainant: Complainant,
        actor: Actor,
        received_at: datetime | None = None,
        external_ref: str | None = None,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
        centre: str = DEFAULT_CENTRE,
    ) -> CommandResult:
        """一窗受理 at ``centre``. A retried intake (same key or external_ref) returns the first complaint."""
        keyed = intake_id(channel=channel, external_ref=external_ref, idempotency_key=idempotency_key, caller=actor.id)
        # One id per request, fixed before the slip-number loop: an attempt whose COMMIT was answered
        # with an error may still have stored the complaint, and the next attempt must find it, not
        # record it again under another slip number.
        complaint_id = keyed or uuid4()
        legacy = None if external_ref else legacy_key_id(idempotency_key)
        with self._intake_lock:
            for attempt in range(SLIP_RETRIES):
                now = self.clock.now()
                if keyed is not None or attempt > 0:
                    existing = self._existing_intake(complaint_id, fingerprint)
                    if existing is None and legacy is not None:
                        existing = self._existing_intake(legacy, fingerprint, owner=actor.id)
                    if existing is not None:
                        return existing
                book = self._slip_book(self.calendar.local_day(now), centre)
                complaint = Complaint.receive(
                    slip_no=book.issue(),
                    channel=channel,
                    content=content,
                    category=category,
                    complainant=complainant,
                    actor=actor,
                    now=now,
                    calendar=self.calendar,
                    limits=self.limits,
                    received_at=received_at,
                    external_ref=external_ref,
                    complaint_id=complaint_id,
                    fingerprint=fingerprint,
                    centre=centre,
                    known_centres=self.centres,
                )
                try:
                    with store_errors():
                        recordings = self.save(book, complaint)
                    self._log_provisional(recordings)
                except IntegrityError:
                    # Either another intake took this slip number (retry with the next) or the
                    # same intake was saved concurrently (the loop then returns it).
                    self._evict(book.id)
                    time.sleep(random.uniform(0, SLIP_BACKOFF * (attempt + 1)))  # noqa: S311 — jitter, not a secret
                    continue
                return self._result(complaint, recordings)
            raise ConcurrentChange("受理繁忙，请重试")

    def classify(
        self,
        complaint_id: UUID,
        *,
        classification: Classification,
        reason: str,
        actor: Actor,
        expected_version: int | None = None,
    ) -> CommandResult:
        """按责分类."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.classify(
                classification=classification,
                reason=reason,
                actor=actor,
                now=now,
                calendar=self.calendar,
                limits=self.limits,
            ),
        )

    def reclassify(
        self,
        complaint_id: UUID,
        *,
        classification: Classification,
        reason: str,
        actor: Actor,
        expected_version: int | None = None,
    ) -> CommandResult:
        """改分类: a general complaint not solved on the spot becomes a complex kind."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.reclassify(classification=classification, reason=reason, actor=actor, now=now),
        )

    def sign(
        self, complaint_id: UUID, *, opinion: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """审核签字 (the signer's role from the actor), checked against the roster of the complaint's centre."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.sign(
                opinion=opinion, actor=actor, now=now, duty=self._duty(c.centre, now), mode=self.signing_mode
            ),
        )

    def dispatch(
        self,
        complaint_id: UUID,
        *,
        departments: Sequence[str],
        supervisor: str,
        instructions: str,
        actor: Actor,
        expected_version: int | None = None,
    ) -> CommandResult:
        """转办; fixes the resolution deadline."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.dispatch(
                departments=departments,
                supervisor=supervisor,
                instructions=instructions,
                actor=actor,
                now=now,
                calendar=self.calendar,
                limits=self.limits,
            ),
        )

    def consult(
        self,
        complaint_id: UUID,
        *,
        participants: Sequence[str],
        conclusion: str,
        actor: Actor,
        expected_version: int | None = None,
    ) -> CommandResult:
        """会商."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.consult(
                participants=participants,
                conclusion=conclusion,
                actor=actor,
                now=now,
                duty=self._duty(c.centre, now) if actor.role is Role.duty_leader else None,
                mode=self.signing_mode,
            ),
        )

    def resolve(
        self,
        complaint_id: UUID,
        *,
        result: str,
        legal_basis: str | None,
        actor: Actor,
        expected_version: int | None = None,
    ) -> CommandResult:
        """限时办结."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.resolve(
                result=result,
                legal_basis=legal_basis,
                actor=actor,
                now=now,
                calendar=self.calendar,
                limits=self.limits,
            ),
        )

    def feed_back(
        self, complaint_id: UUID, *, method: str, summary: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """及时反馈."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.feed_back(
                method=method, summary=summary, actor=actor, now=now, calendar=self.calendar, limits=self.limits
            ),
        )

    def call_back(
        self, complaint_id: UUID, *, rating: int, comment: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """回访."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.call_back(
                rating=rating, comment=comment, actor=actor, now=now, calendar=self.calendar, limits=self.limits
            ),
        )

    def escalate(
        self,
        complaint_id: UUID,
        *,
        clock: ClockKind,
        level: int,
        due_at: datetime,
        reason: str,
        recipients: Sequence[str],
        actor: Actor,
        round_: int | None = None,
    ) -> CommandResult:
        """升级督办 (policies only)."""
        return self._command(
            complaint_id,
            None,
            lambda c, now: c.escalate(
                clock=clock,
                level=level,
                due_at=due_at,
                reason=reason,
                recipients=recipients,
                actor=actor,
                now=now,
                round_=round_,
            ),
        )

    def correct_deadlines(self, complaint_id: UUID, *, actor: Actor) -> int:
        """时限更正: recompute open clocks with the current calendar (policies only); returns changes."""
        changed = 0

        def act(c: Complaint, now: datetime) -> None:
            nonlocal changed
            changed = c.correct_deadlines(calendar=self.calendar, limits=self.limits, actor=actor, now=now)

        self._command(complaint_id, None, act)  # saving nothing when nothing changed is a no-op
        return changed

    # ------------------------------------------------------------------ 并单, 退单/改派, 延期, 中止

    def merge(
        self, complaint_id: UUID, *, master_id: UUID, reason: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """并单: the duplicate ``complaint_id`` is closed as merged into the earlier open ``master_id``."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.merge_into(self.get(master_id), reason=reason, actor=actor, now=now),
        )

    def unmerge(
        self, complaint_id: UUID, *, reason: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """取消并单."""
        return self._command(
            complaint_id, expected_version, lambda c, now: c.unmerge(reason=reason, actor=actor, now=now)
        )

    def answer_from_master(self, complaint_id: UUID, *, actor: Actor) -> CommandResult:
        """The master's result answers a merged duplicate (the merge policy only)."""
        return self._command(
            complaint_id,
            None,
            lambda c, now: c.answer_from_master(
                self.get(c.merged_into) if c.merged_into is not None else c,
                actor=actor,
                now=now,
                calendar=self.calendar,
                limits=self.limits,
            ),
        )

    def return_complaint(
        self, complaint_id: UUID, *, reason: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """退单 by a dispatched department within the return window."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.return_complaint(
                reason=reason, actor=actor, now=now, calendar=self.calendar, limits=self.limits
            ),
        )

    def insist_on_dispatch(
        self, complaint_id: UUID, *, opinion: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """坚持交办 (the duty leader refuses a return)."""
        return self._command(
            complaint_id, expected_version, lambda c, now: c.insist_on_dispatch(opinion=opinion, actor=actor, now=now)
        )

    def redispatch(
        self,
        complaint_id: UUID,
        *,
        departments: Sequence[str],
        supervisor: str | None,
        instructions: str,
        actor: Actor,
        expected_version: int | None = None,
    ) -> CommandResult:
        """改派 after a return; the resolution deadline restarts."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.redispatch(
                departments=departments,
                supervisor=supervisor,
                instructions=instructions,
                actor=actor,
                now=now,
                calendar=self.calendar,
                limits=self.limits,
            ),
        )

    def request_extension(
        self, complaint_id: UUID, *, days: int, reason: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """申请延期."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.request_extension(days=days, reason=reason, actor=actor, now=now, limits=self.limits),
        )

    def approve_extension(
        self, complaint_id: UUID, *, opinion: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """批准延期."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.approve_extension(
                opinion=opinion, actor=actor, now=now, calendar=self.calendar, limits=self.limits
            ),
        )

    def refuse_extension(
        self, complaint_id: UUID, *, reason: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """不予延期."""
        return self._command(
            complaint_id, expected_version, lambda c, now: c.refuse_extension(reason=reason, actor=actor, now=now)
        )

    def pause_clock(
        self, complaint_id: UUID, *, reason: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """中止计时."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.pause_clock(
                reason=reason, actor=actor, now=now, calendar=self.calendar, limits=self.limits
            ),
        )

    def resume_clock(
        self, complaint_id: UUID, *, note: str, actor: Actor, expected_version: int | None = None
    ) -> CommandResult:
        """恢复计时 (materials arrived)."""
        return self._command(
            complaint_id,
            expected_version,
            lambda c, now: c.resume_clock(actor=actor, now=now, calendar=self.calendar, note=note),
        )

    # ------------------------------------------------------------------ duty roster

    def import_roster(self, rows: Sequence[RosterRow], *, month: str, actor: Actor) -> dict[str, int]:
        """值班表导入: check every row first (nothing saved on a bad row), then import or replace each centre's month.

        Answers the number of days imported per centre.
        """
        plan = plan_month(rows, month=month, known_centres=self.centres, is_working_day=self.calendar.is_working_day)
        now = self.clock.now()
        rosters: list[DutyRoster] = []
        for centre, days in plan.items():
            existing = self.roster(centre, month)
            if existing is None:
                rosters.append(DutyRoster.import_month(centre=centre, month=month, days=days, actor=actor, now=now))
            else:
                existing.replace(days=days, actor=actor, now=now)
                rosters.append(existing)
        try:
            with store_errors():
                self.save(*rosters)  # one transaction: every centre of the file, or none
        except IntegrityError:
            for r in rosters:
                self._evict(r.id)
            raise ConcurrentChange("另一值班表导入同时进行，请重试") from None
        return {centre: len(days) for centre, days in plan.items()}

    def roster(self, centre: str, month: str) -> DutyRoster | None:
        """One centre's roster for a month (YYYY-MM), or None when none was imported."""
        with store_errors():
            try:
                found: object = self.repository.get(DutyRoster.id_for(centre, month))
            except AggregateNotFoundError:
                return None
        return found if isinstance(found, DutyRoster) else None

    def duty_on(self, centre: str, day: date) -> DutyDay | None:
        """Who is on duty at ``centre`` on ``day`` (None: no roster for that day)."""
        roster = self.roster(centre, month_of(day))
        return roster.on_duty(day) if roster is not None else None

    def _duty(self, centre: str, now: datetime) -> DutyDay | None:
        if self.signing_mode is SigningMode.roles_only:
            return None
        return self.duty_on(centre, self.calendar.local_day(now))

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
        """Every event of one complaint, in order, with the store's recording time."""
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

    # ------------------------------------------------------------------ internals

    def _command(
        self,
        complaint_id: UUID,
        expected_version: int | None,
        act: Callable[[Complaint, datetime], None],
    ) -> CommandResult:
        complaint = self.get(complaint_id)
        if expected_version is not None and expected_version != complaint.version:
            raise VersionMismatch(expected_version, complaint.version)
        act(complaint, self.clock.now())
        try:
            with store_errors():
                recordings = self.save(complaint)
        except IntegrityError:
            self._evict(complaint_id)
            raise ConcurrentChange from None
        self._log_provisional(recordings)
        return self._result(complaint, recordings)

    def _evict(self, aggregate_id: UUID) -> None:
        cache = self.repository.cache
        if cache is not None:
            with suppress(KeyError):
                cache.get(aggregate_id, evict=True)

    def _slip_book(self, day: Any, centre: str) -> SlipBook:
        with store_errors():
            try:
                book: object = self.repository.get(SlipBook.id_for(day, centre))
            except AggregateNotFoundError:
                return SlipBook.open(day, centre)
        assert isinstance(book, SlipBook)  # noqa: S101 — the id space is the slip book's
        return book

    def _existing_intake(
        self, complaint_id: UUID, fingerprint: str | None, *, owner: str | None = None
    ) -> CommandResult | None:
        """The intake already recorded under ``complaint_id`` (by ``owner`` when given), else None."""
        try:
            complaint = self.get(complaint_id)
        except ComplaintNotFound:
            return None
        if owner is not None and (complaint.received_by is None or complaint.received_by.id != owner):
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
