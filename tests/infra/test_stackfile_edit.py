"""infra.stackfile_edit, the writer's entry: apply (only the asked-for scalars change), unified_diff, and
edit (lock, read, apply, validate, write). The parts have their own tests: test_dotted_keys,
test_yaml_scalars, test_settable_keys, test_yaml_splice, test_file_text, test_stackfile_lock."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra import cli, config, stackfile
from infra.change import Change
from infra.dotted_keys import config_path, lookup, split_key
from infra.stackfile_edit import EditError, apply, edit, read_text, unified_diff
from infra.yaml_scalars import MISSING
from tests.conftest import STACKS
from tests.stack_files import committed, copy_stack, raw_value

PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def config_keys(key: str) -> tuple[str, ...]:
    return config_path(split_key(key))


def model_value(cfg: config.StackConfig, key: str) -> Any:
    """The value a dotted key has in the loaded model (services and maps are dicts, the rest fields)."""
    node: Any = cfg
    for part in split_key(key):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def changed_lines(old: str, new: str) -> tuple[list[int], list[str]]:
    """Old line numbers (1-based) that were replaced or deleted, and the lines that were added.

    Lines are compared without their line breaks: appending to a file that lacks a final line break
    gives its last line one. Line breaks are checked on their own (no bare LF in a CRLF file).
    """
    old_lines, new_lines = old.splitlines(), new.splitlines()
    replaced, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        if tag != "equal":
            replaced += range(i1 + 1, i2 + 1)
            added += new_lines[j1:j2]
    return replaced, added


# --- round trips on the committed stack files ------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_no_change_is_byte_identical(tmp_path: Path, stack: str) -> None:
    path = copy_stack(tmp_path, stack)
    before = path.read_bytes()
    text = read_text(path)
    assert apply(text, path, {}) == (text, [])
    # Setting a value the file already has is no change either, and writes nothing.
    current = raw_value(text, "services.api.max_instances")
    assert apply(text, path, {"services.api.max_instances": current}) == (text, [])
    assert edit(path, {"services.api.max_instances": current}, validate=lambda _: None) == []
    assert path.read_bytes() == before


@pytest.mark.parametrize("stack", STACKS)
def test_single_edit_changes_exactly_one_line(tmp_path: Path, stack: str) -> None:
    path = copy_stack(tmp_path, stack)
    text = read_text(path)
    new, changes = apply(text, path, {"database.pool.size": 7})
    assert changes == [Change("database.pool.size", 5, 7)]
    replaced, added = changed_lines(text, new)
    assert replaced == [stackfile.read(path, text).line_of("golden-path:database", "pool", "size")]
    assert [line.strip() for line in added] == ["size: 7"]
    assert config.load(path, new).database.pool.size == 7


def test_trailing_comment_and_spacing_stay(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    text = read_text(path)
    new, _ = apply(text, path, {"database.max_connections": 1000})
    old_line = "    max_connections: 400         # budget: sum(max_instances x (pool size + overflow)) per service\n"
    assert old_line in text
    assert old_line.replace("400", "1000") in new
    assert len(new.splitlines()) == len(text.splitlines())


def test_diff_is_git_style(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    text = read_text(path)
    new, _ = apply(text, path, {"services.api.max_instances": 30})
    diff = unified_diff(text, new, Path("Pulumi.prod.yaml"))
    assert diff.startswith("--- a/Pulumi.prod.yaml\n+++ b/Pulumi.prod.yaml\n@@ ")
    assert [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")] == [
        "-      max_instances: 20",
        "+      max_instances: 30",
    ]
    assert unified_diff(text, text, path) == ""


def plain_diff(old: str, new: str, path: Path) -> str:
    """difflib.unified_diff over every line of both texts, as unified_diff writes it (texts without secrets)."""
    name = path.as_posix().lstrip("/")
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile=f"a/{name}", tofile=f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("assignments", [
    {"redis.memory_gb": 3}, {"database.max_connections": 150, "scaling.cooldown_s": 60},
    {"services.api.max_instances": 4, "scaling.last_scaled.api": "now", "network.connector.max_instances": 4},
])
def test_diff_of_a_window_is_the_diff_of_the_whole(tmp_path: Path, stack: str, assignments: dict) -> None:
    """unified_diff hands difflib only the lines around the changes; the diff is the one of the whole texts."""
    path = copy_stack(tmp_path, stack)
    # without the lines whose values a diff hides (secret-looking keys): the rest is difflib's, line for line
    text = "".join(line for line in read_text(path).splitlines(keepends=True)
                   if not re.search(r"\b(STRIPE_API_KEY|auth):", line))
    new, _ = apply(text, path, assignments)
    for old_text, new_text in [(text, new), (new, text), (ODD, apply(ODD, path, assignments)[0]),
                               (text, text), ("", text), (text, ""), (text, "# top\n" + new.rstrip("\n"))]:
        assert unified_diff(old_text, new_text, path) == plain_diff(old_text, new_text, path)


def patched(old: str, diff: str) -> str:
    """old with a unified diff applied: the test's own reader of the format."""
    old_lines, new_lines, at, last = old.splitlines(keepends=True), [], 0, ""
    for row in re.findall(r"[^\n]*\n", diff)[2:]:  # after the ---/+++ lines
        if row.startswith("@@"):
            start, length = re.match(r"@@ -(\d+)(?:,(\d+))?", row).groups()
            begin = int(start) - (length != "0")  # an empty range names the line before it
            new_lines += old_lines[at:begin]
            at = begin
        elif row.startswith("\\"):  # the line before has no line break: the diff gave it one
            if last in " +":
                new_lines[-1] = new_lines[-1][:-1]
        else:
            last = row[0]
            if row[0] in " -":
                assert old_lines[at] in (row[1:], row[1:-1]), "a context or removed line that old does not have"
                at += 1
            if row[0] in " +":
                new_lines.append(row[1:])
    return "".join(new_lines + old_lines[at:])


