"""Generated stack files, as a careless or hostile hand writes them, through `infra plan` and `infra check`:
random nesting, keys of every type, anchors and aliases, odd scalars and tags, over a valid stack's head.

Whatever the file holds, a command exits 0, 1 or 2, never with a traceback; each problem is one line that
names the file, and a planted secret is never repeated. GOLDEN_PATH_DEBUG is set, so an error the commands
did not expect raises here with its traceback instead of being turned into the last-resort line.
"""

from __future__ import annotations

import contextlib
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra import cli, config
from tests.conftest import GCP_STAGING

SECRET = "ghp_" + "Zq7RkP3mWx9TbN2vLc8HZq7RkP3mWx9TbN2v"  # shaped like a GitHub token
ODD_SCALARS = (
    "1:20", "010", "08", "0o10", "0x10", "0x", "0b2", "1_000", "+1", "-0", "1e3", "1e400", "9" * 40, ".5", ".",
    ".inf", "-.inf", ".nan", ".NaN", "~", "null", "NULL", "yes", "no", "on", "off", "y", "True", "FALSE", "=",
    "2026-11-22", "2026-02-30", "2026-11-22T10:00:00Z", "2026-11-22 10:00:00", "api", "prod", "e2-micro", "BASIC",
    "STANDARD_HA", "POSTGRES_16", "10.8.0.0/28", "fd00::/28", "10.8.0.0/24", "512Mi", "2Gi", "/healthz", "", SECRET,
    "'quoted'", '"double \\x07"', "!!int x", "!!int 7", "!!str 12", "!!float 1", "!!binary aGk=", "!foo bar",
    "!!timestamp 2026-11-22", "!!bool yes", "!!null ~",
)
# Key names the model knows, so that generated files reach deep into it, beside every odd scalar.
MODEL_KEYS = sorted({name for model in (config.StackConfig, config.Network, config.Connector, config.Database,
                                        config.Pool, config.Redis, config.Service, config.Websocket,
                                        config.Scaling, config.Monitoring) for name in model.model_fields})
# Top-level keys beside the head's (which they would duplicate): the project's, a provider's, Pulumi's own.
TOP_KEYS = (*(f"golden-path:{key}" for key in ("network", "database", "redis", "services", "scaling", "monitoring")),
            "gcp:labels", "pulumi:tags", "pulumi:disable-default-providers", "pulumi:zzz", "environment", "docker:host")
PLAUSIBLE = ("example/api:1", "api", "web", "0.5", "1", "2", "10", "80", "300", "1Gi", "true", "false", "STANDARD_HA",
             "REGIONAL", "db-custom-2-7680", "{}", "[]")
# A node's kind, weighted towards what reaches the model: a billion laughs or a bracket run now and then.
KINDS = ("scalar", "scalar", "scalar", "map", "map", "list", "alias", "brackets", "laughs")
MAX_DEPTH = 4  # of generated nesting; deeper nesting comes from the bracket runs below, past the reader's limit


def _scalar(data: st.DataObject) -> str:
    return data.draw(st.one_of(
        st.sampled_from(PLAUSIBLE),
        st.integers(min_value=0, max_value=1200).map(str),
        st.sampled_from(ODD_SCALARS),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        # any printable text, double-quoted (a JSON string is a YAML one)
        st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=12).map(
            lambda text: json.dumps(text, ensure_ascii=False)),
    ))


def _key(data: st.DataObject) -> str:
    if data.draw(st.booleans()):
        return data.draw(st.sampled_from((*MODEL_KEYS, "<<", "[a, b]", "{a: 1}")))  # a merge key, a list, a map
    return _scalar(data)


