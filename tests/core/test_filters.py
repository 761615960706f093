"""An empty choice on a filter form means "all", on every page that takes filters."""

from __future__ import annotations

import types
import typing
from pathlib import Path

from govcx.app import create_app
from govcx.core.config import Environment, Settings
from govcx.core.filters import BlankIsNone, blank_is_none
from govcx.web.error_pages import wants_problem
from tests.routes import routes


def _optional_non_text(annotation: object) -> bool:
    """A query parameter that may be left out and is not plain text (a choice, an id, a date)."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType) or type(None) not in args:
        return False
    return any(a is not str for a in args if a is not type(None))


def test_blank_means_none_and_anything_else_is_kept() -> None:
    assert blank_is_none("") is None and blank_is_none("  ") is None
    assert blank_is_none("web") == "web" and blank_is_none(0) == 0


def test_every_optional_filter_of_every_page_reads_a_blank_as_all(tmp_path: Path) -> None:
    settings = Settings(env=Environment.TEST, data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'x.db'}",
                        secret_key="k" * 48, auto_upgrade=False)
    app = create_app(settings)
    strict = []
    for route in routes(app):
        if getattr(route, "dependant", None) is None or "GET" not in (route.methods or ()) or wants_problem(route.path):
            continue
        for field in route.dependant.query_params:
            annotation = field.field_info.annotation
            if field.field_info.default is None and _optional_non_text(annotation):
                if not any(m is BlankIsNone for m in field.field_info.metadata):
                    strict.append(f"{route.path} ?{field.alias}=")
    assert not strict, "These filters answer 422 to an empty choice; declare them as Filter[...]:\n" + "\n".join(strict)
