#!/usr/bin/env python3
"""Verify a yousu audit bundle offline, with nothing but the Python standard library.

Usage: python3 verify_bundle.py BUNDLE_DIR [--digest HEX] [--allow-unanchored]

BUNDLE_DIR holds events.jsonl, chain.json and anchor.json as written by `yousu audit export`.
--digest is the anchor digest you kept outside the system (e.g. printed and signed on the day);
when given, the bundle's anchor must carry exactly that digest.
A bundle without an anchor, or with a complaint its anchor does not cover, proves nothing about a
rewritten or truncated chain: it fails unless --allow-unanchored is given (then it is only reported).
Personal values are checked through their salted commitments: a masked bundle carries the
commitments, a full-disclosure bundle the values and their salts. Events written before salting
(marked "withheld" in a masked bundle) verify only in a full-disclosure bundle.
Exit status 0 when everything matches, 1 when anything does not, 2 when the bundle cannot be read.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from pathlib import Path

GENESIS = "0" * 64


def canonical(complaint_id: str, version: int, type_name: str, payload: dict) -> bytes:
    """The same canonical form as yousu's domain/audit.py."""
    doc = {"complaint_id": complaint_id, "version": version, "type": type_name, "payload": payload}
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def commitment(salt: str, value: str) -> str:
    """The same salted commitment as yousu's domain/audit.py."""
    return "sha256:" + hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()


def hashed_payload(event: dict) -> dict:
    """The payload as the chain hashed it: a salted personal value replaced by its commitment."""
    payload = copy.deepcopy(event["payload"])
    for key, salt in (event.get("salts") or {}).items():
        outer, inner = key.split(".", 1)
        part = payload.get(outer)
        if isinstance(part, dict) and part.get(inner) is not None:
            part[inner] = commitment(salt, str(part[inner]))
    return payload


def row_hash(event: dict) -> str:
    """SHA-256 of one event's canonical form."""
    return hashlib.sha256(
        canonical(event["complaint_id"], event["version"], event["type"], hashed_payload(event))
    ).hexdigest()


def heads_digest(heads: dict) -> str:
    """SHA-256 over every anchored head, sorted by complaint id."""
    h = hashlib.sha256()
    for cid in sorted(heads):
        version, head = heads[cid]
        h.update(f"{cid}:{version}:{head}\n".encode())
    return h.hexdigest()


def verify(  # noqa: PLR0912, PLR0915 — one branch per check, kept flat to read
    bundle: Path, digest: str | None, *, allow_unanchored: bool = False
) -> tuple[list[str], list[str]]:
    """Every problem found and every unanchored complaint, as lines of text (both empty: it verifies)."""
    problems: list[str] = []
    unanchored: list[str] = []
    events: dict[str, list[dict]] = {}
    with (bundle / "events.jsonl").open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    e = json.loads(line)
                    events.setdefault(e["complaint_id"], []).append(e)
                except (ValueError, KeyError) as exc:
                    problems.append(f"events.jsonl line {n}: unreadable ({exc})")
    chains = json.loads((bundle / "chain.json").read_text(encoding="utf-8"))
    anchor_path = bundle / "anchor.json"
    anchor = json.loads(anchor_path.read_text(encoding="utf-8")) if anchor_path.exists() else None

    heads: dict[str, tuple[int, str]] = {}
    for cid, evs in sorted(events.items()):
        prev, expected, hashes = GENESIS, 1, {}
        for e in sorted(evs, key=lambda x: x["version"]):
            if e["version"] != expected:
                problems.append(f"{cid} version {expected}: missing")
                break
            if e.get("withheld"):
                problems.append(
                    f"{cid} version {expected}: not verifiable here (recorded before personal values were salted;"
                    " its hash covers them in clear: verify a bundle exported with --with-personal-info)"
                )
                break
            if row_hash(e) != e.get("row_hash"):
                problems.append(f"{cid} version {expected}: altered (content does not match its hash)")
                break
            if e["payload"].get("prev_hash") != prev:
                problems.append(f"{cid} version {expected}: chain broken (does not follow version {expected - 1})")
                break
            prev = e["row_hash"]
            hashes[expected] = prev
            expected += 1
        else:
            heads[cid] = (expected - 1, prev)
            chain = chains.get(cid)
            if chain is None or chain.get("version") != expected - 1 or chain.get("head") != prev:
                problems.append(f"{cid} version {expected - 1}: chain head differs from chain.json")
            if anchor is None or cid not in anchor["heads"]:
                unanchored.append(cid)
            else:
                a_version, a_hash = anchor["heads"][cid]
                if expected - 1 < a_version:
                    problems.append(f"{cid} version {expected}: truncated (anchor covers version {a_version})")
                elif hashes[a_version] != a_hash:
                    problems.append(f"{cid} version {a_version}: differs from the anchor")
    for cid in chains:
        if cid not in events:
            problems.append(f"{cid}: in chain.json but no events in the bundle")
    if anchor is not None:
        if heads_digest(anchor["heads"]) != anchor["digest"]:
            problems.append(f"anchor {anchor.get('number')}: heads do not match the anchor digest")
        if digest is not None and anchor["digest"] != digest.strip().lower():
            problems.append(f"anchor {anchor.get('number')}: digest differs from the one kept outside the system")
    elif digest is not None:
        problems.append("the bundle has no anchor to compare with --digest")
    if unanchored and not allow_unanchored:
        what = "the bundle has no anchor" if anchor is None else f"the anchor does not cover {', '.join(unanchored)}"
        problems.append(
            f"UNANCHORED: {what}; a rewritten or truncated chain cannot be detected"
            " (anchor with `yousu audit anchor`, export again, or pass --allow-unanchored)"
        )
    return problems, unanchored


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description="Verify a yousu audit bundle offline.")
    parser.add_argument("bundle", type=Path, help="directory written by `yousu audit export`")
    parser.add_argument("--digest", help="anchor digest kept outside the system")
    parser.add_argument(
        "--allow-unanchored", action="store_true", help="accept complaints no anchor covers (chain-only check)"
    )
    args = parser.parse_args(argv)
    try:
        problems, unanchored = verify(args.bundle, args.digest, allow_unanchored=args.allow_unanchored)
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read bundle: {exc}", file=sys.stderr)
        return 2
    if problems:
        for p in problems:
            print(f"FAIL {p}")
        return 1
    if unanchored:
        print(f"OK (UNANCHORED, chains only): every chain verifies; no anchor covers {', '.join(unanchored)}")
    else:
        print("OK: every chain and the anchor verify")
    return 0


if __name__ == "__main__":
    sys.exit(main())