@PROPERTY
@given(old=st.lists(st.sampled_from(["a\n", "b\n", "\n", "  c: 1\n", "  c: 2\r\n", "d"]), max_size=40),
       edits=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3), st.sampled_from(["a\n", "e\n", "\n", "d"])),
                      max_size=4))
def test_diff_of_a_window_turns_the_old_text_into_the_new(old: list[str], edits: list) -> None:
    """Among repeated lines difflib may pair lines of a window otherwise than of the whole (both are right):
    whatever the texts, the diff applied to the old text gives the new one."""
    new = list(old)
    for at, removed, line in edits:
        new[at : at + removed] = [line]
    old_text, new_text = "".join(old), "".join(new)
    assert patched(old_text, unified_diff(old_text, new_text, Path("f"))) == new_text
    assert patched(old_text, plain_diff(old_text, new_text, Path("f"))) == new_text  # the reader is right


# --- adding keys that are absent ---------------------------------------------------------------------


def test_adds_key_under_existing_mapping(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    text = read_text(path)
    new, changes = apply(text, path, {"scaling.last_scaled.api": "2024-05-01T10:00:00Z"})
    assert changes == [Change("scaling.last_scaled.api", None, "2024-05-01T10:00:00Z")]
    replaced, added = changed_lines(text, new)
    assert replaced == []
    # A timestamp written plain would read back as a datetime; the editor quotes it to keep it text.
    assert added == ["    last_scaled:", "      api: '2024-05-01T10:00:00Z'"]
    assert "    step: 2\n    last_scaled:\n" in new  # under golden-path:scaling, before the blank line
    assert config.load(path, new).scaling.last_scaled == {"api": "2024-05-01T10:00:00Z"}


def test_adds_missing_sections_and_defaults(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "local")  # no golden-path:scaling, no network, no pool on api
    text = read_text(path)
    new, changes = apply(text, path, {
        "scaling.last_scaled.web": "2024-05-01T10:00:00Z",
        "scaling.cooldown_s": 60,
        "network.connector.max_instances": 4,
        "services.api.pool.size": 2,
    })
    assert [c.old for c in changes] == [None, None, None, None]
    replaced, _ = changed_lines(text, new)
    assert replaced == []
    cfg = config.load(path, new)
    assert cfg.scaling.last_scaled == {"web": "2024-05-01T10:00:00Z"}
    assert cfg.scaling.cooldown_s == 60
    assert cfg.network.connector.max_instances == 4
    assert cfg.pool_for("api").size == 2
    # New keys go last in their mapping, at its indentation; new sections last in config.
    assert "        LOG_LEVEL: debug\n      pool:\n        size: 2\n    web:\n" in new
    assert new.endswith("    enabled: false\n"
                        "  golden-path:scaling:\n    last_scaled:\n      web: '2024-05-01T10:00:00Z'\n"
                        "    cooldown_s: 60\n"
                        "  golden-path:network:\n    connector:\n      max_instances: 4\n")


def test_adds_default_key_in_a_file_that_relies_on_it(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    text = ("config:\n  golden-path:environment: local\n  golden-path:target: docker\n"
            "  golden-path:database:\n    version: POSTGRES_16  # pinned\n")
    new, changes = apply(text, path, {"database.max_connections": 150})
    assert changes == [Change("database.max_connections", None, 150)]
    assert new == text + "    max_connections: 150\n"
    assert config.load(path, new).database.max_connections == 150


@pytest.mark.parametrize("text", ["", "# nothing here yet\n", "config:\n", "config:\n  golden-path:scaling:\n"])
def test_creates_config_from_nothing(tmp_path: Path, text: str) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    new, _ = apply(text, path, {"scaling.cooldown_s": 60})
    assert new.startswith(text)
    assert raw_value(new, "scaling.cooldown_s") == 60


# --- odd formatting ---------------------------------------------------------------------------------


ODD = (
    "\ufeff# BOM, CRLF, 4-space indent, quotes, flow mappings, no final newline\r\n"
    "config:\r\n"
    "    \"golden-path:environment\": 'staging'\r\n"
    "    golden-path:target: \"gcp\"   # quoted\r\n"
    "    gcp:project: 'golden-path-odd'\r\n"
    "    gcp:region: europe-west1\r\n"
    "\r\n"
    "    golden-path:database:\r\n"
    "        tier: \"db-custom-2-7680\"      # 2 vCPU\r\n"
    "        pool: {size: 3, max_overflow: 2}   # flow\r\n"
    "\r\n"
    "    golden-path:services:\r\n"
    "        api:\r\n"
    "            image: \"europe-west1-docker.pkg.dev/p/apps/api:1.4.2\"  # pinned\r\n"
    "            max_instances:    7    # spaced\r\n"
    "            env: {LOG_LEVEL: 'info', WORKERS: \"4\"}\r\n"
    "    golden-path:scaling:\r\n"
    "        last_scaled:\r\n"
    "        cooldown_s: 300"
)


@pytest.mark.parametrize(("assignments", "old_line", "new_line"), [
    ({"services.api.max_instances": 9},
     "            max_instances:    7    # spaced\r\n", "            max_instances:    9    # spaced\r\n"),
    ({"database.pool.size": 4},
     "        pool: {size: 3, max_overflow: 2}   # flow\r\n", "        pool: {size: 4, max_overflow: 2}   # flow\r\n"),
    ({"database.pool.timeout_s": 5}, "        pool: {size: 3, max_overflow: 2}   # flow\r\n",
     "        pool: {size: 3, max_overflow: 2, timeout_s: 5}   # flow\r\n"),
    ({"services.api.image": "europe-west1-docker.pkg.dev/p/apps/api:1.5.0"},
     "            image: \"europe-west1-docker.pkg.dev/p/apps/api:1.4.2\"  # pinned\r\n",
     "            image: \"europe-west1-docker.pkg.dev/p/apps/api:1.5.0\"  # pinned\r\n"),
    ({"services.api.env.LOG_LEVEL": "debug"},  # single quotes stay single
     "env: {LOG_LEVEL: 'info', WORKERS: \"4\"}\r\n", "env: {LOG_LEVEL: 'debug', WORKERS: \"4\"}\r\n"),
    ({"services.api.env.WORKERS": 8},  # a string stays a string
     "env: {LOG_LEVEL: 'info', WORKERS: \"4\"}\r\n", "env: {LOG_LEVEL: 'info', WORKERS: \"8\"}\r\n"),
    ({"environment": "prod"},
     "    \"golden-path:environment\": 'staging'\r\n", "    \"golden-path:environment\": 'prod'\r\n"),
    ({"scaling.cooldown_s": 60}, "        cooldown_s: 300", "        cooldown_s: 60"),
])
def test_odd_formatting_changes_only_the_value(assignments: dict, old_line: str, new_line: str) -> None:
    path = Path("Pulumi.odd.yaml")
    new, _ = apply(ODD, path, assignments)
    assert old_line in ODD
    assert new == ODD.replace(old_line, new_line, 1)


def test_odd_formatting_additions_keep_indent_and_line_endings() -> None:
    path = Path("Pulumi.odd.yaml")
    new, _ = apply(ODD, path, {"scaling.last_scaled.api": "now", "redis.memory_gb": 2})
    assert "        last_scaled:\r\n            api: now\r\n        cooldown_s: 300\r\n" in new
    assert new.endswith("        cooldown_s: 300\r\n    golden-path:redis:\r\n        memory_gb: 2")
    assert "\n" not in new.replace("\r\n", "")  # no bare LF crept in
    assert new.startswith("\ufeff# BOM")
    cfg = config.load(path, new)
    assert (cfg.scaling.last_scaled, cfg.redis.memory_gb) == ({"api": "now"}, 2)


def test_text_that_needs_quotes_gets_them() -> None:
    path = Path("Pulumi.odd.yaml")
    for value in ("true", "12", "it's: # not a comment", "", " padded", "2024-05-01"):
        new, _ = apply(ODD, path, {"services.api.env.NOTE": value})
        assert raw_value(new, "services.api.env.NOTE") == value


@PROPERTY
@given(value=st.text(st.characters(exclude_categories=["Cs"]), max_size=16),
       key=st.sampled_from(["services.api.env.LOG_LEVEL", "services.api.env.WORKERS", "services.api.image",
                            "services.api.env.NEW"]))
def test_any_text_reads_back_exactly(value: str, key: str) -> None:
    """Whatever the text (quotes, colons, control characters), the reader gets exactly it back."""
    path = Path("Pulumi.odd.yaml")
    new, _ = apply(ODD, path, {key: value})
    assert raw_value(new, key) == value
    if key.endswith("LOG_LEVEL") and value.isprintable():
        assert "{LOG_LEVEL: '" in new  # single-quoted stays single-quoted


# --- hypothesis: random valid edits change only their scalars ---------------------------------------

SERVICE_INT_FIELDS = {  # ranges that keep every committed stack valid whatever else is edited
    "min_instances": (0, 1), "max_instances": (2, 1000), "concurrency": (1, 1000), "port": (1, 65535),
}
OTHER_INT_FIELDS = {
    "database.max_connections": (14, 262143), "database.pool.size": (1, 200),
    "database.pool.max_overflow": (0, 200), "database.pool.timeout_s": (1, 60),
    "database.pool.recycle_s": (-1, 86400), "redis.memory_gb": (1, 300), "scaling.cooldown_s": (0, 86400),
    "network.connector.max_instances": (3, 10),
}
COMMITTED = {stack: read_text(committed(stack)) for stack in STACKS}


@st.composite
def int_edits(draw: st.DrawFn, services: list[str]) -> dict[str, int]:
    keys = [f"services.{s}.{f}" for s in services for f in SERVICE_INT_FIELDS] + list(OTHER_INT_FIELDS)
    keys += [f"services.{s}.pool.size" for s in services]  # an override: absent in most services
    chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=6, unique=True))
    edits = {}
    for key in chosen:
        field = key.rsplit(".", 1)[1]
        low, high = OTHER_INT_FIELDS.get(key) or SERVICE_INT_FIELDS.get(field) or (1, 100)
        edits[key] = draw(st.integers(low, high))
    return edits


