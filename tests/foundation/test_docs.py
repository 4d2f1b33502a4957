"""The documentation's examples are real: each validates and dumps back to itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from bandsense import model

DATA_MODEL_MD = Path(__file__).parents[2] / "docs" / "data-model.md"
RECORDS = ["SampleBatch", "Rep", "SetSummary", "Hold", "LiveState", "SessionSummary"]


def _examples() -> dict[str, str]:
    text = DATA_MODEL_MD.read_text()
    out: dict[str, str] = {}
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        name = section.split("\n", 1)[0].strip()
        block = re.search(r"```json\n(.*?)```", section, flags=re.DOTALL)
        if block:
            out[name] = block.group(1)
    return out


def test_every_record_of_the_model_is_documented_with_an_example() -> None:
    documented = set(_examples())
    in_code = {
        name
        for name, obj in vars(model).items()
        if isinstance(obj, type)
        and issubclass(obj, BaseModel)
        and obj.__module__ == model.__name__
        and not name.startswith("_")
    }
    assert in_code == set(RECORDS)
    assert documented == in_code


@pytest.mark.parametrize("name", RECORDS)
def test_example_validates_and_is_the_records_json_form(name: str) -> None:
    example = _examples()[name]
    cls: type[BaseModel] = getattr(model, name)
    record = cls.model_validate_json(example)
    assert json.loads(record.model_dump_json()) == json.loads(example)


@pytest.mark.parametrize("name", RECORDS)
def test_every_field_is_in_the_docs_table(name: str) -> None:
    section = DATA_MODEL_MD.read_text().split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
    cls: type[BaseModel] = getattr(model, name)
    for field in cls.model_fields:
        assert f"`{field}`" in section, f"{name}.{field} is not documented"


def test_relative_links_in_readme_and_docs_point_at_files() -> None:
    root = Path(__file__).parents[2]
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(root)} -> {target}")
    assert broken == []
