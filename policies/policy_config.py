"""Policy config files, in the format `pulumi preview --policy-pack-config FILE` reads:

    {"<policy>": "mandatory" | "advisory" | "remediate" | "disabled",
     "<policy>": {"enforcementLevel": "...", "<property>": ...},
     "all": "<level>",
     "environments": ["<org>/<project>/<env>", ...]}

read the way the Pulumi CLI reads them: "all" sets every policy's level, a policy's own entry
overrides it, and property defaults come from each policy's config schema. "environments" (since
Pulumi 3.230) names ESC environments, not a policy: the CLI takes the key out before reading policies,
requires a list of names, and gives the pack their environment variables
(pkg/resource/analyzer/config.go, parsePolicyPackConfig; pkg/engine/update.go). Offline they are not
opened: no policy of this pack reads environment variables. Stricter than the CLI, unknown policy
names and properties are errors (a typo must not switch a check off silently).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from policies import bounded_json
from policies.bounded_json import member
from policies.redaction import shown
from policies.regular_file import UnreadableFile, read_regular_file

ALL = "all"
ENVIRONMENTS = "environments"
ENVIRONMENTS_SCHEMA = {"type": "array", "items": {"type": "string"}}
LEVELS = {level.value: level for level in EnforcementLevel}
# The committed configs are under 1 KB; a thousand waivers take about 150 KB. Past 1 MB it is no policy config.
MAX_POLICY_CONFIG_BYTES = 1024 * 1024
# The deepest setting is 4 levels down (a waiver's field); 32 leaves room for new schemas and stays far below
# Python's recursion limit (json.loads recurses once per level, and a RecursionError is no message).
MAX_POLICY_CONFIG_DEPTH = 32


class PolicyConfigError(ValueError):
    """A policy config that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class PolicySettings:
    level: EnforcementLevel
    properties: dict[str, Any] = field(default_factory=dict)


def resolve(config: Mapping[str, Any], policies: Sequence[Policy], default: EnforcementLevel,
            where: str = "policy config") -> dict[str, PolicySettings]:
    """Each policy's enforcement level and properties (defaults filled in); PolicyConfigError if invalid."""
    if not isinstance(config, Mapping):
        raise PolicyConfigError(f"{where}: expected a JSON object of policy name -> level or settings")
    by_name = {policy.name: policy for policy in policies}
    problems: list[str] = []
    levels: dict[str, EnforcementLevel] = {}
    given: dict[str, dict[str, Any]] = {}
    for name, value in config.items():
        if name == ENVIRONMENTS:
            problems.extend(f"{where}: {p}" for p in schema_problems(ENVIRONMENTS_SCHEMA, value, ENVIRONMENTS))
            continue
        if name != ALL and name not in by_name:
            near = difflib.get_close_matches(str(name), list(by_name), n=1)
            hint = f"did you mean {near[0]}?" if near else f"policies: {', '.join(by_name)}"
            problems.append(f"{where}: unknown policy {shown(name)}; {hint}")
            continue
        if isinstance(value, Mapping):
            properties = {k: v for k, v in value.items() if k != "enforcementLevel"}
            level_text = value.get("enforcementLevel")
        else:
            properties, level_text = {}, value
        if level_text is not None:
            if not isinstance(level_text, str) or level_text not in LEVELS:
                or_settings = "" if isinstance(value, Mapping) or name == ALL else ", or an object of settings"
                problems.append(f"{where}: {name}: {shown(level_text, choices=LEVELS)} is not an enforcement "
                                f"level ({', '.join(LEVELS)}{or_settings})")
            else:
                levels[name] = LEVELS[level_text]
        if name == ALL:
            if properties:
                problems.append(f"{where}: all: takes an enforcement level only, not properties")
            continue
        schema = by_name[name].config_schema
        known = schema.properties if schema else {}
        for key, item in properties.items():
            if key not in known:
                near = difflib.get_close_matches(key, list(known), n=1)
                hint = f"did you mean {near[0]}?" if near else f"properties: {', '.join(known) or 'none'}"
                problems.append(f"{where}: {member(name, key)}: unknown property; {hint}")
            else:
                problems.extend(f"{where}: {p}" for p in schema_problems(known[key], item, member(name, key)))
        given[name] = properties
    if problems:
        raise PolicyConfigError("\n".join(problems))

    settings = {}
    for name, policy in by_name.items():
        schema = policy.config_schema
        defaults = {k: s["default"] for k, s in (schema.properties if schema else {}).items() if "default" in s}
        level = levels.get(name, levels.get(ALL, policy.enforcement_level or default))
        settings[name] = PolicySettings(level, {**defaults, **given.get(name, {})})
    return settings


