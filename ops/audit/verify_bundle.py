#!/usr/bin/env python3
"""Verify a yousu audit bundle offline, with nothing but the Python standard library.

Usage: python3 verify_bundle.py BUNDLE_DIR (--digest HEX | --anchor FILE) [--allow-unanchored]

BUNDLE_DIR holds events.jsonl, chain.json and anchor.json as written by `yousu audit export`.
The bundle alone proves nothing: whoever rewrites its events can recompute every hash, chain.json and
anchor.json to match. What proves it is an anchor kept OUTSIDE the system: --digest is the anchor digest
(e.g. printed and signed on the day), --anchor the record `yousu audit anchor` printed, saved to a file.
Without either the verifier still checks that the bundle is self-consistent and names what is wrong,
but never says OK: it reports the bundle 未核验 (unverified) and exits 3.
A complaint the anchor does not cover fails too, unless --allow-unanchored (then it is reported,
and the bundle is unverified for it: exit 3).
Personal values are checked through their salted commitments: a masked bundle carries the
commitments, a full-disclosure bundle the values and their salts. Events written before salting
(marked "withheld" in a masked bundle) verify only in a full-disclosure bundle.
Messages, help and argument errors are in Chinese, with the English term in parentheses.
Exit status: 0 verified against the kept anchor; 1 something does not match (each problem is named);
2 the bundle or the anchor file cannot be read; 3 self-consistent but unverified (no kept anchor, or
complaints no anchor covers).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

GENESIS = "0" * 64
EXIT_CODES = """退出码：
  0  已核验：与系统外保存的锚定摘要一致
  1  有不符之处（逐条列出）
  2  核验包或锚定记录文件无法读取
  3  包内自洽但未核验：没有系统外保存的摘要，或有诉求尚无锚点覆盖"""


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


@dataclass
class Result:
    """What the check found: problems (forgery, tampering), complaints no anchor covers, notes."""

    problems: list[str] = field(default_factory=list)
    unanchored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    anchor_number: object = None


def _read_events(bundle: Path, result: Result) -> dict[str, list[dict]]:
    events: dict[str, list[dict]] = {}
    with (bundle / "events.jsonl").open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    e = json.loads(line)
                    events.setdefault(e["complaint_id"], []).append(e)
                except (ValueError, KeyError, TypeError) as exc:
                    result.problems.append(f"events.jsonl 第 {n} 行无法读取（line {n}: unreadable, {exc}）")
    return events


def _check_chain(cid: str, evs: list[dict], result: Result) -> dict[int, str] | None:
    """Each version's hash, or None after naming the first version that does not verify."""
    prev, expected, hashes = GENESIS, 1, {}
    for e in sorted(evs, key=lambda x: x["version"]):
        v = expected
        if e["version"] != v:
            result.problems.append(f"{cid} 第 {v} 版：缺失（version {v}: missing）")
            return None
        if e.get("withheld"):
            result.problems.append(
                f"{cid} 第 {v} 版：在此无法核验——该事件记录于个人信息加盐之前，其哈希覆盖明文；"
                f"请核验以 --with-personal-info 导出的包（version {v}: not verifiable here）"
            )
            return None
        if row_hash(e) != e.get("row_hash"):
            result.problems.append(f"{cid} 第 {v} 版：被篡改，内容与其哈希不符（version {v}: altered）")
            return None
        if e["payload"].get("prev_hash") != prev:
            result.problems.append(f"{cid} 第 {v} 版：链断裂，不接续第 {v - 1} 版（version {v}: chain broken）")
            return None
        prev = e["row_hash"]
        hashes[v] = prev
        expected += 1
    return hashes


def _check_anchor(anchor: dict | None, digest: str | None, result: Result) -> None:
    """The bundle's anchor against its own heads and against the digest kept outside the system."""
    number = result.anchor_number
    if anchor is not None:
        if heads_digest(anchor["heads"]) != anchor["digest"]:
            result.problems.append(
                f"锚定 {number}：各链头与锚定摘要不符，anchor.json 被改动（heads do not match the anchor digest）"
            )
        if digest is not None and anchor["digest"] != digest:
            result.problems.append(
                f"锚定 {number}：摘要与系统外保存的不符，本包的事件、链头或锚定记录被改写或并非该锚定"
                "（digest differs from the one kept outside the system）"
            )
    elif digest is not None:
        result.problems.append("本包没有锚定记录（anchor.json），无法与系统外保存的摘要比对（no anchor to compare）")


