#!/usr/bin/env python3
"""Verify a yousu audit bundle offline, with nothing but the Python standard library.

Usage: python3 verify_bundle.py BUNDLE_DIR [--digest HEX]

BUNDLE_DIR holds events.jsonl, chain.json and anchor.json as written by `yousu audit export`.
--digest is the anchor digest you kept outside the system (e.g. printed and signed on the day);
when given, the bundle's anchor must carry exactly that digest.
Exit status 0 when everything matches, 1 when anything does not, 2 when the bundle cannot be read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

GENESIS = "0" * 64


def canonical(complaint_id: str, version: int, type_name: str, payload: dict) -> bytes:
    """The same canonical form as yousu's domain/audit.py."""
    doc = {"complaint_id": complaint_id, "version": version, "type": type_name, "payload": payload}
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def row_hash(event: dict) -> str:
    """SHA-256 of one event's canonical form."""
    return hashlib.sha256(
        canonical(event["complaint_id"], event["version"], event["type"], event["payload"])
    ).hexdigest()


def heads_digest(heads: dict) -> str:
    """SHA-256 over every anchored head, sorted by complaint id."""
    h = hashlib.sha256()
    for cid in sorted(heads):
        version, head = heads[cid]
        h.update(f"{cid}:{version}:{head}\n".encode())
    return h.hexdigest()


def verify(bundle: Path, digest: str | None) -> list[str]:  # noqa: PLR0912 — one branch per check, kept flat to read
    """Every problem found, as lines of text (empty: the bundle verifies)."""
    problems: list[str] = []
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
            if anchor is not None and cid in anchor["heads"]:
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
    return problems


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description="Verify a yousu audit bundle offline.")
    parser.add_argument("bundle", type=Path, help="directory written by `yousu audit export`")
    parser.add_argument("--digest", help="anchor digest kept outside the system")
    args = parser.parse_args(argv)
    try:
        problems = verify(args.bundle, args.digest)
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read bundle: {exc}", file=sys.stderr)
        return 2
    if problems:
        for p in problems:
            print(f"FAIL {p}")
        return 1
    print("OK: every chain and the anchor verify")
    return 0


if __name__ == "__main__":
    sys.exit(main())
