"""Message text for broadcast.py: shape tables, conflicts, fixes and explanations."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

Shape = Sequence[int]

_KEEP = re.compile(r"`[^`]*`|\([^()]*\)")
RULE = "Rule: aligned from the right, each pair of sizes must be equal or one of them must be 1."


def wrap(text: str) -> str:
    """Fill one line of prose to 88 columns, never breaking inside ``(...)`` or backticks."""
    kept = _KEEP.sub(lambda m: m.group().replace(" ", "\0"), text)
    filled = textwrap.fill(
        kept, 88, subsequent_indent="     ", break_long_words=False, break_on_hyphens=False
    )
    return filled.replace("\0", " ")


def fmt(shape: Shape) -> str:
    """Write a shape as a Python tuple: ``()``, ``(3,)``, ``(3, 4)``."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(map(str, shape)) + ")"


def fmt_list(shapes: Sequence[Shape]) -> str:
    """Write shapes as ``(2,)``, ``(2,) and (3,)`` or ``(2,), (3,) and (4,)``."""
    parts = [fmt(s) for s in shapes]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def broadcast(shapes: Sequence[Shape]) -> list[int] | None:
    """The shape that broadcasting ``shapes`` gives, as a list; None when they conflict.

    This is the package's one implementation of the rule.

    >>> broadcast([(8, 1), (3,)]), broadcast([(2,), (3,)])
    ([8, 3], None)
    """
    ndim = max(map(len, shapes), default=0)
    out = [1] * ndim
    for shape in shapes:
        for i, size in enumerate(shape, ndim - len(shape)):
            if size != out[i]:
                if out[i] == 1:
                    out[i] = size
                elif size != 1:
                    return None
    return out


def broadcasts(*shapes: Shape) -> bool:
    """Whether the shapes can be broadcast together."""
    return broadcast(shapes) is not None


def numel(shape: Shape) -> int:
    """The number of elements a tensor of this shape holds."""
    n = 1
    for size in shape:
        n *= size
    return n


def _own(shape: Shape, dim: int) -> int | None:
    """The input's own (non-negative) index for result dim ``dim`` (< 0); None if padded."""
    return len(shape) + dim if -dim <= len(shape) else None


def conflicts(shapes: Sequence[Shape]) -> list[tuple[int, int, int]]:
    """Every conflicting result dim, right to left, as ``(dim, input_a, input_b)``."""
    found = []
    for dim in range(-1, -1 - max(map(len, shapes)), -1):
        first = None
        for i, shape in enumerate(shapes):
            size = shape[dim] if -dim <= len(shape) else 1
            if size == 1:
                continue
            if first is None:
                first = i
            elif size != shapes[first][dim]:
                found.append((dim, first, i))
                break
    return found


def _describe(shapes: Sequence[Shape], dim: int, a: int, b: int) -> str:
    own_a, own_b = _own(shapes[a], dim), _own(shapes[b], dim)
    return f"{shapes[a][dim]} (input {a}, dim {own_a}) vs {shapes[b][dim]} (input {b}, dim {own_b})"


def table(shapes: Sequence[Shape], marks: Sequence[int] = (), notes: Sequence[str] = ()) -> str:
    """Shapes right-aligned under their result dims; ``^`` under each dim in ``marks``.

    With ``notes`` (one per input) the missing leading dims show as the 1s they are padded
    with; without, they stay blank.
    """
    ndim = max(map(len, shapes))
    pad = "1" if notes else ""
    padded = [[pad] * (ndim - len(s)) + [str(x) for x in s] for s in shapes]
    cells = [str(-d) for d in range(ndim, 0, -1)]
    width = max(len(c) for c in [*cells, *(x for row in padded for x in row)]) + 2
    rows = ["      dim:" + "".join(f"{c:>{width}}" for c in cells)]
    for i, row in enumerate(padded):
        note = f"   {notes[i]}" if notes else ""
        rows.append(f"  input {i}:" + "".join(f"{x:>{width}}" for x in row) + note)
    if marks:
        carets = "".join(f"{'^' if d - ndim in marks else '':>{width}}" for d in range(ndim))
        rows.append(" " * 10 + carets)
    return "\n".join(row.rstrip() for row in rows)


def _swap(shape: Shape) -> tuple[int, ...]:
    return (*shape[:-2], shape[-1], shape[-2])


