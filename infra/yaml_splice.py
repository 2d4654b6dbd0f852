"""Setting scalars in YAML text by text splices: every other byte of the file stays.

Why a splice and not a YAML dump: a dump re-flows what it did not understand (spacing before
comments, flow mappings, CRLF, a BOM). Here the stack file reader's composer (libyaml) only *finds*
the scalar (its marks give character offsets) and the new token replaces exactly those characters.
An absent key is added last in its mapping, with any missing parents, in the file's indentation and
line breaks.

Composing the tree is what costs (about 0.07 s a MB), so the splices of several keys are found in one
tree and made together wherever the order they are made in cannot matter (they neither touch, nor add
one new section twice, nor add keys at one place to different mappings); the rest are found in the
next tree. The text is what setting the keys one after another would give.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from infra import stackfile
from infra.dotted_keys import config_path, join_key, shown_key, split_key
from infra.edit_error import EditError
from infra.yaml_scalars import scalar_token
from policies import redaction


def _compose(text: str, where: str) -> Node | None:
    try:
        return stackfile.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise EditError(f"{where}{line}: malformed YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:  # e.g. a character YAML does not allow
        raise EditError(f"{where}: not YAML: {exc}") from None


def _is_empty(text: str, node: Node) -> bool:
    """A value left out (`key:` with nothing after it); its marks span no text but space."""
    return isinstance(node, ScalarNode) and not node.style and node.value == "" and \
        text[node.start_mark.index : node.end_mark.index].strip() == ""


def _indent_step(root: Node | None) -> int:
    """The file's indentation: the most common child-minus-parent column of block mappings."""
    steps: Counter[int] = Counter()

    def walk(node: Node) -> None:
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(value, MappingNode) and not value.flow_style and value.value:
                    step = value.value[0][0].start_mark.column - key.start_mark.column
                    if step > 0:
                        steps[step] += 1
                walk(value)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                walk(item)

    if root is not None:
        walk(root)
    return steps.most_common(1)[0][0] if steps else 2


def _last_end(text: str, key: Node | None, node: Node) -> int:
    """Offset just after the last character written for node (or for key, if node is left out)."""
    if isinstance(node, MappingNode) and not node.flow_style and node.value:
        return _last_end(text, *node.value[-1])
    if isinstance(node, SequenceNode) and not node.flow_style and node.value:
        return _last_end(text, None, node.value[-1])
    if key is not None and _is_empty(text, node):
        return key.end_mark.index
    end = node.end_mark.index
    while end > 0 and text[end - 1] in " \t\r\n":  # a block scalar's marks take in trailing blank lines
        end -= 1
    return end


def _line_after(text: str, index: int) -> tuple[int, str]:
    """Offset of the start of the next line after index, and the line break the line ends with."""
    newline = text.find("\n", index)
    if newline < 0:
        return len(text), ""
    return newline + 1, "\r\n" if newline > 0 and text[newline - 1] == "\r" else "\n"


def _file_newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _key_token(key: str, flow: bool, where: str) -> str:
    token = scalar_token(key, None, flow)
    if token is None:
        raise EditError(f"{where}: {redaction.shown(key)} cannot be written as a YAML key")
    return token


def _block_lines(keys: tuple[str, ...], value_token: str, column: int, step: int, where: str) -> list[str]:
    lines = []
    for depth, part in enumerate(keys):
        head = " " * (column + depth * step) + _key_token(part, False, where) + ":"
        lines.append(head + (" " + value_token if depth == len(keys) - 1 else ""))
    return lines


def _flow_entry(keys: tuple[str, ...], value_token: str, where: str) -> str:
    """a, b, v -> "a: {b: v}": an entry for a flow mapping, creating the missing levels."""
    entry = value_token
    for depth in range(len(keys) - 1, -1, -1):
        entry = f"{_key_token(keys[depth], True, where)}: {entry}"
        if depth > 0:
            entry = "{" + entry + "}"
    return entry


@dataclass(frozen=True)
class _Splice:
    """Replace text[start:end] with new; adds names the key added to a mapping: (id of the mapping, key)."""

    start: int
    end: int
    new: str
    adds: tuple[int, str] | None = None

    def conflicts(self, other: _Splice) -> bool:
        if self.adds is not None and self.adds == other.adds:
            return True  # both would add the section; the second belongs inside the first's
        if self.start == self.end == other.start == other.end and self.adds and other.adds:
            # Keys added to one mapping at one place go in the order given, as one after the other
            # would; a mapping that ends where its parent does gets its key before the parent's.
            return self.adds[0] != other.adds[0]
        return self.start <= other.end and other.start <= self.end


def _spliced(text: str, splices: list[_Splice]) -> str:
    """text with splices that do not conflict made; insertions at one place in the order given."""
    pieces, at = [], 0
    for splice in sorted(splices, key=lambda s: s.start):  # stable: the order given, at one place
        pieces += [text[at : splice.start], splice.new]
        at = splice.end
    pieces.append(text[at:])
    return "".join(pieces)


