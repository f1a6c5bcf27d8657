"""The page catalogues: ``{locale}.json`` plus each area's ``<area>.{locale}.json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.web import i18n


def test_area_files_are_merged_and_a_key_defined_twice_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "en.json").write_text(json.dumps({"a": "A"}), encoding="utf-8")
    (tmp_path / "area.en.json").write_text(json.dumps({"b": "B"}), encoding="utf-8")
    (tmp_path / "area.zh-CN.json").write_text(json.dumps({"b": "乙"}), encoding="utf-8")
    monkeypatch.setattr(i18n, "_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        assert i18n.catalogue("en") == {"a": "A", "b": "B"}
        (tmp_path / "other.en.json").write_text(json.dumps({"a": "again"}), encoding="utf-8")
        i18n.catalogue.cache_clear()
        with pytest.raises(ValueError, match="'a' is already defined"):
            i18n.catalogue("en")
    finally:
        i18n.catalogue.cache_clear()


def test_every_message_has_both_languages() -> None:
    english = {key for key in i18n.catalogue("en") if not key.startswith("month.")}
    chinese = {key for key in i18n.catalogue("zh-CN") if not key.startswith("month.")}
    assert english - chinese == set()
    assert chinese - english == set()