def fix(shapes: Sequence[Shape], a: int, b: int) -> str | None:
    """A concrete fix for the conflict between inputs ``a`` and ``b``, if one exists."""
    sa, sb = tuple(shapes[a]), tuple(shapes[b])
    if min(len(sa), len(sb)) >= 2 and sa[-2:] == _swap(sb)[-2:] and broadcasts(sa, _swap(sb)):
        how = "use .T (or .mT for batches)" if len(sa) == len(sb) == 2 else "use .mT"
        return f"Fix: input {b} looks like input {a} transposed; {how} on one of them."
    (big, long), (small, short) = sorted([(a, sa), (b, sb)], key=lambda p: -len(p[1]))
    for k in range(len(short), -1, -1):
        unsqueezed = (*short[:k], 1, *short[k:])
        if len(long) > len(short) and broadcasts(long, unsqueezed):
            neg = k - len(short) - 1
            if (*long[:k], *long[k + 1 :]) == short and len(long) == len(short) + 1:
                return (
                    f"Fix: input {small} looks like input {big} reduced over dim {k} with the"
                    f" dim dropped.\n     Reduce with keepdim=True (e.g. x.sum(dim={k},"
                    f" keepdim=True)),\n     or restore the dim with .unsqueeze({neg}) on input"
                    f" {small}."
                )
            return f"Fix: insert the missing size-1 dim with .unsqueeze({neg}) on input {small}."
    numel_a, numel_b = numel(sa), numel(sb)
    if numel_a == numel_b > 0:
        return (
            f"Fix: input {b} has as many elements ({numel_b}) as input {a}. If it holds the"
            f" same values\n     laid out differently, use .reshape{fmt(sa)} on input {b}."
        )
    return None


def error_message(name: str, shapes: Sequence[Shape]) -> str:
    """The full BroadcastError message for ``name(*shapes)``."""
    found = conflicts(shapes)
    dim, a, b = found[0]
    call = f"{name}({', '.join(map(fmt, shapes))})"
    lines = [
        f"{call}: cannot broadcast; dim {dim} is {shapes[a][dim]} vs {shapes[b][dim]}.",
        table(shapes, marks=[d for d, _, _ in found]),
        *(f"  conflict at dim {d}: {_describe(shapes, d, i, j)}" for d, i, j in found),
        RULE,
    ]
    hint = fix(shapes, a, b)
    return "\n".join(lines if hint is None else [*lines, hint])


def explanation(shapes: Sequence[Shape]) -> str:
    """A step-by-step account of broadcasting ``shapes``, up to the result or a conflict."""
    if not shapes or not max(map(len, shapes)):
        what = "no shapes given" if not shapes else "every input is a scalar (shape ())"
        return f"Broadcasting: {what}; the result shape is ()."
    ndim = max(map(len, shapes))
    notes = [
        fmt(s) + (f" padded to {fmt((1,) * (ndim - len(s)) + tuple(s))}" if len(s) < ndim else "")
        for s in shapes
    ]
    lines = [
        f"Broadcasting {fmt_list(shapes)}:",
        "Step 1. Align the shapes on the right, padding the shorter ones with 1s on the left:",
        table(shapes, notes=notes),
        "Step 2. Compare the sizes dim by dim, right to left; a size of 1 stretches to match:",
    ]
    result: list[int] = []
    for dim in range(-1, -1 - ndim, -1):
        sizes = [s[dim] if -dim <= len(s) else 1 for s in shapes]
        big = {x for x in sizes if x != 1}
        head = f"  dim {dim}: {' vs '.join(map(str, sizes))} -> "
        if len(big) > 1:
            _, a, b = next(c for c in conflicts(shapes) if c[0] == dim)
            lines += [head + "conflict, neither is 1."]
            lines += [f"Conflict at dim {dim}: {_describe(shapes, dim, a, b)}.", RULE]
            hint = fix(shapes, a, b)
            return "\n".join(lines if hint is None else [*lines, hint])
        size = big.pop() if big else 1
        result.insert(0, size)
        stretched = [
            f"input {i} ({'padded' if _own(s, dim) is None else f'its dim {_own(s, dim)}'})"
            for i, s in enumerate(shapes)
            if sizes[i] == 1 and size != 1
        ]
        if stretched:
            who = (
                ", ".join(stretched[:-1]) + " and " + stretched[-1]
                if len(stretched) > 1
                else stretched[0]
            )
            verb = "stretch" if len(stretched) > 1 else "stretches"
            lines.append(wrap(f"{head}{size}; {who} {verb} from 1 to {size}"))
        else:
            lines.append(f"{head}{size} (equal)")
    lines.append(f"Step 3. The result shape is {fmt(result)}.")
    return "\n".join(lines)
