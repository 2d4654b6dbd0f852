"""policies/__main__.py and the files beside it make a pack that `pulumi policy publish` can upload.

Publishing archives the pack folder and nothing else (pulumi/pulumi, pkg/backend/httpstate/policypack.go, Publish:
archive.TGZ of the folder, leaving out what .gitignore names). A CLI that enforces the published pack unpacks it into
a folder named `pulumi-analyzer-<name>-v<version>` (sdk/go/common/workspace/plugins.go, GetPolicyPath) and builds its
virtualenv from requirements.txt alone (installRequiredPolicy). So the pack may import only its own folder, the
standard library and the PyPI packages requirements.txt names, and a copy of the folder must serve the same verdicts.
"""

from __future__ import annotations

import ast
import shutil
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml
from google.protobuf import empty_pb2
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from infra import offline
from infra.gate import POLICY_CONFIG_DIR
from policies.pack import PACK_NAME
from policies.runner import load_policy_config
from tests.conftest import REPO, STACKS
from tests.pack_server import POLICIES_DIR, analyze_request, analyze_stack_request, configure, configure_stack

PACKAGE = POLICIES_DIR.name  # the name the project imports the pack's modules by
# What .gitignore keeps out of the published archive: the pack's virtualenv and bytecode.
NOT_PUBLISHED = ("venv", "__pycache__")
COPY_NAME = f"{PACK_NAME}-copy"


def pack_modules() -> list[Path]:
    return sorted(path for path in POLICIES_DIR.rglob("*.py")
                  if not set(path.relative_to(POLICIES_DIR).parts) & set(NOT_PUBLISHED))


def imported_top_levels(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def pack_requirements() -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in (POLICIES_DIR / "requirements.txt").read_text().splitlines())
    return [Requirement(line) for line in lines if line]  # `-e ..`, `-r`, paths: not a requirement, fails here


def project_packages() -> set[str]:
    """The project's own top-level packages, as pyproject.toml has setuptools find them."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    return {pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}


# --- the pack's files -----------------------------------------------------------------------------
def test_pulumi_policy_yaml_names_a_python_pack_with_its_own_virtualenv():
    project = yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert project["version"] and project["description"]


def test_requirements_pin_pypi_packages_within_the_projects_ranges():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    ranges = {canonicalize_name(r.name): r.specifier for r in map(Requirement, pyproject["project"]["dependencies"])}
    requirements = pack_requirements()
    assert {canonicalize_name(r.name) for r in requirements} >= {"pulumi", "pulumi-policy"}
    for requirement in requirements:
        assert requirement.url is None, f"{requirement}: a PyPI package, not a URL"
        [pin] = requirement.specifier
        assert pin.operator == "==", f"{requirement}: pin the version the project is tested with"
        assert pin.version in ranges[canonicalize_name(requirement.name)], f"{requirement} is outside pyproject.toml"


def test_the_pack_imports_only_its_folder_the_standard_library_and_its_requirements():
    required = {canonicalize_name(r.name) for r in pack_requirements()}
    distributions = packages_distributions()
    outside = project_packages() - {PACKAGE}
    assert outside >= {"infra", "components"}
    for path in pack_modules():
        for name in imported_top_levels(path) - {PACKAGE} - set(sys.stdlib_module_names):
            assert name not in outside, f"{path.relative_to(REPO)} imports {name}/, which a published pack lacks"
            provided_by = {canonicalize_name(d) for d in distributions.get(name, [])}
            assert provided_by & required, f"{path.relative_to(REPO)} imports {name}, not in requirements.txt"


# --- a copy of the folder alone, over the Analyzer protocol -----------------------------------------
@pytest.fixture(scope="module")
def copied(pack_server, tmp_path_factory) -> analyzer_pb2_grpc.AnalyzerStub:
    """policies/ alone, where the CLI puts a published pack, served by this virtualenv (which also has the
    repository's `policies` installed, editable). Marked: the copy's pack is named COPY_NAME."""
    version = yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text())["version"]
    folder = tmp_path_factory.mktemp("published") / f"pulumi-analyzer-{PACK_NAME}-v{version}"
    shutil.copytree(POLICIES_DIR, folder, ignore=shutil.ignore_patterns(*NOT_PUBLISHED))
    with (folder / "pack.py").open("a", encoding="utf-8") as pack:
        pack.write(f'\nPACK_NAME = "{COPY_NAME}"  # a test marker\n')
    return pack_server(folder)


def test_the_copy_serves_its_own_modules(analyzer, copied):
    theirs = copied.GetAnalyzerInfo(empty_pb2.Empty())
    ours = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert (theirs.name, ours.name) == (COPY_NAME, PACK_NAME)
    assert list(theirs.policies) == list(ours.policies)


def _from_the_copy(response: analyzer_pb2.AnalyzeResponse) -> analyzer_pb2.AnalyzeResponse:
    """The copy's answer, with the marker checked on every diagnostic and then replaced by the pack's name."""
    for diagnostic in response.diagnostics:
        assert diagnostic.policyPackName == COPY_NAME
        diagnostic.policyPackName = PACK_NAME
    return response


def test_the_copy_serves_the_same_verdicts_for_the_committed_stacks_and_configs(analyzer, copied):
    environments = sorted(path.stem for path in POLICY_CONFIG_DIR.glob("*.json"))
    diagnostics = 0
    for stack in STACKS:
        plan = offline.plan(REPO / f"Pulumi.{stack}.yaml")
        requests = [analyze_request(resource) for resource in plan.resources]
        for environment in environments:
            config = load_policy_config(POLICY_CONFIG_DIR / f"{environment}.json")
            for stub in (analyzer, copied):
                configure_stack(stub, plan.stack)
                configure(stub, config)
            for request in requests:
                ours = analyzer.Analyze(request)
                assert _from_the_copy(copied.Analyze(request)) == ours, (stack, environment, request.name)
                diagnostics += len(ours.diagnostics)
            ours = analyzer.AnalyzeStack(analyze_stack_request(plan.resources))
            assert _from_the_copy(copied.AnalyzeStack(analyze_stack_request(plan.resources))) == ours, (
                stack, environment)
            diagnostics += len(ours.diagnostics)
    assert diagnostics, "no stack and config gave a finding to compare"
