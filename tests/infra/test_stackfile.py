"""Reading a stack file stays bounded whatever the file holds: nesting and aliasing are refused before
anything is built, as the Pulumi CLI's reader (go-yaml v3) refuses excessive aliasing."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import stackfile
from infra.stackfile import MAX_NESTING, StackFileError, allowed_alias_ratio
from tests.conftest import GCP_STAGING

stackfile_parse = stackfile.parse


def laughs(indent: str, levels: int = 9) -> str:
    """The billion-laughs document's anchors, one per line at `indent`, each nine aliases of the last."""
    lines = [f'{indent}l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"{indent}l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


BOMBS = {
    "under a capacity key": GCP_STAGING + "  golden-path:scaling:\n    last_scaled:\n" + laughs("      "),
    "in an env map": GCP_STAGING + "  golden-path:services:\n    api:\n      image: x\n      env:\n"
                     + laughs("        "),
    "as a whole service": GCP_STAGING + "  golden-path:services:\n" + laughs("    "),
    "under a gcp: key": GCP_STAGING + "  gcp:labels:\n" + laughs("    "),
}


@pytest.mark.parametrize("text", BOMBS.values(), ids=BOMBS.keys())
def test_a_billion_laughs_is_refused_without_being_expanded(tmp_path: Path, text: str) -> None:
    path = tmp_path / "Pulumi.staging.yaml"
    path.write_text(text)
    with pytest.raises(StackFileError, match=r":\d+: excessive aliasing: aliases expand to \d+ of \d+ values, "
                                             r"more than the 99% the Pulumi CLI's YAML reader \(go-yaml v3\) allows"):
        stackfile.read(path)


def test_anchors_as_people_use_them_are_read(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.staging.yaml"
    path.write_text(GCP_STAGING + "  golden-path:services:\n    api:\n      image: x\n      env: &shared\n"
                    "        LOG_LEVEL: info\n    web:\n      image: y\n      env: *shared\n")
    services = stackfile.read(path).config["golden-path:services"]
    assert services["web"]["env"] == services["api"]["env"] == {"LOG_LEVEL": "info"}


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 50_000])
def test_deep_nesting_is_refused_with_the_line(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "Pulumi.staging.yaml"
    path.write_text(GCP_STAGING + "  golden-path:x: " + "[" * depth + "]" * depth + "\n")
    with pytest.raises(StackFileError, match=rf":6: nested deeper than {MAX_NESTING} levels"):
        stackfile.read(path)


def test_the_alias_ratio_falls_as_go_yaml_v3s_does() -> None:
    assert allowed_alias_ratio(1_000) == allowed_alias_ratio(400_000) == 0.99
    assert allowed_alias_ratio(4_000_000) == allowed_alias_ratio(10**9) == 0.10
    assert allowed_alias_ratio(2_200_000) == pytest.approx(0.545)


@pytest.mark.parametrize(("token", "value"), [
    ("1:20", "1:20"),  # no base-60 numbers in go-yaml v3 (YAML 1.1 read it as 80)
    ("010", 8), ("0o10", 8), ("-0o7", -7), ("0x10", 16), ("0b11", 3), ("1_000", 1000), ("+12", 12),
    ("08", 8.0),  # not octal, so ParseInt fails and it reads as the float YAML writes
    ("1e3", 1000.0), ("1.5e3", 1500.0), (".5", 0.5), ("3.14", 3.14), ("1e400", "1e400"),  # beyond a float: text
    ("9" * 5000, "9" * 5000), ("18446744073709551615", 2**64 - 1),
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("True", True), ("FALSE", False),
    ("~", None), ("null", None), ("NULL", None), ("12abc", "12abc"), ("0x", "0x"), ("=", "="), ("<<", "<<"),
    # a timestamp reaches the program as Go's time.Time.String(), what Pulumi's config stores for it
    ("2026-11-22", "2026-11-22 00:00:00 +0000 UTC"), ("2026-11-22T10:00:00Z", "2026-11-22 10:00:00 +0000 UTC"),
    ("2026-02-30", "2026-02-30"), ("'2026-11-22'", "2026-11-22"),  # no such day, or quoted: text
    ("!!str 010", "010"), ("!!float 1", 1.0), ("!foo 12", "12"), ("!!binary aGk=", "hi"),
])
def test_plain_scalars_are_typed_as_the_pulumi_cli_types_them(token: str, value: object) -> None:
    read = stackfile.read(Path("Pulumi.t.yaml"), f"config:\n  golden-path:k: {{a: {token}}}\n").config
    assert read["golden-path:k"]["a"] == value
    assert type(read["golden-path:k"]["a"]) is type(value)


def read_value(token: str) -> object:
    return stackfile.read(Path("Pulumi.t.yaml"), f"config:\n  golden-path:k: {token}\n").config["golden-path:k"]


@pytest.mark.parametrize(("token", "problem"), [
    ("!!int x", "'x' is not what its tag !!int says"), ("!!bool yes", "'yes' is not what its tag !!bool says"),
    ("!!int [1]", "a value tagged !!int is one value, not a list or mapping"),
    ("!!binary '***'", "a !!binary value here must be base64 of UTF-8 text"),
    ("{[a, b]: 1}", "a list or a mapping cannot be a key; a key is a name"),
    ("{{a: 1}: 1}", "a list or a mapping cannot be a key; a key is a name"),
    ("{a: 1, a: 2}", "duplicate key 'a' (first at line 2)"),
    ("{<<: 1}", "expected a mapping or list of mappings for merging"),
])
def test_what_go_yaml_v3_refuses_is_one_line_with_the_line(token: str, problem: str) -> None:
    with pytest.raises(StackFileError) as refused:
        read_value(token)
    assert str(refused.value).startswith(f"Pulumi.t.yaml:2: malformed YAML: {problem}")


def test_merge_keys_merge_as_go_yaml_v3_merges_them_own_keys_first() -> None:
    text = "config:\n  a: &a {x: 1, y: 1}\n  b: &b {y: 2, z: 2}\n  golden-path:k: {<<: [*a, *b], x: 0}\n"
    assert stackfile.read(Path("Pulumi.t.yaml"), text).config["golden-path:k"] == {"x": 0, "y": 1, "z": 2}


@pytest.mark.parametrize(("aliases", "refused"), [(99, False), (200, True)])
def test_aliasing_is_counted_as_go_yaml_v3_counts_it(tmp_path: Path, aliases: int, refused: bool) -> None:
    # Every node of an alias's expansion counts as aliased: 200 aliases of a 1,000-item list are 99.4% of what
    # is decoded, above the 99% allowed; 99 aliases of it are 98.9%.
    items = ", ".join(["1"] * 1000)
    text = f"config:\n  golden-path:k:\n    - &big [{items}]\n" + "    - *big\n" * aliases
    path = tmp_path / "Pulumi.t.yaml"
    path.write_text(text)
    if refused:
        with pytest.raises(StackFileError, match=r"Pulumi\.t\.yaml:\d+: excessive aliasing"):
            stackfile.read(path)
    else:
        assert len(stackfile.read(path).config["golden-path:k"]) == aliases + 1


def test_keys_are_found_as_they_are_read_and_named_as_written() -> None:
    sf = stackfile.read(Path("Pulumi.t.yaml"), "config:\n  golden-path:k:\n    ~: 1\n    0x10: 2\n    true: 3\n"
                                               "    2026-11-22: 4\n    list: [a, b]\n")
    assert set(sf.config["golden-path:k"]) == {None, 16, True, "2026-11-22 00:00:00 +0000 UTC", "list"}
    found = {key: (sf.line_of("golden-path:k", key), sf.written("golden-path:k", key))
             for key in (None, 16, True, "2026-11-22 00:00:00 +0000 UTC", "absent")}
    assert found == {None: (3, "~"), 16: (4, "0x10"), True: (5, "true"),
                     "2026-11-22 00:00:00 +0000 UTC": (6, "2026-11-22"), "absent": (2, None)}
    assert sf.line_of("golden-path:k", "list", 1) == 7


def test_infinities_and_nan_are_read_so_the_model_can_refuse_them() -> None:
    read = stackfile.read(Path("Pulumi.t.yaml"), "config:\n  golden-path:k: [.inf, -.inf, .NaN]\n").config
    low, high, nan = read["golden-path:k"][1], read["golden-path:k"][0], read["golden-path:k"][2]
    assert (low, high, nan != nan) == (float("-inf"), float("inf"), True)


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/null"])
def test_a_device_behind_a_stack_file_name_is_refused_unread(tmp_path: Path, target: str) -> None:
    path = tmp_path / "Pulumi.device.yaml"
    path.symlink_to(target)
    with pytest.raises(StackFileError, match=r"not a regular file \(a directory, FIFO or device\)"):
        stackfile.read(path)


def test_a_text_read_again_is_parsed_once_and_each_reader_gets_its_own_config(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "Pulumi.staging.yaml"
    path.write_text(GCP_STAGING + "  golden-path:services:\n    api:\n      image: x\n      env: {A: a}\n")
    parsed = []
    monkeypatch.setattr(stackfile, "parse", lambda *args: parsed.append(args) or stackfile_parse(*args))
    first, again = stackfile.read(path), stackfile.read(path, path.read_text())
    assert len(parsed) == 1
    first.config["golden-path:services"]["api"]["env"]["A"] = "changed"
    assert again.config == stackfile.read(path).config == stackfile.parse(path, path.read_text()).config
    assert again.config["golden-path:services"]["api"]["env"] == {"A": "a"}


def laughs_written(style: str, newline: str, levels: int = 9) -> str:
    """laughs() with its aliases after `- ` (block), first on the lines of a flow list (lines), or after a
    comma only (flow); under a comment full of stars that are no aliases."""
    lines = ["  # a note: 2 * 4 vCPU is *not* an alias", "  golden-path:k:", "    l0: &l0 [lol, lol, lol, lol, lol]"]
    for n in range(1, levels):
        alias = f"*l{n - 1}"
        lines += {"block": [f"    l{n}: &l{n}"] + [f"      - {alias}"] * 9,
                  "lines": [f"    l{n}: &l{n} ["] + [f"      {alias},"] * 9 + ["    ]"],
                  "flow": [f"    l{n}: &l{n} [lol" + f", {alias}" * 9 + "]"]}[style]
    return newline.join(lines) + newline


@pytest.mark.parametrize("style", ["block", "lines", "flow"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_aliases_wherever_they_stand_are_counted_whatever_the_line_breaks(tmp_path: Path, newline: str,
                                                                          style: str) -> None:
    path = tmp_path / "Pulumi.staging.yaml"
    path.write_bytes(("config:" + newline + laughs_written(style, newline)).encode())
    with pytest.raises(StackFileError, match="excessive aliasing"):
        stackfile.read(path)
