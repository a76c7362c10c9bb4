"""Running the local accounts: every change checked, recorded in the audit trail, then made.

The order is "no record, no change": the change is checked first (a refused change records nothing),
its event (domain.accounts.AccountRecord, without any password) is committed to the event store, and
only then is the accounts table changed. One record per user name (a uuid5 of it), so two administrators
changing one account at once conflict in the store rather than both passing unseen.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from application.accounts import Account, AccountError, AccountStore, UnknownAccount
from application.store import Store, store_errors
from domain.accounts import ACCOUNT_EVENT_LABELS, AccountRecord, account_record_id
from domain.audit import GENESIS, event_hash, event_payload
from domain.values import Actor, Role

ACCOUNT_TOPICS = [
    get_topic(cls)
    for cls in (
        AccountRecord.Opened,
        AccountRecord.Adopted,
        AccountRecord.Disabled,
        AccountRecord.Enabled,
        AccountRecord.RolesChanged,
        AccountRecord.PasswordReset,
        AccountRecord.PasswordChanged,
    )
]
PAGE = 1000


@dataclass(frozen=True)
class AccountEvent:
    """One recorded account change, as the audit trail shows it."""

    position: int  # the notification id (order across all accounts)
    username: str
    version: int
    type: str
    label: str
    actor: Actor
    occurred_at: datetime
    details: dict[str, Any]
    chain_ok: bool  # the event's hash matches its content and links to the one before


class AccountAdmin:
    """Add, disable, enable, re-role and set passwords of local accounts, each change audited."""

    def __init__(self, store: AccountStore, app: Store) -> None:
        self.store = store
        self.app = app

    def _now(self) -> datetime:
        return self.app.clock.now()

    def _record(self, account: Account, actor: Actor) -> AccountRecord:
        """The account's record; an account made before records existed is taken on record first."""
        try:
            with store_errors():
                record: AccountRecord = self.app.repository.get(account_record_id(account.username))
        except AggregateNotFoundError:
            record = AccountRecord.open(
                username=account.username,
                name=account.name,
                roles=[r.value for r in account.roles],
                department=account.department,
                centre=account.centre,
                actor=actor,
                now=self._now(),
                adopted=True,
            )
        return record

    def _save(self, record: AccountRecord, *, created: bool = False) -> None:
        try:
            with store_errors():
                self.app.save(record)
        except IntegrityError as exc:
            if created:
                raise AccountError("username_taken", f"用户名 {record.username} 已存在", field="username") from exc
            raise AccountError("account_conflict", "该账号正被同时修改，请刷新后重试") from exc

    def _existing(self, username: str) -> Account:
        account = self.store.get(username)
        if account is None:
            raise UnknownAccount(username)
        return account

    def add(
        self,
        *,
        username: str,
        name: str,
        roles: Sequence[Role],
        password: str,
        actor: Actor,
        department: str | None = None,
        centre: str | None = None,
    ) -> Account:
        """Create an account (refused: nothing recorded)."""
        self.store.check_new(
            username=username, name=name, roles=roles, password=password, department=department, centre=centre
        )
        if self.store.get(username) is not None:
            raise AccountError("username_taken", f"用户名 {username} 已存在", field="username")
        record = AccountRecord.open(
            username=username,
            name=name.strip(),
            roles=[r.value for r in roles],
            department=department or None,
            centre=centre or None,
            actor=actor,
            now=self._now(),
        )
        self._save(record, created=True)
        return self.store.add(
            username=username, name=name, roles=roles, password=password, department=department, centre=centre
        )

    def set_disabled(self, username: str, *, disabled: bool, actor: Actor) -> Account:
        """Disable (every session ends at once) or enable an account."""
        account = self._existing(username)
        record = self._record(account, actor)
        if disabled:
            record.disable(actor=actor, now=self._now())
        else:
            record.enable(actor=actor, now=self._now())
        self._save(record)
        return self.store.set_disabled(username, disabled=disabled)

    def set_roles(
        self, username: str, roles: Sequence[Role], *, department: str | None, centre: str | None, actor: Actor
    ) -> Account:
        """New roles, department and centre (every session ends: their tokens carry the old ones)."""
        account = self._existing(username)
        self.store.check_roles(roles, department, centre)
        record = self._record(account, actor)
        record.change_roles(
            roles=[r.value for r in roles],
            department=department or None,
            centre=centre or None,
            actor=actor,
            now=self._now(),
        )
        self._save(record)
        return self.store.set_roles(username, roles, department=department, centre=centre)

    def set_password(self, username: str, password: str, *, actor: Actor, reset: bool) -> None:
        """A new password, set by an administrator (``reset``) or changed; every session ends."""
        account = self._existing(username)
        self.store.check_password(username, password)
        record = self._record(account, actor)
        record.password_set(actor=actor, now=self._now(), reset=reset)
        self._save(record)
        self.store.set_password(username, password)

    # ------------------------------------------------------------------ the audit trail

    def history(self, username: str | None = None) -> list[AccountEvent]:
        """Every recorded account change (or one account's), oldest first, each with its chain checked."""
        heads: dict[UUID, tuple[int, str]] = {}
        out: list[AccountEvent] = []
        wanted = account_record_id(username) if username is not None else None
        for position, event in self._events():
            if wanted is not None and event.originator_id != wanted:
                continue
            version, prev = heads.get(event.originator_id, (0, GENESIS))
            ok = (
                event_hash(event) == event.row_hash
                and event.prev_hash == prev
                and event.originator_version == version + 1
            )
            heads[event.originator_id] = (event.originator_version, event.row_hash)
            payload = event_payload(event)
            details = {k: v for k, v in payload.items() if k not in ("actor", "occurred_at", "timestamp", "prev_hash")}
            name = type(event).__name__
            out.append(
                AccountEvent(
                    position=position,
                    username=str(payload.get("username") or _username_of(out, event.originator_id)),
                    version=event.originator_version,
                    type=name,
                    label=ACCOUNT_EVENT_LABELS.get(name, name),
                    actor=event.actor,
                    occurred_at=event.occurred_at,
                    details=details,
                    chain_ok=ok,
                )
            )
        return out

    def _events(self) -> Iterator[tuple[int, Any]]:
        start = 1
        while True:
            with store_errors():
                page = self.app.recorder.select_notifications(start=start, limit=PAGE, topics=ACCOUNT_TOPICS)
            for n in page:
                yield n.id, self.app.mapper.to_domain_event(n)
            if len(page) < PAGE:
                return
            start = page[-1].id + 1


def _username_of(seen: list[AccountEvent], record_id: UUID) -> str:
    for e in seen:
        if account_record_id(e.username) == record_id:
            return e.username
    return str(record_id)
