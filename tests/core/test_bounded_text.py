"""Attacks with long text: every string a request body can carry has a bound, read from the OpenAPI document."""

from __future__ import annotations

import re

from govcx.core.bounded import one_line, spreadsheet_cell, strip_unprintable

BOUNDING_FORMATS = {"uuid", "date-time", "date", "email", "time"}
# An anchored pattern whose every repetition has an upper bound ({m,n}), so it bounds the length too.
BOUNDED_PATTERN = re.compile(r"^\^(?:[^*+]|\\[*+])*\$$")


def _unbounded_strings(document, schema, where, seen=()):  # noqa: ANN001, ANN202
    if isinstance(schema, list):
        for item in schema:
            yield from _unbounded_strings(document, item, where, seen)
        return
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        if name not in seen:
            yield from _unbounded_strings(document, document["components"]["schemas"][name], name, (*seen, name))
        return
    if schema.get("type") == "string" and not (
            "maxLength" in schema or "enum" in schema or "const" in schema
            or schema.get("format") in BOUNDING_FORMATS
            or BOUNDED_PATTERN.match(schema.get("pattern", ""))):
        yield where
    for key, value in schema.items():
        if key == "properties":
            for name, inner in value.items():
                yield from _unbounded_strings(document, inner, f"{where}.{name}", seen)
        elif isinstance(value, dict | list):
            yield from _unbounded_strings(document, value, where, seen)


def test_every_string_a_request_body_carries_is_bounded(app):
    document = app.openapi()
    bodies = [(operation["operationId"], content["schema"])
              for operations in document["paths"].values() for operation in operations.values()
              for content in operation.get("requestBody", {}).get("content", {}).values()]
    assert len(bodies) > 20
    unbounded = [where for operation_id, schema in bodies
                 for where in _unbounded_strings(document, schema, operation_id)]
    assert unbounded == []


def test_control_characters_go_and_line_breaks_become_spaces():
    assert strip_unprintable("a\x00b\x07c\x1bd\ud800e\ufffff\n\tg") == "abcdef\n\tg"
    assert one_line("a\r\nb\u2028c\x85d\te") == "a b c d e"


def test_formula_cells_are_neutralised_and_numbers_kept():
    for cell in ("=1+1", "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"x\")"):
        assert spreadsheet_cell(cell) == "'" + cell
    for cell in ("-1", "+2.5", "-1e3", "plain", "", 3, -4.5):
        assert spreadsheet_cell(cell) == cell
