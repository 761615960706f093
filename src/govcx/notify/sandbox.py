"""The template sandbox: Jinja's, with nothing a template can use to allocate without bound.

Templates are data an administrator edits. Jinja's sandbox already keeps them away from Python's
internals; this one also refuses, with a reason, the operations whose cost grows with a number the
template chooses: repeating a string or list (`'x' * 10**9`), powers, padding and widths
(`center`, `indent`, `ljust`, `'%999999999d'`), and ranges past a few thousand.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sized
from typing import Any

from jinja2 import StrictUndefined
from jinja2.exceptions import SecurityError
from jinja2.filters import do_center, do_format, do_indent, do_wordwrap
from jinja2.sandbox import SandboxedEnvironment

# Longer than any message needs; short enough that building it costs nothing.
MAX_OUTPUT = 100_000
MAX_NUMBER_ARGUMENT = 10_000
MAX_RANGE = 1_000
MAX_EXPONENT = 64
# A printf width or precision of four digits or `*`, or a str.format spec holding one.
_WIDE_FORMAT = re.compile(r"%[-#0 +]*(?:\d{4,}|\*|\d*\.(?:\d{4,}|\*))|\{[^{}]*:[^{}]*?(?:\d{4,}|\*)[^{}]*\}")

_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul, "**": operator.pow, "+": operator.add, "%": operator.mod, "//": operator.floordiv,
}


def _size(value: Any) -> int:
    return len(value) if isinstance(value, Sized) and not isinstance(value, dict) else 0


def _refuse(reason: str) -> SecurityError:
    return SecurityError(f"the template {reason}")


def _check_numbers(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER_ARGUMENT:
            raise _refuse(f"passes {value} where at most {MAX_NUMBER_ARGUMENT} is allowed")


def _check_format(text: Any) -> None:
    if isinstance(text, str) and _WIDE_FORMAT.search(text):
        raise _refuse("asks for a format width or precision over 999")


def _bounded(filter_: Callable[..., Any]) -> Callable[..., Any]:
    def checked(*args: Any, **kwargs: Any) -> Any:
        _check_numbers(args[1:], kwargs)
        return filter_(*args, **kwargs)

    checked.__name__ = filter_.__name__
    return checked


def _format(value: Any, *args: Any, **kwargs: Any) -> Any:
    _check_format(value)
    return do_format(value, *args, **kwargs)


class BoundedSandbox(SandboxedEnvironment):
    """A sandbox that refuses operations that would allocate without bound."""

    intercepted_binops = frozenset(_BINOPS)

    def __init__(self, **options: Any) -> None:
        super().__init__(undefined=StrictUndefined, **options)
        self.filters.update(center=_bounded(do_center), indent=_bounded(do_indent),
                            wordwrap=_bounded(do_wordwrap), format=_format)
        self.globals["range"] = self._range

    @staticmethod
    def _range(*args: int) -> range:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise _refuse(f"asks for a range of {len(numbers):,} numbers; at most {MAX_RANGE:,}")
        return numbers

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise _refuse(f"raises to the power {right}")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if _size(seq) and isinstance(times, int) and _size(seq) * times > MAX_OUTPUT:
                    raise _refuse(f"repeats something {times:,} times")
        if operator == "+" and _size(left) + _size(right) > MAX_OUTPUT:
            raise _refuse("joins values longer than a message may be")
        if operator == "%":
            _check_format(left)
        return _BINOPS[operator](left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        _check_numbers(args, kwargs)
        if getattr(__obj, "__name__", "") in ("format", "format_map"):
            _check_format(getattr(__obj, "__self__", None))
        return super().call(__context, __obj, *args, **kwargs)
