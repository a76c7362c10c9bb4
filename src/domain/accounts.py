"""The audited record of a local staff account: every change, who made it and when, hash-linked.

The credentials themselves (the argon2 hash, the disabled flag the sign-in reads) live in the accounts
table (adapters.accounts); this aggregate is the account's history in the event store, next to the
complaints, where discipline inspection reads it (`yousu audit accounts`, `GET /v1/audit/accounts`).
No event carries a password or a hash of one: a password change is recorded as the fact that it happened.
Each event commits to the one before (``prev_hash``/``row_hash``, as a complaint's events do).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.audit import GENESIS, chain_hash, hashed_payload
from domain.values import Actor

ACCOUNT_NAMESPACE = uuid5(NAMESPACE_URL, "https://yousu.invalid/staff-account")

ACCOUNT_EVENT_LABELS = {
    "Opened": "新建账号",
    "Adopted": "既有账号纳入审计",
    "Disabled": "停用账号",
    "Enabled": "启用账号",
    "RolesChanged": "变更角色/单位",
    "PasswordReset": "管理员重置密码",
    "PasswordChanged": "修改密码",
}


def account_record_id(username: str) -> UUID:
    """The record's id: one per user name, so two simultaneous creations of one name conflict in the store."""
    return uuid5(ACCOUNT_NAMESPACE, username)


def _sealed(event_class: Any, record_id: UUID, version: int, **fields: Any) -> dict[str, Any]:
    """The event's fields, its timestamp (``occurred_at``: the instant it was handed) and ``row_hash``."""
    fields["timestamp"] = fields["occurred_at"]
    fields["row_hash"] = chain_hash(str(record_id), version, event_class.__name__, hashed_payload(fields))
    return fields


class AccountRecord(Aggregate):
    """One account's audited history (created with the account, or when an older account first changes)."""

    class Event(Aggregate.Event):
        """Every account event names who made the change and when."""

        actor: Actor
        occurred_at: datetime
        prev_hash: str
        row_hash: str

        def mutate(self, aggregate: Any) -> Any:
            result = super().mutate(aggregate)
            if result is not None:
                result.head_hash = self.row_hash
            return result

    class Opened(Event, Aggregate.Created):
        """A new account: its name, roles, department and centre (never its password)."""

        username: str
        name: str
        roles: list[str]
        department: str | None
        centre: str | None

    class Adopted(Opened):
        """An account made before accounts were audited, taken on record as it stood at its first change."""

    class Disabled(Event):
        """Sign-in refused from now on; every session of the account ended."""

        def apply(self, aggregate: Any) -> None:
            aggregate.disabled = True

    class Enabled(Event):
        """Sign-in allowed again."""

        def apply(self, aggregate: Any) -> None:
            aggregate.disabled = False

    class RolesChanged(Event):
        """New roles, department or centre; every session of the account ended (they carried the old ones)."""

        roles: list[str]
        department: str | None
        centre: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.roles = list(self.roles)
            aggregate.department = self.department
            aggregate.centre = self.centre

    class PasswordReset(Event):
        """An administrator set a new password; every session of the account ended."""

    class PasswordChanged(Event):
        """The password was changed (`yousu users passwd`); every session of the account ended."""

    def __init__(
        self,
        username: str,
        name: str,
        roles: list[str],
        department: str | None,
        centre: str | None,
        **_: Any,
    ) -> None:
        self.username = username
        self.name = name
        self.roles = list(roles)
        self.department = department
        self.centre = centre
        self.disabled = False
        self.head_hash = GENESIS

    @classmethod
    def open(
        cls,
        *,
        username: str,
        name: str,
        roles: list[str],
        department: str | None,
        centre: str | None,
        actor: Actor,
        now: datetime,
        adopted: bool = False,
    ) -> AccountRecord:
        """The record of a new account (``adopted``: of one that existed before accounts were audited)."""
        record_id = account_record_id(username)
        event_class = cls.Adopted if adopted else cls.Opened
        record: AccountRecord = cls._create(
            event_class,
            id=record_id,
            **_sealed(
                event_class,
                record_id,
                cls.INITIAL_VERSION,
                prev_hash=GENESIS,
                actor=actor,
                occurred_at=now,
                username=username,
                name=name,
                roles=list(roles),
                department=department,
                centre=centre,
            ),
        )
        return record

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Every event commits to the chain head before it and carries its own hash."""
        super().trigger_event(
            event_class, **_sealed(event_class, self.id, self.version + 1, prev_hash=self.head_hash, **kwargs)
        )

    def disable(self, *, actor: Actor, now: datetime) -> None:
        """Record that the account was disabled."""
        self.trigger_event(self.Disabled, actor=actor, occurred_at=now)

    def enable(self, *, actor: Actor, now: datetime) -> None:
        """Record that the account was enabled again."""
        self.trigger_event(self.Enabled, actor=actor, occurred_at=now)

    def change_roles(
        self, *, roles: list[str], department: str | None, centre: str | None, actor: Actor, now: datetime
    ) -> None:
        """Record new roles, department and centre."""
        self.trigger_event(
            self.RolesChanged, actor=actor, occurred_at=now, roles=list(roles), department=department, centre=centre
        )

    def password_set(self, *, actor: Actor, now: datetime, reset: bool) -> None:
        """Record a password reset (by an administrator) or change."""
        self.trigger_event(self.PasswordReset if reset else self.PasswordChanged, actor=actor, occurred_at=now)