def check_only_targets_changed(path: Path, old: str, new: str, edits: dict[str, Any]) -> None:
    """Every line of the old file is in the new one, in order, unchanged unless it holds an edited
    key; the lines between them hold only added keys (and mappings created for them).

    Lines are matched by the reader's line numbers, not by a diff: a diff may pair repeated lines
    (`concurrency: 80` in two services) differently from how the edit placed them.
    """
    before, after = stackfile.read(path, old), stackfile.read(path, new)
    old_lines, new_lines = old.splitlines(), new.splitlines()
    present = {k for k in edits if _has(before.config, config_keys(k))}
    target_lines = {before.line_of(*config_keys(k)) for k in present}
    inserted: set[int] = set()
    for key in set(edits) - present:
        keys = config_keys(key)
        first_missing = next(n for n in range(1, len(keys) + 1) if not _has(before.config, keys[:n]))
        parent = before.line_of(*keys)
        if parent and "{" in old_lines[parent - 1]:  # added inside a flow mapping: that line changes
            target_lines.add(parent)
        for n in range(first_missing, len(keys) + 1):  # each created level is a line of its own
            line = after.line_of(*keys[:n])
            if new_lines[line - 1].strip().startswith(f"{keys[n - 1]}:"):
                inserted.add(line)
    kept = [line for number, line in enumerate(new_lines, 1) if number not in inserted]
    assert len(kept) == len(old_lines), "lines were added beyond the edited keys, or lines were lost"
    for number, (was, now) in enumerate(zip(old_lines, kept, strict=True), 1):
        assert was == now or number in target_lines, f"line {number} holds no edited key but changed: {was!r}"
    for key in present:  # an edited line keeps its key, spacing and comment; only the number differs
        old_line = old_lines[before.line_of(*config_keys(key)) - 1]
        new_line = new_lines[after.line_of(*config_keys(key)) - 1]
        if "{" not in old_line:
            value = str(lookup(before.config, config_keys(key)))
            head, _, tail = old_line.partition(": ")
            assert new_line == f"{head}: {edits[key]}{tail[len(value):]}"