def verify(bundle: Path, digest: str | None, *, allow_unanchored: bool = False) -> Result:
    """Check the bundle's chains, its anchor, and the anchor against ``digest`` (kept outside the system)."""
    result = Result()
    events = _read_events(bundle, result)
    chains = json.loads((bundle / "chain.json").read_text(encoding="utf-8"))
    anchor_path = bundle / "anchor.json"
    anchor = json.loads(anchor_path.read_text(encoding="utf-8")) if anchor_path.exists() else None
    number = anchor.get("number") if anchor is not None else None
    result.anchor_number = number

    for cid, evs in sorted(events.items()):
        hashes = _check_chain(cid, evs, result)
        if hashes is None:
            continue
        version = max(hashes)
        chain = chains.get(cid)
        if chain is None or chain.get("version") != version or chain.get("head") != hashes[version]:
            result.problems.append(
                f"{cid} 第 {version} 版：链头与 chain.json 不符（chain head differs from chain.json）"
            )
        if anchor is None or cid not in anchor["heads"]:
            result.unanchored.append(cid)
            continue
        a_version, a_hash = anchor["heads"][cid]
        if version < a_version:
            result.problems.append(
                f"{cid} 第 {version + 1} 版起：被截断，锚定覆盖到第 {a_version} 版（version {version + 1}: truncated）"
            )
        elif hashes[a_version] != a_hash:
            result.problems.append(
                f"{cid} 第 {a_version} 版：与锚定记录不符（version {a_version}: differs from the anchor）"
            )
        elif version > a_version:
            result.notes.append(
                f"{cid} 第 {a_version + 1}–{version} 版晚于锚定 {number}，只受哈希链保护（newer than the anchor）"
            )
    for cid in chains:
        if cid not in events:
            result.problems.append(f"{cid}：chain.json 中有，但包内没有其事件（in chain.json but no events）")
    _check_anchor(anchor, digest, result)
    if result.unanchored and not allow_unanchored:
        what = "本包没有锚定记录" if anchor is None else f"锚定 {number} 未覆盖 {', '.join(result.unanchored)}"
        result.problems.append(
            f"未锚定（UNANCHORED）：{what}；改写或截断的链无法被发现"
            "（先 `yousu audit anchor` 再重新导出；或加 --allow-unanchored 只核验链）"
        )
    return result


def kept_digest(digest: str | None, anchor_file: Path | None) -> str | None:
    """The digest kept outside the system: given as --digest, or read from the record --anchor names."""
    if anchor_file is not None:
        record = json.loads(anchor_file.read_text(encoding="utf-8"))
        value = record.get("digest") if isinstance(record, dict) else None
        if not isinstance(value, str):
            msg = f"{anchor_file} 中没有锚定摘要 digest（no digest in the anchor record）"
            raise ValueError(msg)
        if digest is not None and value.strip().lower() != digest.strip().lower():
            msg = "--digest 与 --anchor 记录中的摘要不一致（--digest and --anchor disagree）"
            raise ValueError(msg)
        digest = value
    return digest.strip().lower() if digest is not None else None


class _Formatter(argparse.RawTextHelpFormatter):
    """argparse's help with a Chinese usage prefix; the texts keep their own line breaks (argparse would wrap
    them by characters, and a Chinese character is two columns wide)."""

    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """argparse with its argument errors in Chinese (exit status 2, as argparse's own)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：命令行参数有误（{message}）\n")


def parser() -> argparse.ArgumentParser:
    """The command line: usage, section titles, every help and the exit codes in Chinese."""
    p = _Parser(
        description="离线核验有诉即办（yousu）的审计核验包，只需 Python 3 标准库",
        epilog=EXIT_CODES,
        formatter_class=_Formatter,
        add_help=False,
    )
    positional = p.add_argument_group("位置参数")
    positional.add_argument("bundle", type=Path, help="`yousu audit export` 写出的核验包目录")
    options = p.add_argument_group("选项")
    options.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    options.add_argument("--digest", help="系统外保存的锚定摘要（anchor digest）")
    options.add_argument(
        "--anchor", type=Path, help="系统外保存的锚定记录文件（anchor record）：\n`yousu audit anchor` 打印的 JSON"
    )
    options.add_argument(
        "--allow-unanchored", action="store_true", help="尚无锚点覆盖的诉求只报告、不算不符\n（结果仍为未核验）"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parser().parse_args(argv)
    try:
        digest = kept_digest(args.digest, args.anchor)
        result = verify(args.bundle, digest, allow_unanchored=args.allow_unanchored)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        print(f"无法读取核验包或锚定记录（cannot read the bundle）：{exc}", file=sys.stderr)
        return 2
    for note in result.notes:
        print(f"注意（NOTE）{note}")
    if result.problems:
        for p in result.problems:
            print(f"不符（FAIL）{p}")
        print(f"核验失败（FAILED）：发现 {len(result.problems)} 处不符")
        return 1
    if digest is None:
        print(
            "未核验（UNVERIFIED）：包内各条哈希链自洽，但没有系统外保存的锚定摘要（--digest 或 --anchor），"
            "整包被改写也会自洽——这不是核验通过"
        )
        return 3
    if result.unanchored:
        print(
            f"未核验（UNVERIFIED）：锚定 {result.anchor_number} 与保存的摘要一致，"
            f"但未覆盖 {', '.join(result.unanchored)}，这些诉求只核验了链的自洽"
        )
        return 3
    print(f"已核验（OK）：每条哈希链都与锚定 {result.anchor_number} 一致，锚定摘要与系统外保存的一致")
    return 0


if __name__ == "__main__":
    sys.exit(main())
