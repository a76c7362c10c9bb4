"""Metrics view: counts per received day × department × classification × channel × category.

Every docs/design.md §3 rate is a sum of these counts; no query ever scans complaints.

Decisions (the reference in the tests follows them):

- **Cohort.** A complaint is counted on the local day (calendar zone) it was *received*; a period
  ``from..to`` means "complaints received in that period", for every rate.
- **Departments.** A complaint dispatched to several departments counts once in each of their
  groups. Each complaint is stored twice over: once under ``department = '*'`` (the all-departments
  facet, used whenever the query is not grouped or filtered by department, so nothing is counted
  twice), and once under each of its departments (``''`` while it has none, e.g. general
  complaints answered at the window). Grouping by department sums the per-department rows, whose
  total may exceed the number of complaints.
- **Clocks that fall due.** "Due" depends on the instant of the query: a clock counts in a
  denominator once it was met in time, or once its deadline has passed (met late or not at all).
  The counts keep ``*_met`` (met in time) and ``*_unmet`` (not met in time, whether or not the
  deadline has passed yet); ``yousu_metrics_due`` keeps the unmet ones per deadline instant. A query
  at ``now`` takes ``met + unmet`` and subtracts the unmet clocks whose deadline is still ahead
  (``due_at >= now``), found through the index on ``due_at``: only recent complaints have any.
- **Rollups.** Counts are kept per day and, identically, per month (``month`` is the month's first
  day); a query sums whole months from the monthly table and only the ragged ends from the daily one.
- **Response** (接诉响应): answered = dispatched (complex kinds, after both signatures) or resolved
  (general, on the spot); rate = answered in time ÷ due.
- **Closure** (办结): first resolution against the resolution deadline (rectification rounds do not
  count again); closure rate = resolved ÷ due, on-time closure rate = resolved in time ÷ due.
- **Call-back** (回访): the first round's call-back against the call-back limit that the first
  feedback started; rate = called back ÷ due.
- **Withdrawn** (撤诉): counted apart (``withdrawn``); a clock not met when the person withdrew never
  falls due, so it is in no denominator; clocks met before the withdrawal still count.
- **Satisfaction** (满意率) and **差评率**: every call-back is a rated call-back, rectification rounds
  included; which levels count as satisfied is a query parameter (default 3, 4, 5); 差评 is 1–2.
  A 差评 whose 申诉 the duty leader upheld is set aside: it counts under no level, so it leaves both
  rates. ``appealed`` and ``appeals_upheld`` count the appeals; 差评申诉成立率 = upheld ÷ appealed.
- **并单** (merged): a duplicate merged into its master is answered by the merge (response) and leaves
  the closure counts (its resolution is the master's, counted once there); ``merged`` counts the
  duplicates still merged. Their feedback and call-back still count, one per person.
- **退单** (returns): a complaint counts under every department it was ever dispatched to (改派 adds
  the new ones); ``dispatched`` is 1 in each of those groups, ``returned`` the returns made by that
  department (in the all-departments facet: every return). 退单率 = returned ÷ dispatched.
- **延期, 中止**: ``extended`` and ``paused`` count complaints with at least one approved extension or
  one pause; on-time closure counts against the deadline as extended and moved by the pauses.
  按原时限办结率, side by side with it, counts the first resolution against the deadline as 分类, 转办
  or 改派 set it (a 时限更正 of a deadline not yet moved corrects it too), before any 延期 or 中止.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any, ClassVar
from uuid import UUID

from domain.calendar import WorkingCalendar
from domain.complaint import SATISFIED_THRESHOLD, Complaint
from domain.rules import ClockKind
from projections.db import Column, Table, Tx, ViewDB
from projections.db import ColumnType as T
from projections.view import Applied, QueryError, View, aware, by_complaint, needs_lookup

ALL_DEPARTMENTS = "*"  # the facet in which each complaint counts exactly once
NO_DEPARTMENT = ""  # not dispatched (general complaints, or not yet)

DIMENSIONS = ("day", "department", "classification", "channel", "category", "centre")
MONTHLY_DIMENSIONS = ("month", "department", "classification", "channel", "category", "centre")
COUNTS = (
    "received",
    "answered",
    "response_met",
    "resolved",
    "resolution_met",
    "fed_back",
    "called_back",
    "callback_met",
    "rated_1",
    "rated_2",
    "rated_3",
    "rated_4",
    "rated_5",
    "rectifications",
    "response_unmet",
    "resolution_unmet",
    "callback_unmet",
    "reclassified",
    "withdrawn",
    "dispatched",
    "returned",
    "merged",
    "extended",
    "paused",
    "resolution_original_met",
    "resolution_original_unmet",
    "appealed",
    "appeals_upheld",
)
ORIGINAL = "resolution_original"  # the resolution clock as first set, before any 延期 or 中止 moved it
DUE_CLOCKS = (ClockKind.response.value, ClockKind.resolution.value, ClockKind.callback.value)
BAD_LEVELS = tuple(range(1, SATISFIED_THRESHOLD))  # 差评: 不满意, 非常不满意
DEFAULT_SATISFIED_LEVELS = (3, 4, 5)  # 非常满意, 满意, 基本满意

_FACETS = (
    Column("department", T.text),
    Column("classification", T.text),  # '' until classified
    Column("channel", T.text),
    Column("category", T.text),
    Column("centre", T.text),  # the receiving service centre
)
_COUNT_COLUMNS = tuple(Column(c, T.integer, nullable=False) for c in COUNTS)

METRICS_COUNTS = Table(
    "yousu_metrics_counts",
    (Column("day", T.day), *_FACETS, *_COUNT_COLUMNS),
    key=DIMENSIONS,
)

METRICS_MONTHLY = Table(
    "yousu_metrics_monthly",
    (Column("month", T.day), *_FACETS, *_COUNT_COLUMNS),
    key=MONTHLY_DIMENSIONS,
)

METRICS_DUE = Table(
    "yousu_metrics_due",
    (
        Column("day", T.day),
        *_FACETS,
        Column("clock", T.text),
        Column("due_at", T.timestamp),
        Column("n", T.integer, nullable=False),
    ),
    key=(*DIMENSIONS, "clock", "due_at"),
    indexes=(("yousu_metrics_due_at_idx", "(due_at)"),),
)

# What the view remembers of each complaint, so that a later event knows where its counts sit.
METRICS_STATE = Table(
    "yousu_metrics_state",
    (
        Column("complaint_id", T.uuid),
        Column("day", T.day, nullable=False),
        Column("channel", T.text, nullable=False),
        Column("category", T.text, nullable=False),
        Column("classification", T.text, nullable=False),
        Column("departments", T.text, nullable=False),
        Column("response_due_at", T.timestamp, nullable=False),
        Column("answered_at", T.timestamp),
        Column("resolution_due_at", T.timestamp),
        Column("resolved_at", T.timestamp),
        Column("fed_back_at", T.timestamp),
        Column("callback_due_at", T.timestamp),
        Column("called_back_at", T.timestamp),
        Column("ratings", T.text, nullable=False),  # every call-back's rating, e.g. "2,4"
        Column("rectifications", T.integer, nullable=False),
        Column("centre", T.text, nullable=False),
        Column("reclassified", T.integer, nullable=False),  # 1 after 改分类 (counted under the final kind)
        Column("withdrawn", T.integer, nullable=False),  # 1 after 撤诉: counted apart, its unmet clocks not due
        Column("returned_by", T.text, nullable=False),  # the department of every 退单, comma-separated
        Column("merged", T.integer, nullable=False),  # 1 while merged into a master (并单)
        Column("extensions", T.integer, nullable=False),
        Column("pauses", T.integer, nullable=False),
        Column("original_due_at", T.timestamp),  # the resolution deadline as set at 分类/转办/改派, unextended
        Column("appeals", T.integer, nullable=False),  # 差评申诉 made
        Column("appeals_upheld", T.integer, nullable=False),  # … and upheld (their 差评 set aside)
    ),
    key=("complaint_id",),
)

STATE_COLUMNS = METRICS_STATE.column_names
_state_tuple = itemgetter(*STATE_COLUMNS)
Key = tuple[Any, ...]


def _met(at: datetime | None, due: datetime | None) -> bool:
    return at is not None and due is not None and at <= due


RETURNED = COUNTS.index("returned")


@dataclass(frozen=True)
class Contribution:
    """What one complaint adds: ``vectors[i]`` (in :data:`COUNTS` order) to ``keys[i]`` (one per
    department facet), and one to each due row ``(*key, clock, due_at)`` for its clocks in ``unmet``."""

    keys: tuple[Key, ...]
    vectors: tuple[tuple[int, ...], ...]
    unmet: tuple[tuple[str, datetime], ...]

    def due_keys(self) -> list[Key]:
        """The due rows this complaint counts in."""
        return [(*key, clock, at) for key in self.keys for clock, at in self.unmet]


def contribution(s: Mapping[str, Any]) -> Contribution:
    """What one complaint, as the view remembers it, adds to the count and due rows."""
    ratings = s["ratings"]
    answered, resolved, called_back = s["answered_at"], s["resolved_at"], s["called_back_at"]
    response_met = _met(answered, s["response_due_at"])
    resolution_met = _met(resolved, s["resolution_due_at"])
    callback_met = _met(called_back, s["callback_due_at"])
    original_met = _met(resolved, s["original_due_at"])
    # 撤诉: a clock not met when the person withdrew never falls due (met ones still count)
    counted = not s["withdrawn"]
    response_unmet = counted and not response_met
    resolution_unmet = counted and s["resolution_due_at"] is not None and not resolution_met
    callback_unmet = counted and s["callback_due_at"] is not None and not callback_met
    original_unmet = counted and s["original_due_at"] is not None and not original_met
    unmet: list[tuple[str, datetime]] = []
    if response_unmet:
        unmet.append((ClockKind.response.value, s["response_due_at"]))
    if resolution_unmet:
        unmet.append((ClockKind.resolution.value, s["resolution_due_at"]))
    if callback_unmet:
        unmet.append((ClockKind.callback.value, s["callback_due_at"]))
    if original_unmet:
        unmet.append((ORIGINAL, s["original_due_at"]))
    vector = (
        1,
        int(answered is not None),
        int(response_met),
        int(resolved is not None),
        int(resolution_met),
        int(s["fed_back_at"] is not None),
        int(called_back is not None),
        int(callback_met),
        ratings.count("1"),  # ratings are single digits, comma-separated
        ratings.count("2"),
        ratings.count("3"),
        ratings.count("4"),
        ratings.count("5"),
        s["rectifications"],
        int(response_unmet),
        int(resolution_unmet),
        int(callback_unmet),
        s["reclassified"],
        s["withdrawn"],
        int(bool(s["departments"])),
        0,  # returned: per facet below
        s["merged"],
        int(s["extensions"] > 0),
        int(s["pauses"] > 0),
        int(original_met),
        int(original_unmet),
        s["appeals"],
        s["appeals_upheld"],
    )
    departments = s["departments"].split(",") if s["departments"] else (NO_DEPARTMENT,)
    returned_by = s["returned_by"].split(",") if s["returned_by"] else []
    day, classification, channel, category = s["day"], s["classification"], s["channel"], s["category"]
    centre = s["centre"]
    facets = (ALL_DEPARTMENTS, *departments)
    keys = tuple((day, facet, classification, channel, category, centre) for facet in facets)
    vectors = []
    for facet in facets:
        returns = len(returned_by) if facet == ALL_DEPARTMENTS else returned_by.count(facet)
        vectors.append((*vector[:RETURNED], returns, *vector[RETURNED + 1 :]) if returns else vector)
    return Contribution(keys, tuple(vectors), tuple(unmet))


class _Deltas:
    """Count and due-row changes of one page, summed per key."""

    def __init__(self) -> None:
        self.counts: dict[Key, list[int]] = {}
        self.due: dict[Key, int] = {}

    def add(self, key: Key, vector: Sequence[int]) -> None:
        counts = self.counts
        acc = counts.get(key)
        if acc is None:
            counts[key] = list(vector)
        else:
            for i, v in enumerate(vector):
                if v:
                    acc[i] += v

    def change(self, old: Contribution | None, new: Contribution) -> None:
        """Move one complaint from its old contribution to its new one."""
        if old is None:
            for key, vector in zip(new.keys, new.vectors, strict=True):
                self.add(key, vector)
            for key in new.due_keys():
                self.due[key] = self.due.get(key, 0) + 1
            return
        if old.keys == new.keys:
            for key, was, now in zip(new.keys, old.vectors, new.vectors, strict=True):
                delta = [b - a for a, b in zip(was, now, strict=True)]
                if any(delta):
                    self.add(key, delta)
        else:
            for key, vector in zip(old.keys, old.vectors, strict=True):
                self.add(key, [-v for v in vector])
            for key, vector in zip(new.keys, new.vectors, strict=True):
                self.add(key, vector)
        if old.keys != new.keys or old.unmet != new.unmet:
            before, after = set(old.due_keys()), set(new.due_keys())
            for key in before - after:
                self.due[key] = self.due.get(key, 0) - 1
            for key in after - before:
                self.due[key] = self.due.get(key, 0) + 1

    def monthly(self) -> dict[Key, list[int]]:
        """The same count changes, per month."""
        out: dict[Key, list[int]] = {}
        for (day, *facets), vector in self.counts.items():
            key = (day.replace(day=1), *facets)
            acc = out.get(key)
            if acc is None:
                out[key] = list(vector)
            else:
                for i, v in enumerate(vector):
                    acc[i] += v
        return out


def _received(s: dict[str, Any] | None, e: Complaint.Received, calendar: WorkingCalendar) -> dict[str, Any]:
    return {
        "complaint_id": e.originator_id,
        "day": calendar.local_day(e.received_at),
        "channel": e.channel.value,
        "category": e.category,
        "classification": "",
        "departments": "",
        "response_due_at": e.response_due_at,
        "answered_at": None,
        "resolution_due_at": None,
        "resolved_at": None,
        "fed_back_at": None,
        "callback_due_at": None,
        "called_back_at": None,
        "ratings": "",
        "rectifications": 0,
        "centre": e.centre,
        "reclassified": 0,
        "withdrawn": 0,
        "returned_by": "",
        "merged": 0,
        "extensions": 0,
        "pauses": 0,
        "original_due_at": None,
        "appeals": 0,
        "appeals_upheld": 0,
    }


def _classified(s: dict[str, Any], e: Complaint.Classified) -> None:
    s["classification"] = e.classification.value
    if e.due_at is not None:
        s["resolution_due_at"] = s["original_due_at"] = e.due_at


def _reclassified(s: dict[str, Any], e: Complaint.Reclassified) -> None:
    # counted under its final kind; the general kind's same-day deadline no longer applies (dispatch sets the new one)
    s["classification"] = e.to_classification.value
    s["resolution_due_at"] = s["original_due_at"] = None
    s["reclassified"] = 1


def _dispatched(s: dict[str, Any], e: Complaint.Dispatched) -> None:
    s["departments"] = ",".join(e.departments)
    s["resolution_due_at"] = s["original_due_at"] = e.due_at
    if s["answered_at"] is None:
        s["answered_at"] = e.occurred_at


def _resolved(s: dict[str, Any], e: Complaint.Resolved) -> None:
    if s["answered_at"] is None:  # general: answered by resolving on the spot
        s["answered_at"] = e.occurred_at
    if s["resolved_at"] is None and not s["merged"]:  # a merged duplicate's closure is its master's
        s["resolved_at"] = e.occurred_at


def _fed_back(s: dict[str, Any], e: Complaint.FedBack) -> None:
    if s["fed_back_at"] is None:
        s["fed_back_at"] = e.occurred_at
        s["callback_due_at"] = e.callback_due_at


def _called_back(s: dict[str, Any], e: Complaint.CalledBack) -> None:
    if s["called_back_at"] is None:
        s["called_back_at"] = e.occurred_at
    s["ratings"] = f"{s['ratings']},{e.rating}" if s["ratings"] else str(e.rating)
    if e.rating < SATISFIED_THRESHOLD:
        s["rectifications"] += 1


def _deadline_corrected(s: dict[str, Any], e: Complaint.DeadlineCorrected) -> None:
    key = {
        ClockKind.response: "response_due_at",
        ClockKind.resolution: "resolution_due_at",
        ClockKind.callback: "callback_due_at",
    }.get(e.clock)
    if key is not None and e.round == 0 and s[key] is not None:
        if key == "resolution_due_at" and s["original_due_at"] == s[key]:  # not moved yet: the original too
            s["original_due_at"] = e.due_at
        s[key] = e.due_at


def _withdrawn(s: dict[str, Any], _e: Complaint.Withdrawn) -> None:
    s["withdrawn"] = 1


def _merged(s: dict[str, Any], e: Complaint.Merged) -> None:
    if s["answered_at"] is None:  # the duty leader's merge answers the duplicate
        s["answered_at"] = e.occurred_at
    s["resolution_due_at"] = s["original_due_at"] = None  # counted once: the master's closure is the closure
    s["merged"] = 1


def _unmerged(s: dict[str, Any], e: Complaint.Unmerged) -> None:
    if e.response_due_at is not None:
        s["answered_at"] = None
        s["response_due_at"] = e.response_due_at
    s["resolution_due_at"] = s["original_due_at"] = e.due_at
    s["merged"] = 0


def _redispatched(s: dict[str, Any], e: Complaint.Redispatched) -> None:
    known = s["departments"].split(",") if s["departments"] else []
    s["departments"] = ",".join([*known, *(d for d in e.departments if d not in known)])
    s["resolution_due_at"] = s["original_due_at"] = e.due_at  # 改派: a new limit from now


def _returned(s: dict[str, Any], e: Complaint.Returned) -> None:
    s["returned_by"] = f"{s['returned_by']},{e.department}" if s["returned_by"] else e.department


def _extension_approved(s: dict[str, Any], e: Complaint.ExtensionApproved) -> None:
    s["extensions"] += 1
    if s["resolution_due_at"] is not None:
        s["resolution_due_at"] = e.due_at


def _clock_paused(s: dict[str, Any], _e: Complaint.ClockPaused) -> None:
    s["pauses"] += 1


def _rating_appealed(s: dict[str, Any], _e: Complaint.RatingAppealed) -> None:
    s["appeals"] += 1


def _appeal_decided(s: dict[str, Any], e: Complaint.AppealDecided) -> None:
    """An upheld appeal sets the 差评 that opened its round aside: it leaves every rating count."""
    if not e.upheld:
        return
    s["appeals_upheld"] += 1
    ratings = s["ratings"].split(",")
    bad = [i for i, r in enumerate(ratings) if r.isdigit() and int(r) < SATISFIED_THRESHOLD]
    if len(bad) >= e.round:
        ratings[bad[e.round - 1]] = "x"  # counted under no level
        s["ratings"] = ",".join(ratings)


def _clock_resumed(s: dict[str, Any], e: Complaint.ClockResumed) -> None:
    if s["resolution_due_at"] is not None:
        s["resolution_due_at"] = e.due_at


# Events that change what the view remembers, by exact class; others (signatures, consultations,
# escalations) leave the counts alone.
HANDLERS: dict[type, Callable[[dict[str, Any], Any], None]] = {
    Complaint.Classified: _classified,
    Complaint.Reclassified: _reclassified,
    Complaint.Dispatched: _dispatched,
    Complaint.Resolved: _resolved,
    Complaint.FedBack: _fed_back,
    Complaint.CalledBack: _called_back,
    Complaint.DeadlineCorrected: _deadline_corrected,
    Complaint.Withdrawn: _withdrawn,
    Complaint.Merged: _merged,
    Complaint.Unmerged: _unmerged,
    Complaint.Redispatched: _redispatched,
    Complaint.Returned: _returned,
    Complaint.ExtensionApproved: _extension_approved,
    Complaint.ClockPaused: _clock_paused,
    Complaint.ClockResumed: _clock_resumed,
    Complaint.RatingAppealed: _rating_appealed,
    Complaint.AppealDecided: _appeal_decided,
}


class MetricsView(View):
    """Counts behind every rate, kept per day and month and dimensions."""

    name: ClassVar[str] = "metrics"
    # 5: 撤诉 counted apart; 6: dispatched, returned, merged, extended, paused; 7: the original limit, 差评申诉
    version: ClassVar[int] = 7
    tables: ClassVar[tuple[Table, ...]] = (METRICS_STATE, METRICS_COUNTS, METRICS_MONTHLY, METRICS_DUE)

    def fold(self, s: dict[str, Any] | None, e: Complaint.Event) -> dict[str, Any] | None:
        """A complaint's remembered facts after event ``e`` (``s`` is changed in place)."""
        if type(e) is Complaint.Received:
            return _received(s, e, self.calendar)
        handler = HANDLERS.get(type(e))
        if s is not None and handler is not None:
            handler(s, e)
        return s

    def apply(self, tx: Tx, page: Sequence[Applied]) -> None:
        """Fold the page, then move each touched complaint from its old contribution to its new one."""
        groups = by_complaint(page)
        states: dict[UUID, dict[str, Any]] = {}
        lookup = needs_lookup(groups)
        if lookup:
            found = tx.select_in(METRICS_STATE, STATE_COLUMNS, "complaint_id", lookup, T.uuid)
            for values in tx.load(METRICS_STATE, found):
                s = dict(zip(STATE_COLUMNS, values, strict=True))
                states[s["complaint_id"]] = s
        deltas = _Deltas()
        changed: list[tuple[Any, ...]] = []
        for cid, events in groups.items():
            old = states.get(cid)
            new = dict(old) if old is not None else None
            for applied in events:
                new = self.fold(new, applied.event)
            if new is None or new == old:
                continue
            deltas.change(contribution(old) if old is not None else None, contribution(new))
            changed.append(_state_tuple(new))
        tx.upsert(METRICS_STATE, changed)
        tx.add_counts(METRICS_COUNTS, [(*k, *v) for k, v in deltas.counts.items() if any(v)])
        tx.add_counts(METRICS_MONTHLY, [(*k, *v) for k, v in deltas.monthly().items() if any(v)])
        tx.add_counts(METRICS_DUE, [(*k, n) for k, n in deltas.due.items() if n])


