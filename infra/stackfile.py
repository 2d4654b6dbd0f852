"""Reading Pulumi.<stack>.yaml: its config map, and the line of any key for error messages.

Reading is on the gate's hot path, so it uses libyaml; line numbers are looked up only when an
error needs one. A command reads the same file (and the candidate it writes) several times over
(apply, the config model, the plan, the program under mocks): the last two texts read are parsed
once, and each read gets its own copy of the config. Writing (comments kept, atomic, locked) is in
infra/stackfile_edit.py.

Only `config:` is config. The other keys the Pulumi CLI writes belong to it: the secrets provider
(`encryptionsalt:`, or `secretsprovider:` and `encryptedkey:`) and `environment:`, the ESC
environments it imports (sdk/go/common/workspace/project.go, ProjectStack). Values an ESC
environment adds are resolved by the CLI only, so the offline gate does not see them.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gc
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra import yaml_v3_scalars
from policies.redaction import shown
from policies.regular_file import UnreadableFile, read_regular_file

_FILE_NAME = re.compile(r"^Pulumi\.(?P<stack>[A-Za-z0-9_.-]+)\.ya?ml$")


# Stack files are a few KiB; 32 MiB leaves room for very large generated stacks (the writer is benchmarked
# at 20 MB) and stops a wrong path (a log, an image, /dev/zero) from being read whole.
MAX_STACK_FILE_BYTES = 32 * 1024 * 1024


# Stack files nest 4 to 6 levels. Python builds YAML recursively, so a document nested thousands deep
# ends in a RecursionError or, deeper, a crash of the C parser; 100 is far above any real stack file.
MAX_NESTING = 100
# go-yaml v3 (what the Pulumi CLI reads stack files with) refuses "excessive aliasing": more than 100
# nodes decoded through aliases, more than 1000 nodes decoded, and aliased nodes above a share of them that
# falls from 99% (up to 400,000 nodes) to 10% (from 4,000,000). Source: go-yaml/yaml v3, decode.go,
# `unmarshal` and allowedAliasRatio. What it lets through expands to at most 4,000,000 values, or past that
# to 1.12 times the file's own, so whatever walks the values afterwards (secrets, validation) stays bounded.
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
    """libyaml, with scalars typed as the Pulumi CLI types them (infra/yaml_v3_scalars.py), no duplicate keys."""


_TAG = "tag:yaml.org,2002:"
_MERGE = _TAG + "merge"
_STR = _TAG + "str"
_PLAIN_NUMBER = "tag:golden-path:plain-number"  # a plain scalar go-yaml v3 may read as a number or a time
# Of YAML 1.1's resolvers only null and the merge key `<<` are go-yaml v3's too (its resolve table); the
# rest (1.1 booleans, base-60 numbers, `=`) would type text that the Pulumi CLI reads as text.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag in (_TAG + "null", _MERGE)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_TAG + "bool", re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z"), list("tTfF"))
_Loader.add_implicit_resolver(_PLAIN_NUMBER, re.compile(""), list(yaml_v3_scalars.NUMBER_STARTS))


def _problem(node: yaml.Node, message: str) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(None, None, message, node.start_mark)


def _construct_plain_number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    return yaml_v3_scalars.plain_number(loader.construct_scalar(node))


def _construct_tagged(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """!!int, !!float, !!bool, !!null, !!timestamp (and the plain null and booleans): as go-yaml v3 reads them."""
    if not isinstance(node, yaml.ScalarNode):
        raise _problem(node, f"a value tagged !!{node.tag.removeprefix(_TAG)} is one value, not a list or mapping")
    try:
        return yaml_v3_scalars.tagged(node.tag.removeprefix(_TAG), loader.construct_scalar(node))
    except yaml_v3_scalars.TagMismatch as exc:
        raise _problem(node, str(exc)) from None


def _construct_binary(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    """!!binary: go-yaml v3 decodes the base64 into the text it holds."""
    try:
        return base64.b64decode("".join(loader.construct_scalar(node).split()), validate=True).decode("utf-8")
    except (ValueError, TypeError, yaml.YAMLError):
        raise _problem(node, "a !!binary value here must be base64 of UTF-8 text") from None


def _construct_by_kind(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Any other tag (!local, !!set, !!omap, ...): go-yaml v3 reads the node as if it were untagged."""
    if isinstance(node, yaml.MappingNode):
        return _construct_mapping(loader, node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


def _constructed(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A node's value: text as it is (most of a large file), anything else through the loader, whose
    bookkeeping for each node (aliases, recursion) costs more than the text itself."""
    if node.tag == _STR and isinstance(node, yaml.ScalarNode):
        return node.value
    return loader.construct_object(node, deep=True)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE:
            continue  # `<<: *defaults`, which construct_mapping merges as go-yaml v3 does (own keys win)
        key = _constructed(loader, key_node)
        if isinstance(key, list | dict):  # go-yaml v3: "invalid map key"
            raise _problem(key_node, "a list or a mapping cannot be a key; a key is a name")
        if key in seen:
            raise _problem(key_node, f"duplicate key {shown(key)} (first at line {seen[key]})")
        seen[key] = key_node.start_mark.line + 1
    if len(seen) < len(node.value):  # merge keys, which the loader merges
        return loader.construct_mapping(node, deep=True)
    return {key: _constructed(loader, value_node) for key, (_, value_node) in zip(seen, node.value, strict=True)}


_Loader.add_constructor(_PLAIN_NUMBER, _construct_plain_number)
for _tag in yaml_v3_scalars.TAGS:
    _Loader.add_constructor(_TAG + _tag, _construct_tagged)
_Loader.add_constructor(_TAG + "binary", _construct_binary)
for _tag in ("set", "omap", "pairs"):
    _Loader.add_constructor(_TAG + _tag, _construct_by_kind)
_Loader.add_constructor(None, _construct_by_kind)
_Loader.add_constructor(_MERGE, _construct_by_kind)  # `<<` as a value, not a key, is the text "<<"
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing allocates a node, two marks and a value per scalar, none of them in a cycle; the garbage
    collector's passes over them took as long as the parse itself (a 20 MB file: 2.5 s of 5)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


BOM = "\ufeff"


def compose(text: str) -> yaml.Node | None:
    """The node tree of YAML text as the reader composes it (None: no document). Marks index the text after
    a leading byte order mark, whether the parser is libyaml (which does not count it) or Python's."""
    with _collector_paused():
        return yaml.compose(text.removeprefix(BOM), Loader=_Loader)


@dataclass(frozen=True)
class StackFile:
    path: Path
    text: str
    config: dict[str, Any]  # the file's `config:` map, keys as written ("golden-path:services")
    _nodes: list[yaml.Node | None] = field(default_factory=list, repr=False, compare=False)
    # id of a mapping node -> its keys by what they read as: one look-up a key, so reporting every one of
    # many problems stays linear
    _keys: dict[int, dict[tuple[type, Any], tuple[yaml.Node, yaml.Node]]] = field(
        default_factory=dict, repr=False, compare=False)

    @property
    def stack(self) -> str:
        return stack_name(self.path)

    def line_of(self, *keys: Any) -> int | None:
        """Line of config key path keys (e.g. "golden-path:services", "api", "max_instances").

        Where the full path is absent (a missing key), the line of its deepest present parent.
        """
        return self._find(keys)[0]

    def written(self, *keys: Any) -> str | None:
        """The last of config key path keys as the file writes it (`~` for None, `0x10` for 16), if present."""
        _, key_node = self._find(keys)
        return key_node.value if key_node is not None else None

    def root(self) -> yaml.Node | None:
        """The file's node tree (compose), composed on first use: for line numbers and the writer's splice."""
        if not self._nodes:
            self._nodes.append(compose(self.text))
        return self._nodes[0]

    def _find(self, keys: tuple[Any, ...]) -> tuple[int | None, yaml.Node | None]:
        """The line of the deepest key of the path present, and the node of the last key if all are."""
        node = self.root()
        line, key_node = None, None
        for key in ("config", *keys):
            key_node = None
            if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
                continue
            if not isinstance(node, yaml.MappingNode):
                break
            if id(node) not in self._keys:
                self._keys[id(node)] = _keys_of(node)
            key_node, node = self._keys[id(node)].get((type(key), key), (None, node))
            if key_node is None:
                break
            line = key_node.start_mark.line + 1
        return line, key_node


def _keys_of(node: yaml.MappingNode) -> dict[tuple[type, Any], tuple[yaml.Node, yaml.Node]]:
    """A mapping node's (key, value) nodes by what each key reads as (1 from `1` or `0x1`, None from `~`), and
    by its text as written; the first of equal keys wins."""
    keys = {}
    for key_node, value_node in reversed(node.value):
        if isinstance(key_node, yaml.ScalarNode):
            tag = key_node.tag.removeprefix(_TAG)
            if key_node.tag == _PLAIN_NUMBER:
                value = yaml_v3_scalars.plain_number(key_node.value)
            elif tag in yaml_v3_scalars.TAGS:
                value = yaml_v3_scalars.tagged(tag, key_node.value)
            else:
                value = key_node.value
            keys[(str, key_node.value)] = keys[(type(value), value)] = (key_node, value_node)
    return keys


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


# Where a node, and so an alias, can start: after a line break, an indicator or a flow bracket or comma (and
# spaces). Line breaks as libyaml knows them (YAML 1.1's too), and the byte order mark, which may open the text.
_NODE_STARTS = frozenset("-?:[{,\r\n\x85\u2028\u2029\ufeff")


def _may_alias(text: str) -> bool:
    """Whether text may hold an alias: a `*` where a node can start. A `*` in prose (`2 * 4`, `*note*`, in a
    comment or in text) starts none, so a large file's comments do not cost a reading of its event stream."""
    at = text.find("*")
    while at >= 0:
        start = at
        while start > 0 and text[start - 1] in " \t":
            start -= 1
        if start == 0 or text[start - 1] in _NODE_STARTS:
            return True
        at = text.find("*", at + 1)
    return False


def _check_shape(path: Path, text: str) -> None:
    """Refuse nesting beyond MAX_NESTING and aliasing go-yaml v3 refuses, before anything is built.

    The event stream is read without building anything (libyaml's parser keeps its own stack). Nodes are
    counted as go-yaml v3 decodes them (decode.go, `unmarshal`): each node once, and an alias as itself
    plus every node of its anchor's expansion, all of which count as aliased. Each anchor's expanded
    size is remembered, so an alias costs what it would expand to without being expanded. Skipped when
    the text can neither nest that deep nor hold an alias.
    """
    if not _may_alias(text) and text.count("[") + text.count("{") < MAX_NESTING and \
            max(map(len, text.split("\n")), default=0) < MAX_NESTING:  # lines split at \n only: no shorter
        return
    expanded: dict[str, int] = {}  # anchor -> the nodes its expansion decodes
    frames: list[list] = [[None, 0]]  # [anchor, nodes decoded so far] of each open collection
    nodes = aliased = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, size = frames.pop()
                frames[-1][1] += size
                if anchor:
                    expanded[anchor] = size
                continue
            if isinstance(event, yaml.AliasEvent):
                size = expanded.get(event.anchor, 1)
                decoded, aliased = 1 + size, aliased + size
            elif isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent | yaml.DocumentStartEvent):
                decoded = 1  # go-yaml decodes the document node too
            else:
                continue
            nodes += decoded
            if isinstance(event, yaml.CollectionStartEvent):
                frames.append([event.anchor, 1])
                if len(frames) - 1 > MAX_NESTING:
                    raise StackFileError(f"{path}:{event.start_mark.line + 1}: nested deeper than {MAX_NESTING} "
                                         "levels; a stack file nests a few")
            else:
                frames[-1][1] += decoded
                if isinstance(event, yaml.ScalarEvent) and event.anchor:
                    expanded[event.anchor] = 1
            # go-yaml checks at every node it decodes, so a file is refused where its aliasing tips over
            if aliased > ALIAS_MIN_ALIASES and nodes > ALIAS_MIN_NODES and aliased / nodes > allowed_alias_ratio(nodes):
                raise StackFileError(f"{path}:{event.start_mark.line + 1}: excessive aliasing: aliases expand to "
                                     f"{aliased} of {nodes} values, more than the {allowed_alias_ratio(nodes):.0%} "
                                     "the Pulumi CLI's YAML reader (go-yaml v3) allows")
    except yaml.YAMLError:
        return  # malformed YAML: the reader says where, with its own message


def read(path: Path, text: str | None = None) -> StackFile:
    """Parse a stack file (or text meant for it); StackFileError names the file and line. The same text at
    the same path is parsed once (the last two: a file and the candidate written over it); its config is
    copied for each caller, who may change it (a copy costs a twentieth of a parse)."""
    parsed = _read_once(path, read_text(path) if text is None else text)
    # its own node tree too, composed if asked for (a line, a splice) and gone with it: a large file's
    # tree is ten times the file, and would stay for the whole command
    return StackFile(parsed.path, parsed.text, _copied(parsed.config))


@functools.lru_cache(maxsize=2)
def _read_once(path: Path, text: str) -> StackFile:
    return parse(path, text)


def _copied(value: Any) -> Any:
    """A config tree's mappings and lists copied, its values (text, numbers, None) shared."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def parse(path: Path, text: str) -> StackFile:
    """read(), never shared: for snippets, which would only push the files out of read()'s memory."""
    _check_shape(path, text)
    try:
        with _collector_paused():
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
