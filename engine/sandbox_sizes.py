"""Size estimates and the methods that are charged to the memory budget before they run.

A single C call (`'a'.center(10**10)`, `list(big)`, `sep.join(...)`) never passes through a
loop guard, so each one that can build a large result checks its size first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

from .sandbox_limits import WORD, charge

CHUNK = 4096
STR_METHODS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha",
    "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "lower",
    "lstrip", "removeprefix", "removesuffix", "rfind", "rindex", "rsplit", "rstrip", "split",
    "splitlines", "startswith", "strip", "title", "upper",
    "center", "ljust", "rjust", "zfill", "replace", "join", "expandtabs",
})


def size_of(value: Any) -> int:
    """Bytes a value holds at its top level, as the memory budget counts them."""
    cls = type(value)
    if cls is str:
        return len(value)
    if cls is list or cls is tuple:
        return len(value) * WORD
    if cls is dict or cls is set:
        return len(value) * 4 * WORD
    if cls is int:
        return value.bit_length() // 8
    return 0


def materialise(iterable: Any) -> Any:
    """The iterable, or a list of its items: an unsized one is drawn in charged chunks."""
    try:
        count = len(iterable)
    except TypeError:
        items: list[Any] = []
        iterator = iter(iterable)
        while chunk := list(islice(iterator, CHUNK)):
            charge(len(chunk) * WORD * 2)
            items.extend(chunk)
        return items
    charge(count * WORD)
    return iterable


def _padded(method: Callable[..., str]) -> Callable[..., str]:
    def padded(text: str, width: int, *args: Any) -> str:
        charge(max(width, 0))
        return method(text, width, *args)
    return padded


def _replace(text: str, old: str, new: str, count: int = -1) -> str:
    hits = text.count(old) if old else len(text) + 1
    if count >= 0:
        hits = min(hits, count)
    charge(len(text) + hits * max(len(new) - len(old), 0))
    return text.replace(old, new, count)


def _join(separator: str, parts: Iterable[Any]) -> str:
    items = materialise(parts)
    charge(sum(len(p) for p in items if type(p) is str) + len(separator) * len(items))
    return separator.join(items)


def _expandtabs(text: str, tabsize: int = 8) -> str:
    charge(len(text) + text.count("\t") * max(tabsize, 0))
    return text.expandtabs(tabsize)


def _split(method: Callable[..., list[str]]) -> Callable[..., list[str]]:
    def split(text: str, *args: Any, **kwargs: Any) -> list[str]:
        charge(len(text) * WORD)
        return method(text, *args, **kwargs)
    return split


def _append(items: list[Any], value: Any) -> None:
    charge(WORD)
    items.append(value)


def _insert(items: list[Any], index: int, value: Any) -> None:
    charge(WORD)
    items.insert(index, value)


def _extend(items: list[Any], more: Iterable[Any]) -> None:
    items.extend(materialise(more))


def _copy(container: Any) -> Any:
    charge(size_of(container))
    return container.copy()


def _setdefault(mapping: dict[Any, Any], key: Any, default: Any = None) -> Any:
    charge(4 * WORD)
    return mapping.setdefault(key, default)


def _update(mapping: dict[Any, Any], *args: Any, **kwargs: Any) -> None:
    charge(sum(size_of(a) for a in args) + len(kwargs) * 4 * WORD)
    mapping.update(*args, **kwargs)


def _add(items: set[Any], value: Any) -> None:
    charge(4 * WORD)
    items.add(value)


def _union(items: set[Any], *others: Any) -> set[Any]:
    parts = [materialise(other) for other in others]
    charge(size_of(items) + sum(size_of(part) for part in parts))
    return items.union(*parts)


GROWING_METHODS: dict[tuple[type, str], Callable[..., Any]] = {
    (str, "center"): _padded(str.center), (str, "ljust"): _padded(str.ljust),
    (str, "rjust"): _padded(str.rjust), (str, "zfill"): _padded(str.zfill),
    (str, "replace"): _replace, (str, "join"): _join, (str, "expandtabs"): _expandtabs,
    (str, "split"): _split(str.split), (str, "rsplit"): _split(str.rsplit),
    (str, "splitlines"): _split(str.splitlines),
    (list, "append"): _append, (list, "insert"): _insert, (list, "extend"): _extend,
    (list, "copy"): _copy, (dict, "copy"): _copy, (set, "copy"): _copy,
    (dict, "setdefault"): _setdefault, (dict, "update"): _update,
    (set, "add"): _add, (set, "union"): _union,
}