def _has(tree: Any, keys: tuple[str, ...]) -> bool:
    return lookup(tree, keys) is not MISSING


@PROPERTY
@given(data=st.data(), stack=st.sampled_from(STACKS))
def test_random_edits_of_committed_stacks(data: st.DataObject, stack: str) -> None:
    path = committed(stack)
    text = COMMITTED[stack]
    services = sorted(config.load(path, text).services)
    edits = data.draw(int_edits(services))
    new, changes = apply(text, path, edits)
    assert {c.key: c.new for c in changes} == {k: v for k, v in edits.items() if _get_or(text, k) != v}
    check_only_targets_changed(path, text, new, edits)
    cfg = config.load(path, new)  # the reader and the model see exactly the intended values
    for key, value in edits.items():
        assert model_value(cfg, key) == value, key
    untouched = config.load(path, text).model_dump(exclude={"services", "database", "redis", "scaling", "network"})
    assert cfg.model_dump(exclude={"services", "database", "redis", "scaling", "network"}) == untouched


def _get_or(text: str, key: str) -> Any:
    try:
        return raw_value(text, key)
    except KeyError:
        return None


def odd_stack(indent: int, newline: str, quote: str, comments: bool, flow_pool: bool,
              blank_lines: bool, final_newline: bool, max_connections: bool) -> str:
    """A valid staging-like stack file written in one of many legal styles."""
    def q(text: str) -> str:
        return {"plain": text, "single": f"'{text}'", "double": f'"{text}"'}[quote]

    def c(text: str) -> str:
        return f"   # {text}" if comments else ""

    i = " " * indent
    lines = ["# generated stack file" if comments else None, "config:",
             f"{i}golden-path:environment: {q('staging')}{c('env')}", f"{i}golden-path:target: {q('gcp')}",
             f"{i}gcp:project: {q('golden-path-odd')}", f"{i}gcp:region: {q('europe-west1')}",
             "" if blank_lines else None,
             f"{i}golden-path:database:", f"{i * 2}tier: {q('db-custom-2-7680')}{c('2 vCPU')}",
             f"{i * 2}max_connections: 200{c('budget')}" if max_connections else None]
    if flow_pool:
        lines += [f"{i * 2}pool: {{size: 3, max_overflow: 2}}{c('flow')}"]
    else:
        lines += [f"{i * 2}pool:{c('block')}", f"{i * 3}size: 3", f"{i * 3}max_overflow: 2{c('overflow')}"]
    lines += ["" if blank_lines else None, f"{i}golden-path:services:"]
    for name in ("api", "web"):
        lines += [f"{i * 2}{name}:", f"{i * 3}image: {q(f'europe-west1-docker.pkg.dev/p/apps/{name}:1.0')}",
                  f"{i * 3}max_instances: 5{c('cap')}", f"{i * 3}concurrency: 80",
                  f"{i * 3}env: {{LOG_LEVEL: {q('info')}}}" if flow_pool else f"{i * 3}port: 8080"]
    text = newline.join(line for line in lines if line is not None)
    return text + newline if final_newline else text


