"""The audit trail for discipline inspection: chain verification, anchors, bundles, audited reads."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from application import deadline
from application.access_index import AccessIndexRow, AccessQuery
from application.errors import ComplaintNotFound
from application.store import Store, store_errors
from domain.access import AccessRecord, AnchorLog
from domain.audit import GENESIS, PERSONAL_FIELDS, committed, event_hash, event_payload, event_salts, plain
from domain.complaint import Complaint
from domain.values import Actor

ANCHOR_LOG_ID = uuid5(NAMESPACE_URL, "https://yousu.invalid/anchor-log")
RECEIVED_TOPIC = get_topic(Complaint.Received)
ACCESS_TOPIC = get_topic(AccessRecord.Recorded)
ANCHORED_TOPIC = get_topic(AnchorLog.Anchored)
PAGE = 1000
WITHHELD = "（已隐去）"  # stands for a personal value a masked bundle cannot carry even as a commitment

PROBLEM_LABELS = {
    "missing": "该版本的事件缺失（被删除）",
    "unreadable": "该版本的事件无法解读（内容被破坏）",
    "altered": "该版本的事件内容与其摘要不符（被修改、调换或从其他诉求移入）",
    "chain_broken": "该版本的事件与前一事件的摘要不相衔接",
    "foreign": "该版本的记录不是本诉求的事件",
    "truncated": "锚定后的事件缺失（尾部被截断）",
    "differs_from_anchor": "事件链与锚定记录不符",
    "anchor_digest": "锚定记录本身的摘要不符",
}


@runtime_checkable
class AccessIndexed(Protocol):
    """A recorder that keeps the access index (adapters.pg_setup, adapters.sqlite_setup)."""

    def select_access(self, query: AccessQuery) -> list[Notification]:
        """Access-record notifications matching ``query``, oldest first."""

    def access_backfill_upto(self) -> int | None:
        """The newest notification that may hold an unindexed access record."""

    def index_access(self, rows: Sequence[tuple[int, AccessIndexRow]]) -> None:
        """Index earlier access records; the backfill is then done."""


@dataclass(frozen=True)
class Finding:
    """The first place where one complaint's record no longer matches."""

    complaint_id: UUID
    version: int
    problem: str

    @property
    def detail(self) -> str:
        """The problem in words staff can act on."""
        return PROBLEM_LABELS.get(self.problem, self.problem)


@dataclass
class VerifyReport:
    """The result of checking chains and anchors."""

    complaints_checked: int = 0
    events_checked: int = 0
    anchors_checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No finding."""
        return not self.findings


@dataclass(frozen=True)
class Head:
    """A complaint's newest version and its row hash."""

    version: int
    row_hash: str


def heads_digest(heads: dict[str, Head]) -> str:
    """SHA-256 over every complaint's head, sorted by id (what an anchor commits to)."""
    h = hashlib.sha256()
    for cid in sorted(heads):
        head = heads[cid]
        h.update(f"{cid}:{head.version}:{head.row_hash}\n".encode())
    return h.hexdigest()