def _node(data: st.DataObject, anchors: list[str], depth: int) -> str:
    """A flow-style YAML node, anchoring some nodes and aliasing anchors defined before it."""
    kind = data.draw(st.sampled_from(KINDS if depth < MAX_DEPTH else ("scalar", "alias")))
    if kind == "alias":
        return f"*{data.draw(st.sampled_from(anchors))}" if anchors else _scalar(data)
    if kind == "brackets":  # nesting around the reader's limit of MAX_NESTING
        levels = data.draw(st.integers(min_value=1, max_value=150))
        return "[" * levels + "]" * levels
    if kind == "laughs":  # a billion laughs, or a smaller one: each level nine aliases of the last
        levels = data.draw(st.integers(min_value=1, max_value=7))
        first = len(anchors)
        anchors.extend(f"a{first + n}" for n in range(levels))
        text = f"&a{first} [lol, lol, lol, lol, lol, lol, lol, lol, lol]"
        for n in range(1, levels):
            text = f"[{text}, &a{first + n} [" + ", ".join([f"*a{first + n - 1}"] * 9) + "]]"
        return text
    if kind == "scalar":
        text = _scalar(data)
    elif kind == "list":
        items = data.draw(st.integers(min_value=0, max_value=4))
        text = "[" + ", ".join(_node(data, anchors, depth + 1) for _ in range(items)) + "]"
    else:
        pairs = data.draw(st.integers(min_value=0, max_value=4))
        text = "{" + ", ".join(f"{_key(data)}: {_node(data, anchors, depth + 1)}" for _ in range(pairs)) + "}"
    if data.draw(st.integers(min_value=0, max_value=5)) == 0:
        anchor = f"a{len(anchors)}"
        anchors.append(anchor)
        return f"&{anchor} {text}"
    return text


def stack_file_text(data: st.DataObject) -> str:
    """A valid staging stack's head, then generated top-level keys (some the model's, some not)."""
    anchors: list[str] = []
    lines = [GCP_STAGING.rstrip("\n")]
    for _ in range(data.draw(st.integers(min_value=0, max_value=4))):
        key = data.draw(st.sampled_from(TOP_KEYS)) if data.draw(st.booleans()) else _key(data)
        lines.append(f"  {key}: {_node(data, anchors, 0)}")
    return "\n".join(lines) + "\n"


def run_on_generated(folder: Path, data: st.DataObject, *argv: str) -> tuple[int, str, str]:
    """Write a generated stack file, run `infra ARGV --stack-file` on it, and check what every command owes."""
    path = folder / "Pulumi.generated.yaml"
    text = stack_file_text(data)
    path.write_text(text)
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as env, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        env.setenv(cli.DEBUG_VARIABLE, "1")  # an unexpected error raises, with its traceback
        code = cli.main([*argv, "--stack-file", str(path)])
    assert code in (0, 1, 2)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    lines = err.getvalue().splitlines()
    assert all(line.startswith(str(path)) for line in lines), err.getvalue()  # a problem line names the file
    assert len(lines) == len(set(lines))  # one line per problem
    assert len(lines) <= text.count("\n") + text.count(",") + text.count(":")  # bounded by what the file holds
    assert SECRET not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


# Generous: an example takes well under a second; only a runaway (an alias expanded, a walk that is not
# linear) comes near it. Derandomized, so every run tries the same files; no example database is kept.
GENERATED = settings(max_examples=100, deadline=timedelta(seconds=20), derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("generated")


@GENERATED
@given(data=st.data())
def test_plan_takes_any_generated_stack_file(folder: Path, data: st.DataObject) -> None:
    code, _, err = run_on_generated(folder, data, "plan")
    assert (code == 2) == bool(err)  # bad input, and only bad input, says why on stderr


@GENERATED
@given(data=st.data())
def test_check_takes_any_generated_stack_file(folder: Path, data: st.DataObject) -> None:
    code, out, _ = run_on_generated(folder, data, "check", "--format", "json")
    report = json.loads(out)
    assert all("\n" not in error["message"] and SECRET not in error["message"] + (error["key"] or "")
               for error in report["errors"])
    assert (code == 2) == bool(report["errors"])