@PROPERTY
@given(data=st.data(), indent=st.sampled_from([2, 4]), newline=st.sampled_from(["\n", "\r\n"]),
       quote=st.sampled_from(["plain", "single", "double"]), comments=st.booleans(), flow_pool=st.booleans(),
       blank_lines=st.booleans(), final_newline=st.booleans(), max_connections=st.booleans())
def test_random_edits_of_odd_formatting(data: st.DataObject, indent: int, newline: str, quote: str,
                                        comments: bool, flow_pool: bool, blank_lines: bool,
                                        final_newline: bool, max_connections: bool) -> None:
    path = Path("Pulumi.odd.yaml")
    text = odd_stack(indent, newline, quote, comments, flow_pool, blank_lines, final_newline, max_connections)
    edits = data.draw(int_edits(["api", "web"]))
    new, _ = apply(text, path, edits)
    check_only_targets_changed(path, text, new, edits)
    cfg = config.load(path, new)
    for key, value in edits.items():
        assert model_value(cfg, key) == value, key
    assert re.findall(r"#[^\r\n]*", text) == re.findall(r"#[^\r\n]*", new)  # every comment kept
    assert re.findall(r"['\"]", text) == re.findall(r"['\"]", new)  # no quote added or dropped
    if newline == "\r\n":
        assert "\n" not in new.replace("\r\n", "")
    assert new.endswith(newline) == final_newline


