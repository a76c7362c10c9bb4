"""The Complaint aggregate: its events, its 受理 and every command, enforced before an event is emitted."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import errors
from domain.audit import GENESIS, new_salts
from domain.calendar import WorkingCalendar
from domain.centres import DEFAULT_CENTRE, check_centre
from domain.complaint import events_beside, events_main
from domain.complaint.checks import check_aware, check_text, sealed
from domain.complaint.commands_beside import BesideMainLine
from domain.complaint.commands_main import MainLine
from domain.rules import ClockKind, Limits, deadline_for
from domain.values import Actor, Channel, Complainant, ComplainantType


class Complaint(MainLine, BesideMainLine, Aggregate):
    """One complaint (诉求) from receipt to call-back; state changes only when an event applies."""

    TOPIC = "domain.complaint:Complaint"  # where the class stood when its first events were stored

    # the events stand on the class, where the library and the topics expect them (mypy reads them as types)
    if TYPE_CHECKING:
        Event: TypeAlias = events_main.Event
        Created: TypeAlias = events_main.Created
        Received: TypeAlias = events_main.Received
        Classified: TypeAlias = events_main.Classified
        Reclassified: TypeAlias = events_main.Reclassified
        Signed: TypeAlias = events_main.Signed
        Dispatched: TypeAlias = events_main.Dispatched
        Consulted: TypeAlias = events_main.Consulted
        HandlerAssigned: TypeAlias = events_main.HandlerAssigned
        Resolved: TypeAlias = events_main.Resolved
        FedBack: TypeAlias = events_main.FedBack
        CalledBack: TypeAlias = events_main.CalledBack
        RatingAppealed: TypeAlias = events_main.RatingAppealed
        AppealDecided: TypeAlias = events_main.AppealDecided
        DeadlineCorrected: TypeAlias = events_main.DeadlineCorrected
        Escalated: TypeAlias = events_main.Escalated
        SupplementAdded: TypeAlias = events_beside.SupplementAdded
        Withdrawn: TypeAlias = events_beside.Withdrawn
        Merged: TypeAlias = events_beside.Merged
        Unmerged: TypeAlias = events_beside.Unmerged
        AnsweredByMaster: TypeAlias = events_beside.AnsweredByMaster
        Returned: TypeAlias = events_beside.Returned
        ReturnInsisted: TypeAlias = events_beside.ReturnInsisted
        Redispatched: TypeAlias = events_beside.Redispatched
        ExtensionRequested: TypeAlias = events_beside.ExtensionRequested
        ExtensionApproved: TypeAlias = events_beside.ExtensionApproved
        ExtensionRefused: TypeAlias = events_beside.ExtensionRefused
        ClockPaused: TypeAlias = events_beside.ClockPaused
        ClockResumed: TypeAlias = events_beside.ClockResumed
    else:
        Event = events_main.Event
        Created = events_main.Created
        Received = events_main.Received
        Classified = events_main.Classified
        Reclassified = events_main.Reclassified
        Signed = events_main.Signed
        Dispatched = events_main.Dispatched
        Consulted = events_main.Consulted
        HandlerAssigned = events_main.HandlerAssigned
        Resolved = events_main.Resolved
        FedBack = events_main.FedBack
        CalledBack = events_main.CalledBack
        RatingAppealed = events_main.RatingAppealed
        AppealDecided = events_main.AppealDecided
        DeadlineCorrected = events_main.DeadlineCorrected
        Escalated = events_main.Escalated
        SupplementAdded = events_beside.SupplementAdded
        Withdrawn = events_beside.Withdrawn
        Merged = events_beside.Merged
        Unmerged = events_beside.Unmerged
        AnsweredByMaster = events_beside.AnsweredByMaster
        Returned = events_beside.Returned
        ReturnInsisted = events_beside.ReturnInsisted
        Redispatched = events_beside.Redispatched
        ExtensionRequested = events_beside.ExtensionRequested
        ExtensionApproved = events_beside.ExtensionApproved
        ExtensionRefused = events_beside.ExtensionRefused
        ClockPaused = events_beside.ClockPaused
        ClockResumed = events_beside.ClockResumed

    @classmethod
    def receive(  # noqa: PLR0913 — the intake slip has this many fields
        cls,
        *,
        slip_no: str,
        channel: Channel,
        content: str,
        category: str,
        complainant: Complainant,
        actor: Actor,
        now: datetime,
        calendar: WorkingCalendar,
        limits: Limits,
        complaint_id: UUID,
        salt: Callable[[], str],
        received_at: datetime | None = None,
        external_ref: str | None = None,
        fingerprint: str | None = None,
        centre: str = DEFAULT_CENTRE,
        known_centres: Collection[str] | None = None,
    ) -> Complaint:
        """一窗受理 at ``centre``: record a complaint; the response clock starts at ``received_at``.

        The application hands in the id, the instant (``now``) and ``salt``, the source of the personal fields'
        salts: the domain makes no ids and reads neither the clock nor randomness.
        """
        check_aware("now", now)
        check_centre(centre, known_centres)
        check_text("slip_no", slip_no, max_len=64)
        check_text("content", content)
        check_text("category", category, max_len=64)
        check_text("complainant.name", complainant.name, max_len=200)
        check_text("complainant.phone", complainant.phone, max_len=32)
        if complainant.type is ComplainantType.enterprise:
            check_text("complainant.enterprise_name", complainant.enterprise_name, max_len=200)
        if channel is Channel.hotline:
            check_text("external_ref", external_ref, max_len=128)
        start = received_at or now
        check_aware("received_at", start)
        if start > now:
            raise errors.InvalidInput("received_at", "受理时间不能晚于当前时间")
        response = deadline_for(ClockKind.response, start, calendar, limits)
        new_id = complaint_id  # given by the application: the domain makes no ids
        return cls._create(
            events_main.Received,
            id=new_id,
            **sealed(
                events_main.Received,
                new_id,
                cls.INITIAL_VERSION,
                prev_hash=GENESIS,
                actor=actor,
                occurred_at=now,
                slip_no=slip_no,
                channel=channel,
                content=content,
                category=category,
                complainant=complainant,
                received_at=start,
                external_ref=external_ref,
                fingerprint=fingerprint,
                response_due_at=response.due_at,
                response_due_provisional=response.provisional,
                personal_salts=new_salts({"complainant": complainant}, salt),
                centre=centre,
            ),
        )

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Every event commits to the chain head before it and carries its own hash.

        Nothing follows a withdrawal (撤诉): a command that got this far is refused here.
        """
        self._require_not_withdrawn()
        super().trigger_event(
            event_class, **sealed(event_class, self.id, self.version + 1, prev_hash=self.head_hash, **kwargs)
        )


# 受理, 分类, …: each recorded event's label, as staff read it in a history
EVENT_LABELS: dict[str, str] = {
    name: event.LABEL for name, event in vars(Complaint).items() if isinstance(event, type) and hasattr(event, "LABEL")
}