def read_policy_config(path: Path | str) -> dict[str, Any]:
    """A policy config file's JSON object (not yet checked against the policies); PolicyConfigError
    naming the file, and the key where there is one, when it cannot be read as one."""
    path = Path(path)
    try:
        text = read_regular_file(path, MAX_POLICY_CONFIG_BYTES, "policy config file").decode("utf-8")
    except UnreadableFile as exc:
        raise PolicyConfigError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise PolicyConfigError(f"{path}: not valid utf-8 (byte {exc.start}); JSON is UTF-8 text") from None
    if not text.strip():
        return {}  # the CLI accepts an empty file
    try:
        config = bounded_json.loads(text, MAX_POLICY_CONFIG_DEPTH)
    except json.JSONDecodeError as exc:
        raise PolicyConfigError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except bounded_json.TooDeep as exc:
        line, column = bounded_json.line_and_column(text, exc.offset)
        raise PolicyConfigError(f"{path}:{line}:{column}: nested deeper than {exc.limit} levels; a policy config's "
                                "settings are 4 levels deep at most (policy, property, list of waivers, waiver)"
                                ) from None
    problems = [f"{path}: {where or '(the whole file)'}: {number} {number.reason}; write a number in the "
                "setting's range (JSON has no NaN or infinities)"
                for where, number in bounded_json.unusable_numbers(config)]
    if problems:
        raise PolicyConfigError("\n".join(problems))
    return config


# --- the JSON-schema subset our config schemas use (the CLI validates with full JSON schema) -----
_TYPES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
          "array": "a list", "object": "an object"}


def _is_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, {"string": str, "boolean": bool, "array": list, "object": dict}[kind])


def schema_problems(schema: Mapping[str, Any], value: Any, path: str) -> list[str]:
    """Why value does not match schema (type, enum, minimum, maximum, minLength, pattern, items,
    properties, required, additionalProperties: false); [] when it does."""
    choices = [choice for choice in schema.get("enum", ()) if isinstance(choice, str)]
    quoted = shown(value, key=path, choices=choices)
    kind = schema.get("type")
    if kind and not _is_type(value, kind):
        return [f"{path}: {quoted} is not {_TYPES[kind]}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: {quoted} is not one of {', '.join(shown(v, choices=choices) for v in schema['enum'])}"]
    problems = []
    if "minimum" in schema and value < schema["minimum"]:
        problems.append(f"{path}: {quoted} is below the minimum {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        problems.append(f"{path}: {quoted} is above the maximum {schema['maximum']}")
    if "minLength" in schema and len(value) < schema["minLength"]:
        problems.append(f"{path}: {quoted} is shorter than {schema['minLength']} characters")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{path}: {quoted} does not match {schema['pattern']}")
    if kind == "array" and "items" in schema:
        for i, item in enumerate(value):
            problems.extend(schema_problems(schema["items"], item, f"{path}[{i}]"))
    if kind == "object":
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{path}: {key} is required")
        for key, item in value.items():
            if key in properties:
                problems.extend(schema_problems(properties[key], item, member(path, key)))
            elif schema.get("additionalProperties") is False:
                problems.append(f"{member(path, key)}: unknown property; properties: {', '.join(properties)}")
    return problems
