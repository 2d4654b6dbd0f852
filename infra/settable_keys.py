"""Which dotted keys name a single setting of the config model, and the type the model gives it.

The writer sets scalars only: a typo, a whole mapping, or a new service (an entry the scaler does
not invent) is refused here, against infra.config's models, before the file is touched.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel

from infra import stackfile
from infra.config import CONFIG_KEYS, StackConfig, Text
from infra.dotted_keys import config_path, join_key, lookup, shown_key
from infra.edit_error import EditError
from policies.redaction import shown, shown_name

NON_TEXT_TYPES = (bool, int, float)  # settings the model wants as YAML numbers or booleans, never quoted


def _unwrap(annotation: Any) -> Any:
    """X | None -> X; text that may be a Pulumi secret -> str (the editor writes plain text); others unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            annotation = args[0]
    return str if annotation == Text else annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def setting_type(sf: stackfile.StackFile, where: str, key: str, parts: tuple[str, ...]) -> Any:
    """The model's type of the single setting at parts (int, float, str, a Literal, ...).

    Raises EditError, naming file, line and key, for a key the config contract has no single
    setting for (typos, whole mappings, entries the file does not have).
    """
    def at(depth: int) -> str:  # the line of parts[:depth], looked up for a message only: it composes the file
        line = sf.line_of(*config_path(parts[:depth]))
        return f"{where}:{line}" if line else where

    annotation: Any = StackConfig
    for depth, part in enumerate(parts):
        here = join_key(parts[: depth + 1])
        if _is_model(annotation):
            fields = CONFIG_KEYS if annotation is StackConfig else tuple(annotation.model_fields)
            if part not in fields:
                near = difflib.get_close_matches(part, fields, n=1, cutoff=0.6)
                hint = f"did you mean {join_key((*parts[:depth], near[0]))}?" if near else \
                    f"{shown_key(join_key(parts[:depth])) or 'the config'} has {', '.join(fields)}"
                raise EditError(f"{at(depth + 1)}: {shown_key(key)}: unknown key {shown_key(here)}; {hint}")
            annotation = _unwrap(annotation.model_fields[part].annotation)
        elif typing.get_origin(annotation) is dict:
            annotation = _unwrap(typing.get_args(annotation)[1])
            present = lookup(sf.config, config_path(parts[:depth]))
            if _is_model(annotation) and (not isinstance(present, dict) or part not in present):
                known = ", ".join(map(shown_name, present)) if isinstance(present, dict) and present else "none"
                raise EditError(f"{at(depth + 1)}: {shown_key(key)}: {shown_key(join_key(parts[:depth]))} has no entry "
                                f"{shown(part)} (it has: "
                                f"{known}); the scaler changes settings, add a new entry by hand")
        else:
            raise EditError(f"{at(depth + 1)}: {shown_key(key)}: {shown_key(join_key(parts[:depth]))} is a single "
                            f"value, not a mapping; there is no {shown_key(here)}")
    if _is_model(annotation) or typing.get_origin(annotation) is dict:
        what = f"has keys {', '.join(annotation.model_fields)}" if _is_model(annotation) else "is a map"
        raise EditError(f"{at(len(parts))}: {shown_key(key)}: is a mapping ({what}); the editor sets single "
                        f"values, e.g. {shown_key(key)}.<name>=VALUE")
    return annotation
