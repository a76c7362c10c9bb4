"""Bearer JWT verification (HS256 with a shared secret, or RS256 with a public key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from domain.values import Actor, Role

ISSUER = "yousu"


class AuthError(Exception):
    """The token is missing, malformed, expired or not signed by us (401)."""


@dataclass(frozen=True)
class Principal:
    """The verified caller."""

    sub: str
    name: str
    roles: frozenset[Role]
    department: str | None = None

    def actor(self, role: Role) -> Actor:
        """The caller acting in ``role``."""
        return Actor(id=self.sub, name=self.name, role=role, department=self.department)


@dataclass(frozen=True)
class TokenVerifier:
    """Verifies tokens with HS256 (secret) or RS256 (public key)."""

    secret: str | None = None
    public_key: str | None = None

    def __post_init__(self) -> None:
        if not self.secret and not self.public_key:
            msg = "set YOUSU_AUTH_SECRET (HS256) or YOUSU_AUTH_PUBLIC_KEY_FILE (RS256)"
            raise ValueError(msg)

    def verify(self, token: str) -> Principal:
        """Decode and check a token; raise AuthError with a reason otherwise."""
        key, algorithms = (self.public_key, ["RS256"]) if self.public_key else (self.secret, ["HS256"])
        try:
            claims = jwt.decode(
                token,
                key=key or "",
                algorithms=algorithms,
                options={"require": ["sub", "exp"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("令牌已过期") from exc
        except jwt.PyJWTError as exc:
            raise AuthError("令牌无效") from exc
        raw_roles = claims.get("roles")
        if not isinstance(raw_roles, list) or not raw_roles:
            raise AuthError("令牌缺少 roles")
        try:
            roles = frozenset(Role(r) for r in raw_roles)
        except ValueError as exc:
            raise AuthError("令牌含未知角色") from exc
        if Role.system in roles:
            raise AuthError("system 角色不能由令牌持有")
        department = claims.get("department")
        if Role.department in roles and not department:
            raise AuthError("窗口部门角色的令牌须含 department")
        return Principal(
            sub=str(claims["sub"]),
            name=str(claims.get("name") or claims["sub"]),
            roles=roles,
            department=str(department) if department else None,
        )


def mint_token(
    *,
    secret: str,
    sub: str,
    name: str,
    roles: list[Role],
    department: str | None,
    now: datetime,
    lifetime: timedelta = timedelta(hours=12),
) -> str:
    """An HS256 token for local use (`yousu token`) and tests."""
    claims: dict[str, object] = {
        "sub": sub,
        "name": name,
        "roles": [r.value for r in roles],
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    if department:
        claims["department"] = department
    return jwt.encode(claims, secret, algorithm="HS256")
