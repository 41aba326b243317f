"""Turning the keyword inputs of a check into arrays, and choosing which to differentiate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ._report import format_shape

#: Spawn keys of the two random streams a check draws from ``seed``: inputs given as
#: shapes, and the checker's own upstream gradients and directions. Keys of their own
#: keep both apart from anything an author draws with ``np.random.default_rng(seed)``,
#: so that g can never be a copy of an input.
INPUT_STREAM = 0x6772_6164_696E
CHECKER_STREAM = 0x6772_6164_636B


def streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The input stream and the checker stream of a check with this seed."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative integer, not {seed!r}")
    return tuple(
        np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(key,)))
        for key in (INPUT_STREAM, CHECKER_STREAM)
    )


def drawn_inputs(seed: int = 0, **inputs: Any) -> dict[str, Any]:
    """The values a check with this seed evaluates at: every shape drawn as ``check`` draws it.

    Useful to compute, at the very inputs of a check, what the check itself does not return
    (intermediates, a condition number), and for other checkers to see the same arrays.
    """
    return draw_inputs(inputs, streams(seed)[0])


def is_shape(value: Any) -> bool:
    """A tuple of non-negative ints stands for a random float64 array of that shape."""
    return isinstance(value, tuple) and all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in value
    )


def draw_inputs(inputs: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Replace every shape by standard-normal float64 values; keep everything else as given."""
    if not inputs:
        raise TypeError("a check needs at least one input, passed as a keyword argument")
    drawn: dict[str, Any] = {}
    for name, value in inputs.items():
        if is_shape(value):
            value = rng.standard_normal(tuple(int(n) for n in value))
        if isinstance(value, np.ndarray) and value.size == 0:
            raise ValueError(
                f"input {name!r} is empty (shape {format_shape(value.shape)}): "
                "a check over no elements proves nothing"
            )
        drawn[name] = value
    return drawn


def is_differentiable(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == np.float64


def choose_wrt(values: Mapping[str, Any], wrt: str | Iterable[str] | None) -> tuple[str, ...]:
    """The inputs to differentiate: ``wrt`` if given, else every float64 array.

    Integer arrays (class labels), Python numbers (an epsilon) and other objects
    are constants unless named in ``wrt``; what ``wrt`` names must be a float64 array.
    """
    if wrt is None:
        names = tuple(name for name, value in values.items() if is_differentiable(value))
        if not names:
            raise TypeError(
                "no input to differentiate: pass a shape tuple or a float64 array, "
                f"or name one with wrt (inputs: {', '.join(values)})"
            )
        return names
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    if not names:
        raise ValueError("wrt names no input")
    for name in names:
        if name not in values:
            raise ValueError(
                f"wrt names {name!r}, but the inputs are {', '.join(map(repr, values))}"
            )
        if not is_differentiable(values[name]):
            value = values[name]
            kind = f"dtype {value.dtype}" if isinstance(value, np.ndarray) else type(value).__name__
            raise TypeError(f"wrt names {name!r}, which is not a float64 array ({kind})")
    return names


def copied(values: Mapping[str, Any]) -> dict[str, Any]:
    """Fresh copies of the array inputs, so that no call can alter what the next one sees."""
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in values.items()}
