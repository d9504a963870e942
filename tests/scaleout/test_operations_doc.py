"""docs/OPERATIONS.md documents every setting, with its real default."""

from __future__ import annotations

import re
from pathlib import Path

from hoststand.config import Settings

OPERATIONS = Path(__file__).parents[2] / "docs" / "OPERATIONS.md"
ROW = re.compile(r"^\| `(HOSTSTAND_[A-Z_]+)`[^|]*\| ([^|]+) \|", re.MULTILINE)


def documented_defaults() -> dict[str, str]:
    """Variable name -> default as the configuration table states it."""
    return {name: cell.strip().strip("`") for name, cell in ROW.findall(OPERATIONS.read_text())}


def as_written(value: object) -> str:
    """A default the way the table writes it."""
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def test_every_setting_is_documented_with_its_default() -> None:
    actual = {
        f"HOSTSTAND_{name.upper()}": as_written(field.default)
        for name, field in Settings.model_fields.items()
    }
    documented = documented_defaults()
    missing = sorted(actual.keys() - documented.keys())
    stale = sorted(documented.keys() - actual.keys())
    assert not missing, f"add these settings to the table in docs/OPERATIONS.md: {missing}"
    assert not stale, f"docs/OPERATIONS.md documents settings that no longer exist: {stale}"
    wrong = {k: (documented[k], v) for k, v in actual.items() if documented[k] != v}
    assert not wrong, f"defaults in docs/OPERATIONS.md differ (documented, actual): {wrong}"
