"""The README's permission table is the one in code."""

from __future__ import annotations

from pathlib import Path

from api.permissions import matrix_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_permission_table_matches_code() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- permissions:start -->") + len("<!-- permissions:start -->")
    end = text.index("<!-- permissions:end -->")
    assert text[start:end].strip() == matrix_markdown().strip()


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.read_text(encoding="utf-8").split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block