# --- refusals ---------------------------------------------------------------------------------------


# Keys the config model has no single setting for: test_settable_keys; files whose shape the splice
# will not touch: test_yaml_splice.
@pytest.mark.parametrize(("key", "value", "message"), [
    ("services.api", 3, r"Pulumi\.prod\.yaml:\d+: services\.api: is a mapping"),
    ("gcp:region", "us-central1", "golden-path: keys only"),
    ("services.api.max_instances", None, "cannot be written"),
    ("services.api.max_instances", [1, 2], "cannot be written"),
    ("services.api.max_instances", float("nan"), "cannot be written"),
])
def test_refused_targets_name_file_line_key_and_why(tmp_path: Path, key: str, value: Any, message: str) -> None:
    path = copy_stack(tmp_path, "prod")
    with pytest.raises(EditError, match=message):
        apply(read_text(path), path, {key: value})


def test_refused_edit_leaves_the_file_byte_identical(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    before = path.read_bytes()
    seen: list[str] = []

    def refuse(new_text: str) -> None:
        seen.append(new_text)
        raise ValueError("policy: connection budget exceeded")

    with pytest.raises(ValueError, match="connection budget"):
        edit(path, {"services.api.max_instances": 1000}, validate=refuse)
    assert "max_instances: 1000" in seen[0]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".Pulumi.prod.yaml.lock", "Pulumi.prod.yaml"]


def test_edit_writes_the_validated_text(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "staging")
    seen: list[str] = []
    changes = edit(path, {"services.api.max_instances": 10}, validate=seen.append)
    assert changes == [Change("services.api.max_instances", 8, 10)]
    assert read_text(path) == seen[0]
    assert config.load(path).services["api"].max_instances == 10


def test_edit_keeps_a_candidate_applied_before_the_lock_while_the_file_is_that_text(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "staging")
    text = read_text(path)
    new, changes = apply(text, path, {"redis.memory_gb": 3})
    assert edit(path, {"redis.memory_gb": 3}, validate=lambda _: None, applied=(text, new, changes)) == changes
    assert read_text(path) == new
    # made from the text before: the file is applied to as it is now
    assert edit(path, {"redis.memory_gb": 4}, validate=lambda _: None, applied=(text, new, changes)) == [
        Change("redis.memory_gb", 3, 4)]
    assert config.load(path).redis.memory_gb == 4


