"""The README's permission table is the one in code."""

from __future__ import annotations

import re
from pathlib import Path

from tests.readers import matrix_markdown

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


def test_configuration_table_lists_every_setting() -> None:
    from yousu.settings import Settings  # noqa: PLC0415 — only this test needs the settings

    text = README.read_text(encoding="utf-8")
    table = text[text.index("<!-- settings:start -->") : text.index("<!-- settings:end -->")]
    rows = [line for line in table.splitlines() if line.startswith("| `YOUSU_")]
    documented = [re.match(r"\| `(YOUSU_[A-Z0-9_]+)`", row).group(1) for row in rows]  # type: ignore[union-attr] — filtered above
    assert sorted(documented) == sorted(f"YOUSU_{name.upper()}" for name in Settings.model_fields)


def test_readme_points_only_inside_the_repository() -> None:
    assert "../" not in README.read_text(encoding="utf-8")