@dataclass(frozen=True)
class Rate:
    """A rate with what it is made of; ``rate`` is None when nothing is due yet."""

    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        """numerator ÷ denominator."""
        return self.numerator / self.denominator if self.denominator else None

    def as_dict(self) -> dict[str, Any]:
        """``{numerator, denominator, rate}``."""
        return {"numerator": self.numerator, "denominator": self.denominator, "rate": self.rate}


RATE_LABELS: dict[str, str] = {
    "response": "接诉响应率",
    "closure": "问题办结率",
    "on_time_closure": "按期办结率",
    "satisfaction": "群众满意率",
    "bad_rating": "差评率",
    "callback": "回访率",
    "return": "退单率",
    "on_time_closure_original": "按原时限办结率",
    "appeal_upheld": "差评申诉成立率",
}
RATE_NAMES = tuple(RATE_LABELS)


def rates(
    counts: Mapping[str, int], ahead: Mapping[str, int], satisfied_levels: Iterable[int] = DEFAULT_SATISFIED_LEVELS
) -> dict[str, Rate]:
    """The six docs/design.md §3 rates, and 退单率, from summed counts, as of an instant.

    ``ahead[clock]`` is the number of clocks of that kind not met yet whose deadline is still ahead
    of the instant: they are pending, so they leave the denominator.
    """
    rated = sum(counts[f"rated_{level}"] for level in range(1, 6))
    satisfied = sum(counts[f"rated_{level}"] for level in set(satisfied_levels))
    bad = sum(counts[f"rated_{level}"] for level in BAD_LEVELS)

    def due(clock: ClockKind | str) -> int:
        name = clock.value if isinstance(clock, ClockKind) else clock
        return counts[f"{name}_met"] + counts[f"{name}_unmet"] - ahead.get(name, 0)

    response_due = due(ClockKind.response)
    resolution_due = due(ClockKind.resolution)
    callback_due = due(ClockKind.callback)
    return {
        "response": Rate(counts["response_met"], response_due),
        "closure": Rate(counts["resolved"], resolution_due),
        "on_time_closure": Rate(counts["resolution_met"], resolution_due),
        "satisfaction": Rate(satisfied, rated),
        "bad_rating": Rate(bad, rated),
        "callback": Rate(counts["called_back"], callback_due),
        "return": Rate(counts["returned"], counts["dispatched"]),
        # side by side with on_time_closure (against the deadline as 延期 and 中止 moved it)
        "on_time_closure_original": Rate(counts["resolution_original_met"], due(ORIGINAL)),
        "appeal_upheld": Rate(counts["appeals_upheld"], counts["appealed"]),
    }