class AuditService:
    """Verification, anchoring, export and the access log, over the complaints store."""

    def __init__(self, store: Store) -> None:
        self.app = store
        self._access_indexed = False  # the backfill of the access index is done (checked once per process)

    # ------------------------------------------------------------------ audited reads

    def record_access(self, *, reader: Actor, complaint_id: UUID, endpoint: str, personal_info: bool) -> None:
        """Append one read to the access log."""
        record = AccessRecord.record(
            record_id=uuid4(),
            reader=reader,
            complaint_id=complaint_id,
            endpoint=endpoint,
            personal_info=personal_info,
            now=self.app.clock.now(),
        )
        index = AccessIndexRow(
            record_id=record.id, complaint_id=complaint_id, reader_id=reader.id, read_at=record.read_at
        )
        with store_errors():
            # the recorder indexes the read in the same transaction (application.access_index)
            self.app.save(record, access_index=[index])

    def access_log(
        self,
        *,
        complaint_id: UUID | None = None,
        reader: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Recorded reads, oldest first, filtered (through the access index when the store has one)."""
        recorder = self.app.recorder
        query = AccessQuery(complaint_id=complaint_id, reader=reader, since=since, until=until, limit=limit)
        if isinstance(recorder, AccessIndexed):
            self._backfill_access_index(recorder)
            with store_errors():
                found = recorder.select_access(query)
            return [self._access_item(n.id, self.app.mapper.to_domain_event(n)) for n in found]
        out: list[dict[str, Any]] = []  # the in-memory store (unit tests): a scan is what it has
        for notification_id, event in self._events_with_topic(ACCESS_TOPIC):
            assert isinstance(event, AccessRecord.Recorded)  # noqa: S101 — selected by topic
            if complaint_id is not None and event.complaint_id != complaint_id:
                continue
            if reader is not None and event.reader.id != reader:
                continue
            if since is not None and event.read_at < since:
                continue
            if until is not None and event.read_at > until:
                continue
            out.append(self._access_item(notification_id, event))
            if len(out) >= limit:
                break
        return out

    @staticmethod
    def _access_item(notification_id: int, event: Any) -> dict[str, Any]:
        assert isinstance(event, AccessRecord.Recorded)  # noqa: S101 — the index holds access records only
        return {
            "id": notification_id,
            "reader": plain(event.reader),
            "complaint_id": str(event.complaint_id),
            "endpoint": event.endpoint,
            "personal_info": event.personal_info,
            "read_at": event.read_at.isoformat(),
        }

    def _backfill_access_index(self, recorder: AccessIndexed) -> None:
        """Index the access records stored before the index existed (once per store, then a no-op read)."""
        if self._access_indexed:
            return
        with store_errors():
            upto = recorder.access_backfill_upto()
        if upto is not None:
            rows: list[tuple[int, AccessIndexRow]] = []
            for notification_id, event in self._events_with_topic(ACCESS_TOPIC, stop=upto):
                assert isinstance(event, AccessRecord.Recorded)  # noqa: S101 — selected by topic
                row = AccessIndexRow(event.originator_id, event.complaint_id, event.reader.id, event.read_at)
                rows.append((notification_id, row))
            with store_errors():
                recorder.index_access(rows)
        self._access_indexed = True

    # ------------------------------------------------------------------ anchors

    def anchors(self) -> list[AnchorLog.Anchored]:
        """Every anchor, oldest first."""
        with store_errors():
            events = list(self.app.events.get(ANCHOR_LOG_ID))
        return [e for e in events if isinstance(e, AnchorLog.Anchored)]

    def anchor(self) -> AnchorLog.Anchored | None:
        """Anchor the heads of all complaints changed since the last anchor (None: nothing changed)."""
        try:
            with store_errors():
                log: Any = self.app.repository.get(ANCHOR_LOG_ID)
        except AggregateNotFoundError:
            log = AnchorLog.start(ANCHOR_LOG_ID, now=self.app.clock.now())
        heads = self._anchored_heads(self.anchors())
        position = log.last_position
        changed: dict[str, list[Any]] = {}
        for notification_id, event in self._complaint_events(after=position):
            position = max(position, notification_id)
            cid = str(event.originator_id)
            heads[cid] = Head(event.originator_version, event.row_hash)
            changed[cid] = [event.originator_version, event.row_hash]
        if not changed:
            return None
        log.anchor(
            now=self.app.clock.now(),
            position=position,
            changed=changed,
            complaints=len(heads),
            digest=heads_digest(heads),
        )
        with store_errors():
            self.app.save(log)
        return self.anchors()[-1]

    @staticmethod
    def _anchored_heads(anchors: Iterable[AnchorLog.Anchored]) -> dict[str, Head]:
        heads: dict[str, Head] = {}
        for a in anchors:
            for cid, (version, row_hash) in a.changed.items():
                heads[cid] = Head(int(version), str(row_hash))
        return heads

    def covering_anchor(self, complaint_id: UUID) -> dict[str, Any] | None:
        """The newest anchor that committed to this complaint: its number, time and the version it covers."""
        found: dict[str, Any] | None = None
        key = str(complaint_id)
        for a in self.anchors():
            if key in a.changed:
                found = {
                    "number": a.number,
                    "anchored_at": a.anchored_at.isoformat(),
                    "version": int(a.changed[key][0]),
                }
        return found

    def chain_head(self, complaint_id: UUID) -> tuple[str, str | None] | None:
        """The complaint's chain head now (its newest event's ``row_hash``) and the digest of the newest anchor
        committing to it (what ``verify_bundle.py --digest`` checks against; None before any), or None."""
        try:
            head = self.app.get(complaint_id).head_hash
        except ComplaintNotFound:
            return None
        key = str(complaint_id)
        digest = next((a.digest for a in reversed(self.anchors()) if key in a.changed), None)
        return head, digest

    # ------------------------------------------------------------------ verification

    def verify(self, complaint_id: UUID | None = None) -> VerifyReport:
        """Check every chain (or one) and every anchor; report the first bad version per complaint."""
        report = VerifyReport()
        anchors = self.anchors()
        anchored: dict[str, Head] = {}
        prev_digest = ""
        for a in anchors:
            report.anchors_checked += 1
            for cid, (version, row_hash) in a.changed.items():
                anchored[cid] = Head(int(version), str(row_hash))
            if a.prev_digest != prev_digest or heads_digest(anchored) != a.digest:
                report.findings.append(Finding(ANCHOR_LOG_ID, a.originator_version, "anchor_digest"))
            prev_digest = a.digest
        ids: list[UUID] = [complaint_id] if complaint_id is not None else self.complaint_ids()
        if complaint_id is None:
            # a complaint whose Received row was removed still has an anchor
            known = {str(i) for i in ids}
            ids += [UUID(key) for key in anchored if key not in known]
        for one in ids:
            deadline.check()  # a verify abandoned by its request's 503 stops here
            report.complaints_checked += 1
            finding, checked = self._verify_chain(one, anchored.get(str(one)))
            report.events_checked += checked
            if finding is not None:
                report.findings.append(finding)
        return report

    def _verify_chain(  # noqa: PLR0911 — one return per kind of finding
        self, cid: UUID, anchor: Head | None
    ) -> tuple[Finding | None, int]:
        with store_errors():
            stored = list(self.app.recorder.select_events(cid))
        prev = GENESIS
        hashes: dict[int, str] = {}
        expected = 1
        for row in stored:
            if row.originator_version != expected:
                return Finding(cid, expected, "missing"), expected - 1
            try:
                event = self.app.mapper.to_domain_event(row)
            except Exception:
                return Finding(cid, expected, "unreadable"), expected - 1
            if not isinstance(event, Complaint.Event):
                return Finding(cid, expected, "foreign"), expected - 1
            if event_hash(event) != event.row_hash:
                return Finding(cid, expected, "altered"), expected - 1
            if event.prev_hash != prev:
                return Finding(cid, expected, "chain_broken"), expected - 1
            prev = event.row_hash
            hashes[expected] = prev
            expected += 1
        last = expected - 1
        if anchor is not None:
            if last < anchor.version:
                return Finding(cid, last + 1, "truncated"), last
            if hashes[anchor.version] != anchor.row_hash:
                return Finding(cid, anchor.version, "differs_from_anchor"), last
        return None, last

    # ------------------------------------------------------------------ export

    def complaint_ids(self, *, since: datetime | None = None, until: datetime | None = None) -> list[UUID]:
        """Every complaint (received within [since, until] when given), in intake order."""
        ids: list[UUID] = []
        for _, event in self._events_with_topic(RECEIVED_TOPIC):
            assert isinstance(event, Complaint.Received)  # noqa: S101 — selected by topic
            if since is not None and event.received_at < since:
                continue
            if until is not None and event.received_at > until:
                continue
            ids.append(event.originator_id)
        return ids

    def complaint_by_slip(self, slip_no: str) -> UUID | None:
        """The complaint with this 受理单号 (either format), found in the store itself, not in a view."""
        for _, event in self._events_with_topic(RECEIVED_TOPIC):
            assert isinstance(event, Complaint.Received)  # noqa: S101 — selected by topic
            if event.slip_no == slip_no:
                return event.originator_id
        return None

    def export(self, complaint_ids: Iterable[UUID], *, personal_info: bool = False) -> dict[str, Any]:
        """A bundle: events (JSON-ready), each complaint's chain, and the newest anchor covering them.

        Without ``personal_info`` every personal value is replaced by its salted commitment (what the
        chain hashes), so the bundle verifies without disclosing it; format-1 events, whose hash
        covers the values in clear, carry ``withheld`` instead and verify only in a full bundle.
        With ``personal_info`` the values are in clear and each event carries its salts.
        Raises ComplaintNotFound (naming the ids) when a requested complaint has no events.
        """
        events: list[dict[str, Any]] = []
        chains: dict[str, dict[str, Any]] = {}
        unknown: list[str] = []
        for cid in complaint_ids:
            with store_errors():
                stored = [e for e in self.app.events.get(cid) if isinstance(e, Complaint.Event)]
            if not stored:
                unknown.append(str(cid))
                continue
            events += [self._bundle_event(e, personal_info=personal_info) for e in stored]
            chains[str(cid)] = {"version": stored[-1].originator_version, "head": stored[-1].row_hash}
        if unknown:
            raise ComplaintNotFound(f"未找到诉求：{', '.join(unknown)}")
        anchors = self.anchors()
        anchor_doc: dict[str, Any] | None = None
        if anchors:
            heads = self._anchored_heads(anchors)
            last = anchors[-1]
            anchor_doc = {
                "number": last.number,
                "anchored_at": last.anchored_at.isoformat(),
                "position": last.position,
                "digest": last.digest,
                "complaints": last.complaints,
                "heads": {cid: [heads[cid].version, heads[cid].row_hash] for cid in sorted(heads)},
            }
        return {
            "format": "yousu-audit-bundle/2",
            "personal_info": personal_info,
            "events": events,
            "chains": chains,
            "anchor": anchor_doc,
        }

    @staticmethod
    def bundle_files(bundle: dict[str, Any]) -> dict[str, str]:
        """The bundle as the files ops/audit/verify_bundle.py reads: events.jsonl, chain.json, anchor.json."""
        lines = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in bundle["events"])
        files = {"events.jsonl": lines, "chain.json": json.dumps(bundle["chains"], ensure_ascii=False, indent=1)}
        if bundle["anchor"] is not None:
            files["anchor.json"] = json.dumps(bundle["anchor"], ensure_ascii=False, indent=1)
        return files

    @staticmethod
    def _bundle_event(e: Complaint.Event, *, personal_info: bool) -> dict[str, Any]:
        payload = event_payload(e)
        salts = event_salts(e)
        doc: dict[str, Any] = {
            "complaint_id": str(e.originator_id),
            "version": e.originator_version,
            "type": type(e).__name__,
            "row_hash": e.row_hash,
        }
        if personal_info:
            doc["payload"] = payload
            if salts:
                doc["salts"] = salts
        elif salts:
            doc["payload"] = committed(payload, salts)
            doc["committed"] = sorted(salts)
        else:
            withheld = False
            for outer, inner in PERSONAL_FIELDS:
                part = payload.get(outer)
                if isinstance(part, dict) and part.get(inner) is not None:
                    part[inner] = WITHHELD
                    withheld = True
            doc["payload"] = payload
            if withheld:
                doc["withheld"] = True
        return doc

    # ------------------------------------------------------------------ internals

    def _events_with_topic(self, topic: str, *, stop: int | None = None) -> Iterator[tuple[int, Any]]:
        start = 1
        while True:
            deadline.check()  # a full scan abandoned by its request's 503 stops here
            with store_errors():
                page = self.app.recorder.select_notifications(start, PAGE, stop=stop, topics=[topic])
            if not page:
                return
            for n in page:
                yield n.id, self.app.mapper.to_domain_event(n)
            start = page[-1].id + 1

    def _complaint_events(self, *, after: int) -> Iterator[tuple[int, Complaint.Event]]:
        start = after + 1
        while True:
            deadline.check()
            with store_errors():
                page = self.app.recorder.select_notifications(start, PAGE)
            if not page:
                return
            for n in page:
                if n.topic.startswith("domain.complaint:"):
                    event = self.app.mapper.to_domain_event(n)
                    if isinstance(event, Complaint.Event):
                        yield n.id, event
            start = page[-1].id + 1
