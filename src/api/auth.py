"""Bearer JWT verification (HS256 with a shared secret, or RS256 with a public key)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt

from domain.values import Actor, Role

ISSUER = "yousu"
AUDIENCE = "yousu"
DEFAULT_LEEWAY = 60  # seconds of clock skew tolerated on exp, iat and nbf
DEFAULT_MAX_LIFETIME = 12 * 3600  # seconds a token may live (exp − iat)
REQUIRED = ["sub", "exp", "iat", "iss", "aud"]
NUMERIC_CLAIMS = ("exp", "iat", "nbf")
MAX_CACHED_TOKENS = 4096  # verified tokens one process remembers (a district's staff, several sessions each)
TEXT_CLAIMS = ("sub", "name", "department", "centre", "iss", "jti")


class AuthError(Exception):
    """The token is missing, malformed, expired or not signed by us (401)."""


@dataclass(frozen=True)
class Principal:
    """The verified caller."""

    sub: str
    name: str
    roles: frozenset[Role]
    department: str | None = None
    centre: str | None = None  # the service centre the caller works at (None: no centre claim)
    jti: str | None = None  # the token's id (console sessions carry one, so signing out can revoke it)
    expires: int | None = None  # the token's exp (seconds since the epoch)

    def actor(self, role: Role) -> Actor:
        """The caller acting in ``role``."""
        return Actor(id=self.sub, name=self.name, role=role, department=self.department)


def _check_types(claims: dict[str, Any]) -> None:
    """Every claim we read has the JSON type the JWT rules give it (a string ``exp`` is not a date)."""
    for claim in NUMERIC_CLAIMS:
        value = claims.get(claim)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise AuthError(f"令牌的 {claim} 必须是数字时间戳")
    for claim in TEXT_CLAIMS:
        value = claims.get(claim)
        if value is not None and not isinstance(value, str):
            raise AuthError(f"令牌的 {claim} 必须是文本")
    if not claims.get("sub"):
        raise AuthError("令牌的 sub 不能为空")
    aud = claims.get("aud")
    aud_ok = isinstance(aud, str) or (isinstance(aud, list) and all(isinstance(a, str) for a in aud))
    if aud is not None and not aud_ok:
        raise AuthError("令牌的 aud 必须是文本或文本列表")
    roles = claims.get("roles")
    if not isinstance(roles, list) or not roles:
        raise AuthError("令牌缺少 roles")
    if not all(isinstance(r, str) for r in roles):
        raise AuthError("令牌的 roles 必须是文本列表")


@dataclass(frozen=True)
class TokenVerifier:
    """Verifies tokens with HS256 (secret) or RS256 (public key): issuer, audience, types and lifetime."""

    secret: str | None = None
    public_key: str | None = None
    issuer: str = ISSUER
    audience: str = AUDIENCE
    leeway: float = DEFAULT_LEEWAY
    max_lifetime: float = DEFAULT_MAX_LIFETIME
    # tokens that verified, by their text: a token is checked once, then only its expiry (revocation is the
    # caller's check, every request); each entry is immutable and its expiry re-checked on every hit
    _verified: dict[str, Principal] = field(default_factory=dict, init=False, repr=False, compare=False)

    def verify_cached(self, token: str) -> Principal:
        """:meth:`verify`, remembered: the same token again costs a dictionary look-up and an expiry check.

        Only successes are remembered, and a success stays one until ``exp`` (plus the leeway) passes:
        a token's signature, issuer, audience, claims and lifetime do not change, and a future ``iat``
        or ``nbf`` only becomes acceptable with time. Past its expiry the token is verified afresh (401).
        """
        known = self._verified.get(token)
        if known is not None and known.expires is not None and time.time() <= known.expires + self.leeway:
            return known
        who = self.verify(token)
        if len(self._verified) >= MAX_CACHED_TOKENS:
            self._verified.clear()  # a burst of distinct tokens: start over rather than grow without bound
        self._verified[token] = who
        return who

    def __post_init__(self) -> None:
        if not self.secret and not self.public_key:
            msg = "set YOUSU_AUTH_SECRET (HS256) or YOUSU_AUTH_PUBLIC_KEY_FILE (RS256)"
            raise ValueError(msg)

    def verify(self, token: str) -> Principal:
        """Decode and check a token; raise AuthError with a reason otherwise."""
        key, algorithms = (self.public_key, ["RS256"]) if self.public_key else (self.secret, ["HS256"])
        try:
            # signature first, then the claim types: PyJWT would read a string exp "9999999999" as a number
            unchecked = jwt.decode(
                token,
                key=key or "",
                algorithms=algorithms,
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False},
            )
            if not isinstance(unchecked, dict):
                raise AuthError("令牌无效")
            _check_types(unchecked)
            claims = jwt.decode(
                token,
                key=key or "",
                algorithms=algorithms,
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                options={"require": REQUIRED},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("令牌已过期") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"令牌缺少 {exc.claim}") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthError("令牌签发方（iss）不符") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthError("令牌受众（aud）不符") from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthError("令牌尚未生效（iat 或 nbf 在未来）") from exc
        except jwt.PyJWTError as exc:
            raise AuthError("令牌无效") from exc
        # PyJWT checks nbf but not a future iat: a token "issued" later than now (beyond the skew) is refused here
        if claims["iat"] > time.time() + self.leeway:
            raise AuthError("令牌尚未生效（iat 或 nbf 在未来）")
        if claims["exp"] - claims["iat"] > self.max_lifetime:
            raise AuthError(f"令牌有效期超过上限（{int(self.max_lifetime)} 秒）")
        try:
            roles = frozenset(Role(r) for r in claims["roles"])
        except ValueError as exc:
            raise AuthError("令牌含未知角色") from exc
        if Role.system in roles:
            raise AuthError("system 角色不能由令牌持有")
        department = claims.get("department")
        if Role.department in roles and not department:
            raise AuthError("窗口部门角色的令牌须含 department")
        return Principal(
            sub=claims["sub"],
            name=claims.get("name") or claims["sub"],
            roles=roles,
            department=department or None,
            centre=claims.get("centre") or None,
            jti=claims.get("jti") or None,
            expires=int(claims["exp"]),
        )


def mint_token(  # noqa: PLR0913 — every claim of a token is a keyword
    *,
    secret: str,
    sub: str,
    name: str,
    roles: list[Role],
    department: str | None,
    now: datetime,
    centre: str | None = None,
    lifetime: timedelta = timedelta(hours=12),
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
    jti: str | None = None,
) -> str:
    """An HS256 token for local use (`yousu token`) and tests."""
    claims: dict[str, object] = {
        "sub": sub,
        "name": name,
        "roles": [r.value for r in roles],
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    if department:
        claims["department"] = department
    if centre:
        claims["centre"] = centre
    if jti:
        claims["jti"] = jti
    return jwt.encode(claims, secret, algorithm="HS256")
