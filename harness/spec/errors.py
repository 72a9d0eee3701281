"""Typed access to parsed YAML with errors that name the file, the field and the expectation."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any


class SpecError(ValueError):
    """A spec file is malformed: names the file, the dotted field path and what was expected."""

    def __init__(self, file: str | Path, field: str, expected: str, found: Any = None):
        self.file = str(file)
        self.field = field
        self.expected = expected
        self.found = found
        super().__init__(f"{self.file}: field '{field}': expected {expected}, found {found!r}")


class Fields:
    """A mapping being read field by field; unknown keys are an error on :meth:`done`."""

    def __init__(self, data: Any, file: str | Path, prefix: str = ""):
        if not isinstance(data, dict):
            raise SpecError(file, prefix or "<root>", "a mapping", data)
        self.data = data
        self.file = file
        self.prefix = prefix
        self._seen: set[str] = set()

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def error(self, key: str, expected: str, found: Any) -> SpecError:
        return SpecError(self.file, self.path(key), expected, found)

    def has(self, key: str) -> bool:
        """Whether ``key`` is given a value (null counts as absent: a profile removes a base
        field by setting it to null)."""
        self._seen.add(key)
        return self.data.get(key) is not None

    def raw(self, key: str, default: Any = ...) -> Any:
        self._seen.add(key)
        if key not in self.data:
            if default is ...:
                raise self.error(key, "a value (the field is required)", None)
            return default
        return self.data[key]

    def sub(self, key: str, required: bool = False) -> Fields:
        value = self.raw(key, ... if required else {})
        return Fields(value if value is not None else {}, self.file, self.path(key))

    def number(self, key: str, default: Any = ..., lo: float | None = None,
               hi: float | None = None, integer: bool = False) -> float | int:
        value = self.raw(key, default)
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                integer and not isinstance(value, int)):
            raise self.error(key, _bounded(kind, lo, hi), value)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise self.error(key, _bounded(kind, lo, hi), value)
        return int(value) if integer else float(value)

    def integer(self, key: str, default: Any = ..., lo: int | None = None,
                hi: int | None = None) -> int:
        return int(self.number(key, default, lo, hi, integer=True))

    def range(self, key: str, default: Any = ..., lo: float | None = None,
              hi: float | None = None, integer: bool = False) -> tuple:
        """A ``[low, high]`` pair with low <= high (a single number means low == high)."""
        value = self.raw(key, default)
        kind = "integers" if integer else "numbers"
        expected = f"[low, high] of {_bounded(kind, lo, hi)} with low <= high"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value, value]
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise self.error(key, expected, value)
        out = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or (
                    integer and not isinstance(v, int)):
                raise self.error(key, expected, value)
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                raise self.error(key, expected, value)
            out.append(int(v) if integer else float(v))
        if out[0] > out[1]:
            raise self.error(key, expected, value)
        return tuple(out)

    def string(self, key: str, default: Any = ..., choices: Iterable[str] | None = None) -> str:
        value = self.raw(key, default)
        choices = tuple(choices) if choices is not None else None
        if not isinstance(value, str) or (choices is not None and value not in choices):
            expected = f"one of {list(choices)}" if choices else "a string"
            raise self.error(key, expected, value)
        return value

    def boolean(self, key: str, default: Any = ...) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.error(key, "true or false", value)
        return value

    def int_list(self, key: str, default: Any = ..., min_len: int = 1) -> tuple[int, ...]:
        value = self.raw(key, default)
        expected = f"a list of at least {min_len} distinct non-negative integers"
        if not isinstance(value, (list, tuple)) or len(value) < min_len or any(
                isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in value) or len(
                set(value)) != len(value):
            raise self.error(key, expected, value)
        return tuple(int(v) for v in value)

    def string_list(self, key: str, default: Any = ..., choices: Iterable[str] | None = None,
                    min_len: int = 1) -> tuple[str, ...]:
        value = self.raw(key, default)
        choices = tuple(choices) if choices is not None else None
        expected = f"a list of at least {min_len} of " + (
            f"{list(choices)}" if choices else "strings")
        if not isinstance(value, (list, tuple)) or len(value) < min_len or any(
                not isinstance(v, str) or (choices is not None and v not in choices)
                for v in value):
            raise self.error(key, expected, value)
        return tuple(value)

    def done(self) -> None:
        """Reject keys that were never read: a typo must not be silently ignored."""
        unknown = sorted(set(self.data) - self._seen)
        if unknown:
            raise SpecError(self.file, self.path(unknown[0]),
                            f"one of the known fields {sorted(self._seen)}", "unknown field")


def _bounded(kind: str, lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{kind} in [{lo}, {hi}]"
    if lo is not None:
        return f"{kind} >= {lo}"
    if hi is not None:
        return f"{kind} <= {hi}"
    return kind
