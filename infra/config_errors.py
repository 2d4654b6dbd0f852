"""Config errors as people read them: one `FILE:LINE: dotted.key: message` line per problem.

infra.config validates; this module turns what pydantic reports into those lines: the dotted key,
the line of the stack file that holds it, and a message that says what is allowed (the limits'
messages come from policies/limits.py through the model's validators) or the nearest valid key.
"""

from __future__ import annotations

import difflib
import math
import typing
from collections.abc import Callable, Sequence
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from infra.pulumi_config import SecretValue
from policies import limits, redaction

# A model location -> the key path in the stack file (("services", "api") -> ("golden-path:services", "api")).
StackKey = Callable[[tuple[Any, ...]], tuple[Any, ...]]
LineOf = Callable[..., int | None]
Written = Callable[..., str | None]  # a key path -> its last key as the file writes it (`~` for None)


class ConfigError(Exception):
    """Bad stack config; `problems` holds one line per problem, each naming file, line and key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def problem_line(where: str, line: int | None, key: str, message: str) -> str:
    """`FILE:LINE: key: message`, leaving out the line or the key where there is none."""
    location = f"{where}:{line}" if line else where
    return f"{location}: {key}: {message}" if key else f"{location}: {message}"


def unknown_key(name: str, valid: Sequence[str], prefix: str = "") -> str:
    if not valid:
        return "unknown key; nothing is set here by name"
    near = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    hint = f"did you mean {prefix}{near[0]}?" if near else f"valid keys: {', '.join(sorted(valid))}"
    return f"unknown key; {hint}"


def key_text(key: Any, written: str | None = None) -> str:
    """A key as a message names it: as the file writes it; described instead where it is shaped like a secret
    (a token pasted as a key is a secret all the same)."""
    text = str(key) if written is None else written
    shown = redaction.shown(text)
    return text if shown == repr(text) else f"({shown})"


def dotted(keys: Sequence[Any]) -> str:
    return ".".join(key_text(key) for key in keys)


def validation_problems(exc: ValidationError, root: type[BaseModel], where: str, stack_key: StackKey,
                        line_of: LineOf | None, written: Written | None = None) -> list[str]:
    """One line per error pydantic found validating `root`."""
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        if loc[-1:] == ("[key]",):  # a map key YAML made null, a number or a boolean: no name to show in the path
            key = (*stack_key(loc[:-2]), error.get("input"))  # the key itself: pydantic's loc turns None into "None"
            line = line_of(*key) if line_of else None
            message = (f"{key_text(key[-1], written(*key) if written else None)} is not a name; write a name such as "
                       "api here (YAML reads null, numbers and true/false as values, not names)")
            lines.append(problem_line(where, line, dotted(loc[:-2]), message))
            continue
        line = line_of(*stack_key(loc)) if line_of and loc else None
        lines.append(problem_line(where, line, dotted(loc), _describe(error, root, stack_key)))
    return lines


def field_limit(info: FieldInfo) -> limits.Range | limits.Choice | None:
    """The limit from policies/limits.py a field checks: config.within puts it in the field's metadata, as the
    `limit` of the validator it adds."""
    checks = (getattr(getattr(item, "func", None), "limit", None) for item in info.metadata)
    return next((limit for limit in checks if isinstance(limit, limits.Range | limits.Choice)), None)


def bounds(info: FieldInfo) -> str:
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


def _not_finite(shown: str, info: FieldInfo | None) -> str:
    """NaN or an infinity where a number goes, with what the field allows: NaN compares false with every limit,
    so it must never get past the model to a policy."""
    limit = field_limit(info) if info else None
    if isinstance(limit, limits.Range):
        return f"{shown} is not a finite number ({limit.what} is {limit.allowed()}, {limit.source})"
    words = bounds(info) if info else ""
    return f"{shown} is not a finite number; it must be {words}" if words else f"{shown} is not a finite number"


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _field(root: type[BaseModel], loc: tuple) -> FieldInfo | None:
    """The field a validation error location points at."""
    model = _model_at(root, loc)
    return model.model_fields.get(loc[-1]) if model and isinstance(loc[-1], str) else None


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model a validation error location points into (for suggesting valid keys)."""
    model: Any = root
    parts = list(loc[:-1])
    while parts:
        part = parts.pop(0)
        field = model.model_fields.get(part) if _is_model(model) and isinstance(part, str) else None
        if field is None:
            return None
        annotation = field.annotation
        if typing.get_origin(annotation) is dict:
            model = typing.get_args(annotation)[1]
            parts = parts[1:]  # dict[str, Service]: the next part is a map key, then fields of Service
            continue
        # Websocket | None: the model in the annotation
        model = next((a for a in (annotation, *typing.get_args(annotation)) if _is_model(a)), None)
    return model if _is_model(model) else None


def _secret_where_plain(loc: tuple, stack_key: StackKey) -> str:
    key = dotted(stack_key(loc))
    # A secret is never decrypted by the gate, so a setting it checks cannot be one.
    return ("is a Pulumi secret (secure:), and this setting must be plain text: infra plan and check never "
            f"decrypt, so they could not check it; set it with: pulumi config set --path '{key}' VALUE")


def _describe(error: dict[str, Any], root: type[BaseModel], stack_key: StackKey) -> str:
    kind, value = error["type"], error.get("input")
    if isinstance(value, SecretValue) and kind != "value_error":
        return _secret_where_plain(tuple(error["loc"]), stack_key)
    shown = redaction.shown(value, ".".join(str(part) for part in error["loc"]))
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        model = _model_at(root, error["loc"])
        return unknown_key(str(error["loc"][-1]), list(model.model_fields) if model else [])
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if isinstance(value, float) and not math.isfinite(value):
        return _not_finite(shown, _field(root, error["loc"]))
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{shown} is not a whole number"
    if kind in ("float_type", "float_parsing"):
        return f"{shown} is not a number"
    if kind in ("bool_type", "bool_parsing"):
        return f"{shown} is not true or false"
    if kind == "string_type":
        return f"{shown} is not a string; quote it"
    if kind == "literal_error":
        return f"{shown} is not one of {error['ctx']['expected']}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{shown} is not a mapping of keys"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {"greater_than_equal": "at least", "greater_than": "above",
                 "less_than_equal": "at most", "less_than": "below"}[kind]
        bound = next(iter(error["ctx"].values()))
        return f"{shown} is out of range; it must be {words} {limits.fmt(bound)}"
    return error["msg"]
