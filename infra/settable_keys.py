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
from infra.dotted_keys import config_path, join_key, lookup
from infra.edit_error import EditError

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
    annotation: Any = StackConfig
    for depth, part in enumerate(parts):
        here = join_key(parts[: depth + 1])
        line = sf.line_of(*config_path(parts[: depth + 1]))
        at = f"{where}:{line}" if line else where
        if _is_model(annotation):
            fields = CONFIG_KEYS if annotation is StackConfig else tuple(annotation.model_fields)
            if part not in fields:
                near = difflib.get_close_matches(part, fields, n=1, cutoff=0.6)
                hint = f"did you mean {join_key((*parts[:depth], near[0]))}?" if near else \
                    f"{join_key(parts[:depth]) or 'the config'} has {', '.join(fields)}"
                raise EditError(f"{at}: {key}: unknown key {here}; {hint}")
            annotation = _unwrap(annotation.model_fields[part].annotation)
        elif typing.get_origin(annotation) is dict:
            annotation = _unwrap(typing.get_args(annotation)[1])
            present = lookup(sf.config, config_path(parts[:depth]))
            if _is_model(annotation) and (not isinstance(present, dict) or part not in present):
                known = ", ".join(present) if isinstance(present, dict) and present else "none"
                raise EditError(f"{at}: {key}: {join_key(parts[:depth])} has no entry {part!r} (it has: "
                                f"{known}); the scaler changes settings, add a new entry by hand")
        else:
            raise EditError(f"{at}: {key}: {join_key(parts[:depth])} is a single value, not a mapping; "
                            f"there is no {here}")
    if _is_model(annotation) or typing.get_origin(annotation) is dict:
        what = f"has keys {', '.join(annotation.model_fields)}" if _is_model(annotation) else "is a map"
        line = sf.line_of(*config_path(parts))
        at = f"{where}:{line}" if line else where
        raise EditError(f"{at}: {key}: is a mapping ({what}); the editor sets single values, "
                        f"e.g. {key}.<name>=VALUE")
    return annotation
