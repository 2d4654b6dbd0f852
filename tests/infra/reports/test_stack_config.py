"""Config errors read back from infra.config's problem lines (FILE:LINE: dotted.key: message) into fields,
from real ConfigErrors of stack files on disk and from each form a line can take."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import config, stackfile
from infra.reports.model import ConfigProblem
from infra.reports.stack_config import RULE, STACK_CONFIG, config_problems
from tests.conftest import REPO
from tests.doc_anchors import github_anchors
from tests.report_fixtures import CONNECTOR_MAX, PROD, incident_file


def _problems(path: Path) -> tuple[ConfigProblem, ...]:
    with pytest.raises(config.ConfigError) as raised:
        config.load(path)
    return config_problems(stackfile.stack_name(path), path, raised.value)


def test_the_incidents_connector_is_a_problem_at_its_line(tmp_path):
    path = incident_file(tmp_path)
    [problem] = _problems(path)
    assert (problem.stack, problem.path, problem.line, problem.key) == (
        "incident", path, stackfile.read(PROD).line_of(*CONNECTOR_MAX), "network.connector.max_instances")
    assert problem.message.startswith("100 is above 10 (")
    assert "https://" in problem.message  # the limit's source
    assert problem.text == f"{path}:{problem.line}: {problem.key}: {problem.message}"


def test_an_unknown_namespaced_key_and_malformed_yaml(write_stack):
    unknown = write_stack(PROD.read_text().replace("  golden-path:target: gcp\n",
                                                   "  golden-path:target: gcp\n  golden-path:netwrk: {}\n"))
    [problem] = _problems(unknown)
    assert problem.key == "golden-path:netwrk" and "did you mean golden-path:network?" in problem.message
    malformed = write_stack("config:\n  golden-path:environment: prod\n  golden-path:target: [gcp\n", name="bad")
    [problem] = _problems(malformed)
    assert (problem.line, problem.key) == (4, None)
    assert problem.message.startswith("malformed YAML: ")


@pytest.mark.parametrize(("after_file", "line", "key", "message"), [
    (":12: services.api.env.SENTRY_DSN: is not a string", 12, "services.api.env.SENTRY_DSN", "is not a string"),
    (": services.api.image: is required", None, "services.api.image", "is required"),
    (":3: malformed YAML: found a tab", 3, None, "malformed YAML: found a tab"),
    (": a stack file is a mapping with a `config:` key", None, None, "a stack file is a mapping with a `config:` key"),
])
def test_each_form_of_a_problem_line(after_file, line, key, message):
    path = Path("stacks") / "Pulumi.eu.prod.yaml"
    [problem] = config_problems("eu.prod", path, config.ConfigError([f"{path}{after_file}"]))
    assert (problem.line, problem.key, problem.message) == (line, key, message)


def test_a_line_in_no_known_form_is_kept_whole():
    text = "somewhere else: 100 is above 10"
    [problem] = config_problems("prod", Path("Pulumi.prod.yaml"), config.ConfigError([text]))
    assert (problem.line, problem.key, problem.message, problem.text) == (None, None, text, text)


def test_the_rule_is_documented_with_the_policies():
    path, _, anchor = RULE.url.partition("#")
    assert anchor == STACK_CONFIG
    assert anchor in github_anchors((REPO / path).read_text(encoding="utf-8"))
