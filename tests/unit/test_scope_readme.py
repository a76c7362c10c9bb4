"""The README's 谁能看到什么 table is the scope policy's."""

from __future__ import annotations

from pathlib import Path

from api.scope import scope_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_who_sees_what_table_matches_the_policy() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- scope:start -->") + len("<!-- scope:start -->")
    end = text.index("<!-- scope:end -->")
    assert text[start:end].strip() == scope_markdown().strip()
