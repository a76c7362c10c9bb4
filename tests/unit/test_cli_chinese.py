"""Chinese wherever staff read the command line: every help of `yousu` and every message of the offline verifier.

The administrator, the discipline-inspection liaison and the analysts read `yousu … --help`, its messages and
the output of ops/audit/verify_bundle.py; option names, codes, JSON keys and environment variables stay English.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from yousu.cli import app

REPO = Path(__file__).resolve().parents[2]
CLI_MODULES = ["cli.py", "cli_users.py", "cli_history.py", "cli_hotline.py", "insights_cli.py"]
VERIFIER = REPO / "ops" / "audit" / "verify_bundle.py"
HAN = re.compile(r"[\u4e00-\u9fff]")  # a Chinese character (CJK unified ideograph)
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
RICH_TAG = re.compile(r"\[/?[a-z ]*\]")  # [red], [/yellow], [bold]: rich markup, not words


def commands() -> list[tuple[str, Any]]:
    """Every command of `yousu`, groups and their subcommands, by its path."""
    found: list[tuple[str, Any]] = []
    stack: list[tuple[str, Any]] = [("yousu", typer.main.get_command(app))]
    while stack:
        path, command = stack.pop()
        found.append((path, command))
        if isinstance(command, TyperGroup):
            stack.extend((f"{path} {name}", sub) for name, sub in command.commands.items())
    return sorted(found, key=lambda pc: pc[0])


def test_every_help_of_the_command_line_is_chinese() -> None:
    offenders = []
    for path, command in commands():
        if not HAN.search(command.help or ""):
            offenders.append(f"{path}: {command.help!r}")
        # get_params: the declared options and arguments, --help, and at the top the completion options
        for param in command.get_params(typer.Context(command)):
            text = getattr(param, "help", None) or ""
            if not HAN.search(text):
                offenders.append(f"{path} {param.opts or param.name}: {text!r}")
    assert offenders == []


def test_the_walk_reaches_every_command() -> None:
    paths = {path for path, _ in commands()}
    # one command of each module, and the nested groups: a walk that stopped early would check nothing
    assert {
        "yousu calendar due",
        "yousu audit export",
        "yousu audit accounts",
        "yousu users passwd",
        "yousu import history",
        "yousu deliveries replay",
        "yousu hotline schemas",
        "yousu insights forecast",
        "yousu project rebuild",
        "yousu roster show",
    } <= paths


@pytest.mark.parametrize("path", [p for p, _ in commands()])
def test_help_pages_read_whole_at_80_columns(path: str) -> None:
    """Rich breaks lines at spaces, which Chinese lacks: a long help must fold, not be cut with an ellipsis."""
    args = [*path.split()[1:], "--help"]
    done = CliRunner().invoke(app, args, terminal_width=80)
    assert done.exit_code == 0, done.output
    assert "…" not in done.output
    for english in ("Show this message", "Options", "Commands", "Arguments", "[required]"):
        assert english not in done.output, (path, english)


def message_literals(path: Path) -> list[tuple[int, str]]:
    """The literal text of every message these modules print or raise: the string (or f-string parts) handed
    to _fail, typer.echo, console/err.print, typer.prompt and typer.BadParameter."""
    shown = {"_fail", "echo", "print", "prompt", "BadParameter"}
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        first = node.args[0]
        if name not in shown:
            continue
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            out.append((node.lineno, first.value))
        elif isinstance(first, ast.JoinedStr):
            parts = [v.value for v in first.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            out.append((node.lineno, "".join(parts)))
    return out


@pytest.mark.parametrize("module", CLI_MODULES)
def test_every_message_is_chinese(module: str) -> None:
    """A message with words in it has Chinese in it; what has none is values and punctuation only."""
    path = REPO / "src" / "yousu" / module
    literals = message_literals(path)
    assert literals, module
    offenders = [
        f"{module}:{line}: {text!r}"
        for line, text in literals
        if LATIN_WORD.search(RICH_TAG.sub("", text)) and not HAN.search(text)
    ]
    assert offenders == []


# ------------------------------------------------------------------------------------- the offline verifier


def verify(*argv: str) -> subprocess.CompletedProcess[str]:
    """The verifier as the liaison runs it: the bare interpreter, nothing of the project on the path."""
    return subprocess.run(
        [sys.executable, "-I", str(VERIFIER), *argv], capture_output=True, text=True, check=False, timeout=60
    )


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event(cid: str, version: int, prev: str, payload: dict[str, Any]) -> dict[str, Any]:
    """One exported event, hashed as the documented canonical form defines it (sorted keys, no spaces)."""
    body = {**payload, "prev_hash": prev}
    doc = {"complaint_id": cid, "version": version, "type": "Noted", "payload": body}
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return {**doc, "row_hash": sha256(text)}


def write_bundle(out: Path, events: list[dict[str, Any]], anchored: dict[str, tuple[int, str]] | None) -> str:
    """events.jsonl, chain.json and (when ``anchored``) anchor.json; returns the anchor's digest."""
    out.mkdir()
    (out / "events.jsonl").write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), "utf-8")
    heads = {}
    for e in events:
        heads[e["complaint_id"]] = {"version": e["version"], "head": e["row_hash"]}
    (out / "chain.json").write_text(json.dumps(heads), encoding="utf-8")
    if anchored is None:
        return ""
    digest = sha256("".join(f"{cid}:{v}:{h}\n" for cid, (v, h) in sorted(anchored.items())))
    anchor = {"number": 1, "heads": {cid: list(vh) for cid, vh in anchored.items()}, "digest": digest}
    (out / "anchor.json").write_text(json.dumps(anchor), encoding="utf-8")
    return digest