def test_edit_refuses_when_the_file_changed_under_it(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "staging")

    def hand_edit(_: str) -> None:  # someone saves the file in an editor during validation
        path.write_text(path.read_text() + "# edited by hand\n")

    with pytest.raises(EditError, match="changed by someone else"):
        edit(path, {"services.api.max_instances": 10}, validate=hand_edit)
    assert read_text(path).endswith("# edited by hand\n")


def test_a_key_segment_with_dots_is_written_as_one_key(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    new, _ = apply(read_text(path), path, {'scaling.last_scaled."network.connector"': "now"})
    assert config.load(path, new).scaling.last_scaled == {"network.connector": "now"}


# --- numbers that `pulumi config set --path` wrote as text ---------------------------------------------
# Pulumi coerces only true/false and integers unless --type float is given: `pulumi config set --path
# 'golden-path:scaling.scale_up_at' 0.75` writes scale_up_at: "0.75". The writer follows the config
# model's type of the setting, not the file's: a number setting gets a number.


@pytest.mark.parametrize(("key", "committed_line", "pulumi_line", "value", "written"), [
    ("scaling.scale_up_at", "    scale_up_at: 0.7\n", '    scale_up_at: "0.75"\n', 0.75, "    scale_up_at: 0.75"),
    ("scaling.scale_up_at", "    scale_up_at: 0.7\n", '    scale_up_at: "0.75"\n', 0.8, "    scale_up_at: 0.8"),
    ("scaling.cooldown_s", "    cooldown_s: 600\n", "    cooldown_s: '600'\n", 600, "    cooldown_s: 600"),
    ("services.api.max_instances", "      max_instances: 20\n", '      max_instances: "20"\n', 30,
     "      max_instances: 30"),
    ("monitoring.enabled", "    enabled: true\n", '    enabled: "true"\n', True, "    enabled: true"),
])
def test_a_number_setting_held_as_text_is_written_as_a_number(tmp_path: Path, key: str, committed_line: str,
                                                               pulumi_line: str, value: Any, written: str) -> None:
    path = copy_stack(tmp_path, "prod")
    text = read_text(path)
    assert committed_line in text
    text = text.replace(committed_line, pulumi_line, 1)
    raw = raw_value(text, key)
    assert isinstance(raw, str)  # the file holds text, as Pulumi wrote it
    new, changes = apply(text, path, {key: value})
    assert changes == [Change(key, raw, value)]
    assert changed_lines(text, new)[1] == [written]
    assert raw_value(new, key) == value and type(raw_value(new, key)) is type(value)
    assert model_value(config.load(path, new), key) == value


def test_a_text_setting_stays_text(tmp_path: Path) -> None:
    path = copy_stack(tmp_path, "prod")
    text = read_text(path).replace("        LOG_LEVEL: info\n", '        LOG_LEVEL: info\n        WORKERS: "4"\n', 1)
    assert apply(text, path, {"services.api.env.WORKERS": 4}) == (text, [])  # "4" already
    new, changes = apply(text, path, {"services.api.env.WORKERS": 8})
    assert changes == [Change("services.api.env.WORKERS", "4", "8")]
    assert changed_lines(text, new)[1] == ['        WORKERS: "8"']


def test_scale_set_writes_a_number_where_pulumi_wrote_text(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`infra scale set` used to say "nothing to change" here, exit 0 and leave the file invalid."""
    path = copy_stack(tmp_path, "prod")
    path.write_text(read_text(path).replace("    scale_up_at: 0.7\n", '    scale_up_at: "0.75"\n'))
    assert cli.main(["scale", "set", "--stack-file", str(path), "scaling.scale_up_at=0.75"]) == 0
    out = capsys.readouterr().out
    assert '-    scale_up_at: "0.75"\n+    scale_up_at: 0.75\n' in out
    assert config.load(path).scaling.scale_up_at == 0.75
    assert cli.main(["scale", "set", "--stack-file", str(path), "scaling.scale_up_at=0.75"]) == 0
    assert "nothing to change" in capsys.readouterr().out