# ---------------------------------------------------------------------------------------- queries

GROUP_BY = ("department", "classification", "channel", "category", "month", "centre")


@dataclass(frozen=True)
class MetricsGroup:
    """One group of a metrics query: its key, raw counts, the clocks still ahead, and the six rates."""

    group: str
    counts: dict[str, int]
    ahead: dict[str, int]
    rates: dict[str, Rate] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{group, counts, rates: {name: {numerator, denominator, rate}}}``."""
        return {
            "group": self.group,
            "counts": dict(self.counts),
            "rates": {name: r.as_dict() for name, r in self.rates.items()},
        }


def _group_expr(tx: Tx, group_by: str | None, day_column: str) -> str:
    if group_by is None:
        return "''"
    if group_by == "month":
        return f"to_char({day_column}, 'YYYY-MM')" if tx.is_postgres else f"substr({day_column}, 1, 7)"
    return group_by


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def split_period(from_: date, to: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """Whole months within ``from_..to`` (first days of the first and last), and the days left over."""
    first = from_ if from_.day == 1 else _next_month(from_)  # the first whole month's first day
    after = _next_month(to) if _next_month(to) - timedelta(days=1) == to else to.replace(day=1)  # after the last
    if first >= after:
        return None, [(from_, to)] if from_ <= to else []
    days = []
    if from_ < first:
        days.append((from_, first - timedelta(days=1)))
    if after <= to:
        days.append((after, to))
    return (first, (after - timedelta(days=1)).replace(day=1)), days


@dataclass(frozen=True)
class PeriodPlan:
    """What a period's counts are summed from: whole months (monthly roll-up) plus days, minus days.

    A ragged end covering most of its month is that month's roll-up minus the few days outside the period
    (counts are additive), so a query reads at most about half a month of daily rows at each end."""

    months: list[tuple[date, date]]  # first days of the first and last month of each span (inclusive)
    days: list[tuple[date, date]]  # day spans added
    minus: list[tuple[date, date]]  # day spans subtracted (all inside ``months``)


def _month_pieces(a: date, b: date) -> list[tuple[date, date]]:
    pieces = []
    while a <= b:
        end = min(b, _next_month(a) - timedelta(days=1))
        pieces.append((a, end))
        a = end + timedelta(days=1)
    return pieces


def plan_period(from_: date, to: date) -> PeriodPlan:
    """The plan that reads the fewest rows: split_period's whole months, and each ragged end from days or as
    its month minus the days outside the period, whichever is fewer days."""
    months, ragged = split_period(from_, to)
    plan = PeriodPlan([months] if months is not None else [], [], [])
    for a, b in (piece for span in ragged for piece in _month_pieces(*span)):
        first = a.replace(day=1)
        last = _next_month(first) - timedelta(days=1)
        inside = (b - a).days + 1
        if (last - first).days + 1 - inside >= inside:
            plan.days.append((a, b))
            continue
        plan.months.append((first, first))
        if a > first:
            plan.minus.append((first, a - timedelta(days=1)))
        if b < last:
            plan.minus.append((b + timedelta(days=1), last))
    return plan


def metrics(  # noqa: PLR0913 — the query's knobs: a period, a grouping, an instant and four filters
    db: ViewDB,
    from_: date,
    to: date,
    group_by: str | None,
    now: datetime,
    *,
    satisfied_levels: Iterable[int] = DEFAULT_SATISFIED_LEVELS,
    department: str | None = None,
    classification: str | None = None,
    channel: str | None = None,
    category: str | None = None,
    centre: str | None = None,
) -> list[MetricsGroup]:
    """Rates for complaints received from ``from_`` to ``to`` (local days, inclusive), per group, as of ``now``.

    ``now`` decides which deadlines have passed; it should not be earlier than the events counted.
    """
    if group_by is not None and group_by not in GROUP_BY:
        msg = f"group_by must be one of {', '.join(GROUP_BY)}"
        raise QueryError(msg)
    aware(now, "now")
    levels = sorted(set(satisfied_levels))
    if not levels or any(not 1 <= lv <= 5 for lv in levels):
        msg = "satisfied levels must be within 1..5"
        raise QueryError(msg)
    # The department facet when grouping or filtering by department, else each complaint once.
    facet_conds = ["department <> ?" if group_by == "department" or department is not None else "department = ?"]
    facet_params: list[Any] = [ALL_DEPARTMENTS]
    for column, value in (
        ("department", department),
        ("classification", classification),
        ("channel", channel),
        ("category", category),
        ("centre", centre),
    ):
        if value is not None:
            facet_conds.append(f"{column} = ?")
            facet_params.append(value)
    facets = " AND ".join(facet_conds)
    plan = plan_period(from_, to)
    sums = ", ".join(f"SUM({c})" for c in COUNTS)
    totals: dict[str, list[int]] = {}
    ahead: dict[str, dict[str, int]] = {}

    def summed(tx: Tx, table: Table, column: str, ranges: list[tuple[date, date]]) -> list[tuple[Any, ...]]:
        if not ranges:
            return []
        spans = " OR ".join(f"({column} >= ? AND {column} <= ?)" for _ in ranges)
        return tx.query(
            f"SELECT {_group_expr(tx, group_by, column)}, {sums} FROM {table.name}"  # noqa: S608 — our table and column names, values bound
            f" WHERE ({spans}) AND {facets} GROUP BY 1",
            [*(d for span in ranges for d in span), *facet_params],
        )

    with db.transaction(write=False) as tx:
        found = summed(tx, METRICS_MONTHLY, "month", plan.months) + summed(tx, METRICS_COUNTS, "day", plan.days)
        minus = summed(tx, METRICS_COUNTS, "day", plan.minus)
        g = _group_expr(tx, group_by, "day")
        # the clocks still running are few beside all the period's: SQLite, without statistics, would walk the
        # period's days instead (66 ms against 6 ms at 100,000 complaints); PostgreSQL's planner knows better
        due_index = "" if tx.dialect == "postgresql" else f" INDEXED BY {METRICS_DUE.indexes[0][0]}"
        pending = tx.query(
            f"SELECT {g}, clock, SUM(n) FROM {METRICS_DUE.name}{due_index}"  # noqa: S608 — our table and column names, values bound
            f" WHERE due_at >= ? AND day >= ? AND day <= ? AND {facets} GROUP BY 1, 2",
            [now, from_, to, *facet_params],
        )
    for sign, rows in ((1, found), (-1, minus)):
        for row in rows:
            acc = totals.setdefault(str(row[0]), [0] * len(COUNTS))
            for i, v in enumerate(row[1:]):
                acc[i] += sign * int(v or 0)
    for key, clock, n in pending:
        ahead.setdefault(str(key), {})[str(clock)] = int(n)
    groups = []
    for key in sorted(totals):
        counts = dict(zip(COUNTS, totals[key], strict=True))
        if not counts["received"]:
            continue
        group_ahead = ahead.get(key, {})
        groups.append(MetricsGroup(key, counts, group_ahead, rates(counts, group_ahead, levels)))
    return groups
