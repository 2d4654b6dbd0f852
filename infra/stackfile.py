"""Reading Pulumi.<stack>.yaml: its config map, and the line of any key for error messages.

Reading is on the gate's hot path, so it uses libyaml; line numbers are looked up only when an
error needs one. Writing (comments kept, atomic, locked) is in infra/stackfile_edit.py.

Only `config:` is config. The other keys the Pulumi CLI writes belong to it: the secrets provider
(`encryptionsalt:`, or `secretsprovider:` and `encryptedkey:`) and `environment:`, the ESC
environments it imports (sdk/go/common/workspace/project.go, ProjectStack). Values an ESC
environment adds are resolved by the CLI only, so the offline gate does not see them.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.regular_file import UnreadableFile, read_regular_file

_FILE_NAME = re.compile(r"^Pulumi\.(?P<stack>[A-Za-z0-9_.-]+)\.ya?ml$")


# Stack files are a few KiB; 32 MiB leaves room for very large generated stacks (the writer is benchmarked
# at 20 MB) and stops a wrong path (a log, an image, /dev/zero) from being read whole.
MAX_STACK_FILE_BYTES = 32 * 1024 * 1024


# Stack files nest 4 to 6 levels. Python builds YAML recursively, so a document nested thousands deep
# ends in a RecursionError or, deeper, a crash of the C parser; 100 is far above any real stack file.
MAX_NESTING = 100
# go-yaml v3 (what the Pulumi CLI reads stack files with) refuses "excessive aliasing": more than 100
# aliases, more than 1000 nodes decoded, and aliases above a share of the decoded nodes that falls from
# 99% (up to 400,000 nodes) to 10% (from 4,000,000). Source: go-yaml/yaml v3, decode.go, allowedAliasRatio.
ALIAS_MIN_ALIASES, ALIAS_MIN_NODES = 100, 1000
ALIAS_RATIO_SPAN = ((400_000, 0.99), (4_000_000, 0.10))


class StackFileError(Exception):
    """A stack file that cannot be used; the message names the file (and line, where known)."""


def stack_name(path: Path) -> str:
    """The stack a file configures, from its name: Pulumi.prod.yaml -> prod."""
    match = _FILE_NAME.match(path.name)
    if not match:
        raise StackFileError(f"{path}: a stack file is named Pulumi.<stack>.yaml")
    return match.group("stack")


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """libyaml, read the way Pulumi reads stack files: YAML 1.2 booleans, no duplicate keys."""


# Plain scalars are typed as go-yaml v3 types them (resolve.go), not as YAML 1.1 does: booleans are only
# true/false; no base-60 numbers (`1:20` is text); integers as Go's ParseInt with base 0 after dropping
# underscores (0x, 0o, 0b and a leading 0 for octal: `010` is 8); floats like 1.5, 1e3, .5, .inf, .nan.
_BOOL, _INT, _FLOAT = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_GO_INT = re.compile(r"^[-+]?(?:0[bB][01_]+|0[oO][0-7_]+|0[xX][0-9a-fA-F_]+|0[0-7_]*|[1-9][0-9_]*)$")
_GO_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_INT, _GO_INT, list("-+0123456789"))
_Loader.add_implicit_resolver(_FLOAT, _GO_FLOAT, list("-+0123456789."))


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node).replace("_", "")
    sign, digits = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
    base = {"0b": 2, "0B": 2, "0o": 8, "0O": 8, "0x": 16, "0X": 16}.get(digits[:2])
    if base:
        return sign * int(digits[2:], base)
    return sign * int(digits, 8 if digits.startswith("0") and len(digits) > 1 else 10)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = loader.construct_scalar(node).replace("_", "")
    return float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))  # Python spells them inf, nan


_Loader.add_constructor(_INT, _construct_int)
_Loader.add_constructor(_FLOAT, _construct_float)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if not isinstance(key, str | int | float | bool | type(None) | datetime.date):
            raise yaml.constructor.ConstructorError(
                None, None, "a list or a mapping cannot be a key; a key is a name", key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key]})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=True)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True)
class StackFile:
    path: Path
    text: str
    config: dict[str, Any]  # the file's `config:` map, keys as written ("golden-path:services")
    _nodes: list[yaml.Node] = field(default_factory=list, repr=False, compare=False)

    @property
    def stack(self) -> str:
        return stack_name(self.path)

    def line_of(self, *keys: str | int) -> int | None:
        """Line of config key path keys (e.g. "golden-path:services", "api", "max_instances").

        Where the full path is absent (a missing key), the line of its deepest present parent.
        """
        if not self._nodes:
            self._nodes.append(yaml.compose(self.text, Loader=_Loader))
        node = self._nodes[0]
        line = None
        for key in ("config", *keys):
            if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
                continue
            if not isinstance(node, yaml.MappingNode):
                break
            for key_node, value_node in node.value:
                if key_node.value == str(key):
                    node, line = value_node, key_node.start_mark.line + 1
                    break
            else:
                break
        return line


def read_text(path: Path) -> str:
    """The file's text exactly (CRLF kept; Path.read_text would turn it into LF)."""
    try:
        return read_regular_file(path, MAX_STACK_FILE_BYTES, "stack file").decode("utf-8")
    except UnreadableFile as exc:
        raise StackFileError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise StackFileError(f"{path}: cannot be read: not valid utf-8 (byte {exc.start})") from None