def _insert_block(text: str, index: int, lines: list[str], adds: tuple[int, str]) -> _Splice:
    """Insert whole lines at the start of the line after index, in that line's line-break style."""
    at, newline = _line_after(text, index)
    if not newline:  # the last line has no line break: give it one, keep the file ending without
        return _Splice(at, at, _file_newline(text) + _file_newline(text).join(lines), adds)
    return _Splice(at, at, newline.join(lines) + newline, adds)


def set_scalar(text: str, where: str, key: str, value: Any) -> str:
    """Text with the scalar at dotted key (under config:) set to value; added, with parents, if absent.

    Raises EditError, naming where, the line and key, where the file has something else than a
    single plain or quoted value there (a mapping, a list, an anchor, a block scalar).
    """
    return set_scalars(text, where, [(key, value)])


def set_scalars(text: str, where: str, values: list[tuple[str, Any]], tree: Node | None = None) -> str:
    """set_scalar for each (key, value) in turn; tree is text's (stackfile.compose), if already composed."""
    bom = stackfile.BOM if text.startswith(stackfile.BOM) else ""  # the marks leave it out
    text = text[len(bom):]
    pending = list(values)
    while pending:
        root = tree if tree is not None else _compose(text, where)
        tree = None
        step = functools.cache(lambda root=root: _indent_step(root))  # walks the whole tree: only if needed
        splices: list[_Splice] = []
        for key, value in pending:
            splice = _splice(text, root, step, where, key, value)
            if any(splice.conflicts(made) for made in splices):
                break
            splices.append(splice)
        text = _spliced(text, splices)
        pending = pending[len(splices):]
    return bom + text


def _splice(text: str, root: Node | None, step: Callable[[], int], where: str, key: str, value: Any) -> _Splice:
    """The splice that sets the scalar at dotted key in text, whose tree is root (see set_scalar)."""
    parts = split_key(key)
    path = ("config", *config_path(parts))

    def token(style: str | None, flow: bool) -> str:
        found = scalar_token(value, style, flow)
        if found is None:
            raise EditError(f"{where}: {shown_key(key)}: {redaction.shown(value, key)} cannot be written "
                            "as a YAML value")
        return found

    if root is None:  # an empty file, or only comments
        newline = _file_newline(text)
        lines = _block_lines(path, token(None, False), 0, step(), where)
        lead = newline if text and not text.endswith("\n") else ""
        return _Splice(len(text), len(text), lead + newline.join(lines) + newline, (id(root), path[0]))

    node, owner, flow = root, None, False
    for depth, part in enumerate(path):
        rest = path[depth:]
        line = node.start_mark.line + 1
        if owner is not None and _is_empty(text, node):  # `last_scaled:` with nothing under it yet
            column = owner.start_mark.column + step()
            return _insert_block(text, owner.end_mark.index,
                                 _block_lines(rest, token(None, False), column, step(), where), (id(owner), part))
        if not isinstance(node, MappingNode):
            shown = text[node.start_mark.index : node.end_mark.index].strip() or "null"
            above = join_key(parts[: depth - 1]) or "config"
            raise EditError(f"{where}:{line}: {shown_key(key)}: {shown_key(above)} is {redaction.shown(shown)} "
                            "in the file, not a mapping; fix it by hand first")
        flow = flow or bool(node.flow_style)
        hit = next(((k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == part), None)
        if hit is None:
            if flow:
                entry = _flow_entry(rest, token(None, True), where)
                if node.value:
                    at = node.value[-1][1].end_mark.index
                    return _Splice(at, at, ", " + entry, (id(node), part))
                return _Splice(node.start_mark.index, node.end_mark.index, "{" + entry + "}", (id(node), part))
            column = node.value[0][0].start_mark.column
            return _insert_block(text, _last_end(text, None, node),
                                 _block_lines(rest, token(None, False), column, step(), where), (id(node), part))
        owner, node = hit

    assert owner is not None
    line = owner.start_mark.line + 1
    source = text[node.start_mark.index : node.end_mark.index]
    if not isinstance(node, ScalarNode):
        kind = "list" if isinstance(node, SequenceNode) else "mapping"
        raise EditError(f"{where}:{line}: {shown_key(key)}: the file has a {kind} here, not a single value; "
                        "fix it by hand first")
    # libyaml keeps no anchor on a node: an anchored value, and an alias of one, start at the `&`
    if source[:1] in ("&", "*", "!"):
        raise EditError(f"{where}:{line}: {shown_key(key)}: the value is anchored, an alias or tagged "
                        f"({source.split()[0]}); a change here would change other keys too; edit it by hand")
    if node.style in ("|", ">"):
        raise EditError(f"{where}:{line}: {shown_key(key)}: a block scalar ({node.style}); edit it by hand")
    if _is_empty(text, node):  # `key:` with the value left out: write it after the colon
        colon = text.index(":", owner.end_mark.index) + 1
        end = max(colon, node.end_mark.index)  # in a flow mapping the marks take in the space after the colon
        return _Splice(colon, end, " " + token(None, flow) + text[colon:end])
    return _Splice(node.start_mark.index, node.end_mark.index, token(node.style or None, flow))
