"""Value types the complaint's events carry."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Channel(Enum):
    """Where a complaint came in."""

    window = "window"  # 窗口
    hotline = "hotline"  # 12345 热线
    online = "online"  # 网上


class Classification(Enum):
    """按责分类."""

    general = "general"  # 一般性问题
    cannot_do = "cannot_do"  # 办不了
    hard_to_do = "hard_to_do"  # 很难办
    refused_to_do = "refused_to_do"  # 不给办

    @property
    def is_complex(self) -> bool:
        """The three complex kinds need both signatures and a dispatch."""
        return self is not Classification.general


class Role(Enum):
    """Roles of docs/design.md §6, plus the policy engine itself."""

    window_clerk = "window_clerk"  # 窗口工作人员
    duty_officer = "duty_officer"  # 当天值班人员
    duty_leader = "duty_leader"  # 带班领导
    department = "department"  # 窗口部门经办人
    supervisor = "supervisor"  # 督办专人
    liaison = "liaison"  # 纪检监察联络员
    analyst = "analyst"  # 分析人员
    hotline = "hotline"  # 热线接口
    admin = "admin"  # 管理员
    system = "system"  # 系统策略 (never a person)
    callback_agent = "callback_agent"  # 满意度回访员


class ComplainantType(Enum):
    """A person or an enterprise."""

    person = "person"
    enterprise = "enterprise"


class Status(Enum):
    """Where a complaint stands; always a function of its events."""

    received = "received"
    classified = "classified"
    officer_signed = "officer_signed"
    signed = "signed"
    dispatched = "dispatched"
    consulted = "consulted"
    resolved = "resolved"
    fed_back = "fed_back"
    rectifying = "rectifying"
    closed = "closed"
    withdrawn = "withdrawn"  # 撤诉: the person withdrew it (closed, counted apart)
    merged = "merged"  # 并单: closed as a duplicate of its master, answered with the master's result


STATUS_LABELS: dict[Status, str] = {
    Status.received: "已受理",
    Status.classified: "已分类",
    Status.officer_signed: "值班人员已签",
    Status.signed: "已审核签字",
    Status.dispatched: "已转办",
    Status.consulted: "已会商",
    Status.resolved: "已办结",
    Status.fed_back: "已反馈",
    Status.rectifying: "整改中",
    Status.closed: "已回访",
    Status.withdrawn: "已撤诉",
    Status.merged: "已并单",
}

CLASSIFICATION_LABELS: dict[Classification, str] = {
    Classification.general: "一般性问题",
    Classification.cannot_do: "办不了",
    Classification.hard_to_do: "很难办",
    Classification.refused_to_do: "不给办",
}

RATING_LABELS: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


@dataclass(frozen=True)
class Actor:
    """Who did something: every event records one."""

    id: str
    name: str
    role: Role
    department: str | None = None


SYSTEM_ACTOR = Actor(id="system", name="系统策略", role=Role.system)


@dataclass(frozen=True)
class Complainant:
    """The person or enterprise complaining (personal information)."""

    type: ComplainantType
    name: str
    phone: str
    id_number: str | None = None
    enterprise_name: str | None = None