def allowed_alias_ratio(nodes: int) -> float:
    """The share of aliases go-yaml v3 allows among `nodes` decoded nodes."""
    (low, most), (high, least) = ALIAS_RATIO_SPAN
    if nodes <= low:
        return most
    if nodes >= high:
        return least
    return most - (most - least) * (nodes - low) / (high - low)


def _check_shape(path: Path, text: str) -> None:
    """Refuse nesting beyond MAX_NESTING and aliasing go-yaml v3 refuses, before anything is built.

    The event stream is read without building anything (libyaml's parser keeps its own stack); each
    anchored node's expanded size is remembered, so an alias costs what it would expand to without
    being expanded. Skipped when the text can neither nest that deep nor hold an alias.
    """
    longest = max(map(len, text.splitlines()), default=0)
    if "*" not in text and text.count("[") + text.count("{") < MAX_NESTING and longest < MAX_NESTING:
        return
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, aliases) it expands to
    frames: list[list] = [[None, 0, 0]]  # [anchor, nodes, aliases] of each open collection
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                nodes, aliases = sizes.get(event.anchor, (1, 0))
                frames[-1][1] += nodes
                frames[-1][2] += aliases + 1
            elif isinstance(event, yaml.ScalarEvent):
                frames[-1][1] += 1
                if event.anchor:
                    sizes[event.anchor] = (1, 0)
            elif isinstance(event, yaml.CollectionStartEvent):
                frames.append([event.anchor, 1, 0])
                if len(frames) - 1 > MAX_NESTING:
                    line = event.start_mark.line + 1
                    raise StackFileError(f"{path}:{line}: nested deeper than {MAX_NESTING} levels; "
                                         "a stack file nests a few")
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, nodes, aliases = frames.pop()
                if anchor:
                    sizes[anchor] = (nodes, aliases)
                frames[-1][1] += nodes
                frames[-1][2] += aliases
            else:
                continue
            nodes, aliases = frames[0][1] + sum(f[1] for f in frames[1:]), sum(f[2] for f in frames)
            if aliases > ALIAS_MIN_ALIASES and nodes > ALIAS_MIN_NODES and aliases / nodes > allowed_alias_ratio(nodes):
                line = event.start_mark.line + 1
                raise StackFileError(f"{path}:{line}: excessive aliasing: {aliases} aliases expand to {nodes} "
                                     "values (the Pulumi CLI's YAML reader refuses it too)")
    except yaml.YAMLError:
        return  # malformed YAML: the reader says where, with its own message


def read(path: Path, text: str | None = None) -> StackFile:
    """Parse a stack file (or text meant for it); StackFileError names the file and line."""
    if text is None:
        text = read_text(path)
    _check_shape(path, text)
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise StackFileError(f"{path}{line}: malformed YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:  # e.g. a control character: the reader has no line to give
        raise StackFileError(f"{path}: malformed YAML: {exc}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise StackFileError(f"{path}:1: a stack file is a mapping with a `config:` key")
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: `config:` must be a mapping of namespaced keys, e.g. golden-path:environment")
    return StackFile(path=path, text=text, config=config)