CID = "0b9f1c3e-2d4a-4f6b-8c7d-9e0f1a2b3c4d"


def two_versions() -> list[dict[str, Any]]:
    first = event(CID, 1, "0" * 64, {"content": "路灯不亮"})
    return [first, event(CID, 2, first["row_hash"], {"result": "已修复"})]


def test_every_verdict_of_the_offline_verifier_is_chinese(tmp_path: Path) -> None:
    events = two_versions()
    honest = tmp_path / "honest"
    digest = write_bundle(honest, events, {CID: (2, events[1]["row_hash"])})
    older = tmp_path / "older"  # the anchor covers version 1 only: version 2 is noted
    older_digest = write_bundle(older, events, {CID: (1, events[0]["row_hash"])})
    tampered = tmp_path / "tampered"
    changed = [{**events[0], "payload": {**events[0]["payload"], "content": "改过"}}, events[1]]
    write_bundle(tampered, changed, {CID: (2, events[1]["row_hash"])})
    gap = tmp_path / "gap"
    write_bundle(gap, [events[1]], None)
    bare = tmp_path / "bare"
    write_bundle(bare, events, None)
    record = tmp_path / "anchor-record.json"
    record.write_text(json.dumps({"number": 1}), encoding="utf-8")

    runs = {
        "verified": (0, [str(honest), "--digest", digest]),
        "newer than the anchor": (0, [str(older), "--digest", older_digest]),
        "no kept digest": (3, [str(honest)]),
        "another digest": (1, [str(honest), "--digest", "0" * 64]),
        "tampered": (1, [str(tampered), "--digest", digest]),
        "a version missing": (1, [str(gap)]),
        "unanchored": (1, [str(bare)]),
        "unanchored allowed": (3, [str(bare), "--allow-unanchored"]),
        "no anchor to compare": (1, [str(bare), "--digest", digest]),
        "unreadable bundle": (2, [str(tmp_path / "nowhere")]),
        "record without digest": (2, [str(honest), "--anchor", str(record)]),
    }
    offenders = []
    for name, (expected, argv) in runs.items():
        done = verify(*argv)
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        assert done.returncode == expected, (name, lines)
        assert lines, name
        offenders += [f"{name}: {line}" for line in lines if not HAN.search(line)]
    assert offenders == []


def test_the_verifier_explains_itself_in_chinese() -> None:
    shown = verify("--help")
    assert shown.returncode == 0
    page = shown.stdout
    for words in ("用法：", "位置参数", "选项", "显示本帮助并退出", "退出码"):
        assert words in page
    for english in ("usage:", "positional arguments", "options:", "show this help message"):
        assert english not in page
    # below the usage (option names only), every line has Chinese in it
    usage, below = page.split("\n\n", 1)
    assert usage.startswith("用法：")
    assert [line for line in below.splitlines() if line.strip() and not HAN.search(line)] == []
    for code in "0123":  # the exit codes are listed
        assert re.search(rf"^\s+{code}\s+\S", page, re.M), code

    refused = verify()
    assert refused.returncode == 2  # argparse's status for a bad command line, as before
    assert "命令行参数有误" in refused.stderr
