"""README.md's stack config reference, generated from the config model (infra/config.py: each field's
type, description and default) and the limits it checks (policies/limits.py, with their sources), in
the manner of cloud-foundation-fabric's generated variable tables.

    venv/bin/python -m infra.config_reference           # print the table
    venv/bin/python -m infra.config_reference --write   # rewrite it in README.md, between the markers

Only the table between START and END is generated; the prose around it is README.md's own.
"""

from __future__ import annotations

import argparse
import html
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from infra import config
from infra.stacks import REPO_ROOT
from policies import limits

README = REPO_ROOT / "README.md"
START = "<!-- config-reference:start -->"
END = "<!-- config-reference:end -->"
COMMAND = "venv/bin/python -m infra.config_reference --write"
SECTION = "a mapping of the keys below"


@dataclass(frozen=True)
class Row:
    key: str
    meaning: str
    allowed: str
    default: str


def _optional(annotation: Any) -> tuple[Any, bool]:
    """X | None -> (X, True); anything else -> (it, False)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _limit(info: FieldInfo) -> limits.Range | limits.Choice | None:
    checks = (getattr(item, "func", None) for item in info.metadata)
    return next((check.limit for check in checks if isinstance(check, config.Allowed)), None)


def _bounds(info: FieldInfo) -> str:
    """A field's ge/gt/le/lt constraints in words: "1 to 65535", "above 0, at most 1"."""
    words: dict[str, str] = {}
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            words["low"] = f"at least {limits.fmt(item.ge)}"
        elif isinstance(item, annotated_types.Gt):
            words["low"] = f"above {limits.fmt(item.gt)}"
        elif isinstance(item, annotated_types.Le):
            words["high"] = f"at most {limits.fmt(item.le)}"
        elif isinstance(item, annotated_types.Lt):
            words["high"] = f"below {limits.fmt(item.lt)}"
    low, high = words.get("low", ""), words.get("high", "")
    if low.startswith("at least") and high.startswith("at most"):
        return f"{low.removeprefix('at least ')} to {high.removeprefix('at most ')}"
    return ", ".join(w for w in (low, high) if w)


def _kind(annotation: Any) -> str:
    """What a value of this type is, in words."""
    if annotation == config.Text:
        return "text, or a Pulumi secret (`pulumi config set --secret --path`)"
    if typing.get_origin(annotation) is typing.Literal:
        return ", ".join(f"`{value}`" for value in typing.get_args(annotation))
    return {bool: "`true` or `false`", int: "a whole number", float: "a number", str: "text"}[annotation]


def _allowed(info: FieldInfo, annotation: Any) -> str:
    limit = _limit(info)
    if limit is not None:
        values = limit.allowed() if isinstance(limit, limits.Range) else ", ".join(f"`{v}`" for v in limit.values)
        return f"{values} ([{limit.what}]({limit.source}))"
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if "allowed" in extra:
        source = f" ([source]({extra['source']}))" if "source" in extra else ""
        return f"{extra['allowed']}{source}"
    if typing.get_origin(annotation) is dict:
        return f"a map of NAME: {_kind(typing.get_args(annotation)[1])}"
    bounds = _bounds(info)
    return f"{_kind(annotation)}, {bounds}" if bounds else _kind(annotation)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.default
    if value is None:
        return "unset"
    if isinstance(value, BaseModel):
        return ""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return limits.fmt(value)
    return f"`{value}`" if value != "" else "`\"\"`"


def _rows(model: type[BaseModel], prefix: str) -> Iterator[Row]:
    for name, info in model.model_fields.items():
        if model is config.StackConfig and name == "stack":
            continue  # the file name says it
        key = config.PROVIDER_KEYS.get(name, name) if model is config.StackConfig else f"{prefix}{name}"
        meaning = info.description or ""
        annotation, _ = _optional(info.annotation)
        if _is_model(annotation):
            yield Row(key, meaning, SECTION, _default(info))
            yield from _rows(annotation, f"{key}.")
        elif typing.get_origin(annotation) is dict and _is_model(entry := typing.get_args(annotation)[1]):
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            names = f"; names: {extra['allowed']}" if "allowed" in extra else ""
            yield Row(key, meaning, f"a mapping of NAME to the keys below{names}", _default(info))
            yield from _rows(entry, f"{key}.<name>.")
        else:
            yield Row(key, meaning, _allowed(info, annotation), _default(info))


def rows() -> list[Row]:
    """A row per key of the stack config, in the model's order."""
    return list(_rows(config.StackConfig, ""))


def _cell(text: str) -> str:
    """Markdown table cell text: pipes escaped, and <...> kept visible outside code spans."""
    parts = text.replace("|", "\\|").split("`")
    return "`".join(part if i % 2 else html.escape(part, quote=False) for i, part in enumerate(parts))


def table() -> str:
    lines = [f"<!-- generated by `{COMMAND}` from infra/config.py and policies/limits.py; do not edit -->",
             "| key | meaning | allowed | default |", "|---|---|---|---|"]
    lines += [f"| `{row.key}` | {_cell(row.meaning)} | {_cell(row.allowed)} | {_cell(row.default)} |"
              for row in rows()]
    return "\n".join(lines)


def with_table(text: str) -> str:
    """README text with the table between the markers replaced by the current one."""
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError(f"README.md has no {START} ... {END} block for the config reference")
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main(argv: list[str] | None = None, readme: Path = README) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.config_reference", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the table in README.md")
    args = parser.parse_args(argv)
    if not args.write:
        print(table())
        return 0
    text = readme.read_text(encoding="utf-8")
    new = with_table(text)
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
