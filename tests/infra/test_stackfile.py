"""Reading a stack file stays bounded whatever the file holds: nesting and aliasing are refused before
anything is built, as the Pulumi CLI's reader (go-yaml v3) refuses excessive aliasing."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import stackfile
from infra.stackfile import MAX_NESTING, StackFileError, allowed_alias_ratio
from tests.conftest import GCP_STAGING


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
    with pytest.raises(StackFileError, match=r"excessive aliasing: \d+ aliases expand to \d+ values"):
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
    ("1e3", 1000.0), ("1.5e3", 1500.0), (".5", 0.5), ("3.14", 3.14),
    ("yes", "yes"), ("on", "on"), ("True", True), ("~", None), ("12abc", "12abc"), ("0x", "0x"),
])
def test_plain_scalars_are_typed_as_the_pulumi_cli_types_them(token: str, value: object) -> None:
    read = stackfile.read(Path("Pulumi.t.yaml"), f"config:\n  golden-path:k: {{a: {token}}}\n").config
    assert read["golden-path:k"]["a"] == value
    assert type(read["golden-path:k"]["a"]) is type(value)


def test_infinities_and_nan_are_read_so_the_model_can_refuse_them() -> None:
    read = stackfile.read(Path("Pulumi.t.yaml"), "config:\n  golden-path:k: [.inf, -.inf, .NaN]\n").config
    low, high, nan = read["golden-path:k"][1], read["golden-path:k"][0], read["golden-path:k"][2]
    assert (low, high, nan != nan) == (float("-inf"), float("inf"), True)
