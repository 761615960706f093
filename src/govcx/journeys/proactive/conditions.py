"""The conditions of proactive rules: a small, safe expression language (simpleeval, never `eval`).

A condition reads the person's current facts by their catalogue key and the event that triggered
it, for example::

    tax.residency == "resident" and tax.annual_income < 60000
    event.previous != None and event.value < event.previous * 0.7
    days_since(person.child_birth) < 365

It is checked when the rule is saved: the syntax, every construct (only comparisons, boolean
logic, arithmetic, literals and the few functions below), and every fact name against the data
catalogue. A fact the person does not have reads as `None`; a condition that fails while it is
evaluated (comparing a missing number) does not hold.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Any

from simpleeval import SimpleEval

log = logging.getLogger(__name__)

MAX_LENGTH = 500
EVENT = "event"
# What `event.<field>` may name: the triggering fact's value and the one it replaced, a resolved
# case's service code and status, a journey event's journey, touchpoint and type.
EVENT_FIELDS = frozenset({"attribute", "value", "previous", "service", "status", "journey", "touchpoint", "type"})
FUNCTIONS = frozenset({"days_since", "years_since", "has"})
_ALLOWED = (
    ast.Expression, ast.Expr, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.Compare,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.BinOp, ast.Add, ast.Sub,
    ast.Mult, ast.Div, ast.Constant, ast.Name, ast.Attribute, ast.Call, ast.Load, ast.Tuple, ast.List,
)


class ConditionError(ValueError):
    """A condition that cannot be saved, and why (said to the agency admin who wrote it)."""


def check(expression: str, *, known_keys: Collection[str]) -> set[str]:
    """Refuse a condition that is malformed or names a fact not in the catalogue; return the keys it reads."""
    if len(expression) > MAX_LENGTH:
        raise ConditionError(f"A condition is at most {MAX_LENGTH} characters.")
    if not expression.strip():
        return set()
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConditionError(f"The condition is not valid: {exc.msg} (at character {exc.offset or 0}).") from exc
    used: set[str] = set()
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ConditionError(f"A condition cannot use {type(node).__name__}: only comparisons, and/or/not, "
                                 "arithmetic, literals and the functions days_since, years_since and has.")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                raise ConditionError(f"Only these functions may be called: {', '.join(sorted(FUNCTIONS))}.")
        elif isinstance(node, ast.Attribute):
            if not isinstance(node.value, ast.Name):
                raise ConditionError("Name a fact as namespace.attribute, such as tax.annual_income.")
            if node.value.id == EVENT:
                if node.attr not in EVENT_FIELDS:
                    raise ConditionError(f"event.{node.attr} is not known; use one of "
                                         f"{', '.join(sorted(EVENT_FIELDS))}.")
            else:
                key = f"{node.value.id}.{node.attr}"
                if key not in known_keys:
                    raise ConditionError(f"{key} is not in the data catalogue.")
                used.add(key)
        elif isinstance(node, ast.Name):
            parent = parents.get(id(node))
            is_function = isinstance(parent, ast.Call) and parent.func is node
            if not is_function and not isinstance(parent, ast.Attribute):
                raise ConditionError(f"{node.id} is not a fact: name facts as namespace.attribute, "
                                     "such as tax.annual_income.")
    return used


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    return date.fromisoformat(str(value)[:10])


def _functions(today: date) -> dict[str, Callable[..., Any]]:
    def days_since(value: Any) -> int | None:
        when = _as_date(value)
        return None if when is None else (today - when).days

    def years_since(value: Any) -> int | None:
        when = _as_date(value)
        if when is None:
            return None
        return today.year - when.year - ((today.month, today.day) < (when.month, when.day))

    return {"days_since": days_since, "years_since": years_since, "has": lambda value: value is not None}


def holds(expression: str, *, facts: Mapping[str, Any], event: Mapping[str, Any], today: date,
          reads: Collection[str] = ()) -> bool:
    """Say whether a saved condition holds for these facts (by catalogue key) and this event."""
    if not expression.strip():
        return True
    names: dict[str, dict[str, Any]] = {EVENT: {f: event.get(f) for f in EVENT_FIELDS}}
    for key in (*reads, *facts):
        namespace, _, attribute = key.partition(".")
        names.setdefault(namespace, {})[attribute] = facts.get(key)
    evaluator = SimpleEval(names=names, functions=_functions(today))
    try:
        return bool(evaluator.eval(expression.strip()))
    except Exception as exc:  # noqa: BLE001 - a condition that cannot be evaluated does not hold
        # The kind of failure only: never the values it was evaluated on.
        log.info("proactive condition did not evaluate", extra={"error": type(exc).__name__})
        return False
