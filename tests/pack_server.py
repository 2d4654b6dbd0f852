"""A policy pack served over the Analyzer gRPC protocol as the Pulumi CLI serves it, and the requests the CLI sends.

The CLI's Python language host (pulumi/pulumi, sdk/python/cmd/pulumi-language-python/main.go, RunPlugin) starts a
pack as `<python> -u -m pulumi.policy <engine-address> <pack folder>` with the pack folder as working directory;
pulumi_policy's PolicyPack prints the port it serves on as its first line. The CLI then calls it with the
protobufs in pulumi.runtime.proto: GetAnalyzerInfo, ConfigureStack, Configure, Analyze and AnalyzeStack.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from infra.offline import PROJECT, CapturedResource

POLICIES_DIR = Path(__file__).resolve().parent.parent / "policies"
STARTUP_SECONDS = 30
STOP_SECONDS = 10
# The CLI passes its engine's address; the pack answers the calls below without calling the engine back.
ENGINE_ADDRESS = "127.0.0.1:0"
LEVEL_NAMES = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory",
               analyzer_pb2.DISABLED: "disabled", analyzer_pb2.REMEDIATE: "remediate"}


@contextmanager
def serve_pack(folder: Path, stderr_file: Path) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack in `folder`, started as the CLI starts it; stopped when the block ends. Its stderr goes to a file
    (a pipe nobody reads could fill up and block the pack)."""
    # PYTHONPATH is left out so the pack imports only what its folder and the virtualenv give it.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    with stderr_file.open("w+") as stderr:
        process = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.policy", ENGINE_ADDRESS, str(folder)],
                                   cwd=folder, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
        try:
            port = _read_port(process, stderr)
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                grpc.channel_ready_future(channel).result(timeout=STARTUP_SECONDS)
                yield analyzer_pb2_grpc.AnalyzerStub(channel)
        finally:
            _stop(process)


def _read_port(process: subprocess.Popen, stderr: IO[str]) -> int:
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=STARTUP_SECONDS):
            pytest.fail(f"the pack printed no port within {STARTUP_SECONDS} s")
    line = process.stdout.readline().strip()
    if not line.isdigit():
        stderr.seek(0)
        pytest.fail(f"the pack printed {line!r}, not a port; exit {process.poll()}; stderr:\n{stderr.read()}")
    return int(line)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


# --- what the CLI sends ---------------------------------------------------------------------------
def reconcile(info: analyzer_pb2.AnalyzerInfo, config: dict[str, Any]) -> dict[str, tuple[str, dict]]:
    """What the Pulumi CLI sends to Configure for a --policy-pack-config file: every policy, its level
    (its own entry, else "all", else the level the pack declares) and properties (schema defaults,
    then the file's values)."""
    reconciled = {}
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema.properties)
        properties = {k: s["default"] for k, s in schema.items() if isinstance(s, dict) and "default" in s}
        level = LEVEL_NAMES[policy.enforcementLevel]
        if isinstance(config.get("all"), str):
            level = config["all"]
        entry = config.get(policy.name)
        if isinstance(entry, str):
            level = entry
        elif isinstance(entry, dict):
            level = entry.get("enforcementLevel", level)
            properties.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        reconciled[policy.name] = (level, properties)
    return reconciled


def configure_stack(analyzer: analyzer_pb2_grpc.AnalyzerStub, stack: str) -> None:
    """The stack the CLI previews (organization "organization" is what a DIY backend sends)."""
    analyzer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
        stack=stack, project=PROJECT, organization="organization", dry_run=True))


def configure(analyzer: analyzer_pb2_grpc.AnalyzerStub, config: dict[str, Any]) -> dict[str, str]:
    """Send a policy config as the CLI reconciles it; return each policy's level."""
    reconciled = reconcile(analyzer.GetAnalyzerInfo(empty_pb2.Empty()), config)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, properties) in reconciled.items():
        policy_config = request.policyConfig[name]
        policy_config.enforcementLevel = analyzer_pb2.EnforcementLevel.Value(level.upper())
        policy_config.properties.CopyFrom(struct(properties))
    analyzer.Configure(request)
    return {name: level for name, (level, _) in reconciled.items()}


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(props, struct_pb2.Struct())


def _options(resource: CapturedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent or "")


def analyze_request(resource: CapturedResource) -> analyzer_pb2.AnalyzeRequest:
    return analyzer_pb2.AnalyzeRequest(type=resource.type, properties=struct(dict(resource.props)), urn=resource.urn,
                                       name=resource.name, options=_options(resource))


def analyze_stack_request(resources: Iterable[CapturedResource]) -> analyzer_pb2.AnalyzeStackRequest:
    return analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(
            type=r.type, properties=struct(dict(r.props)), urn=r.urn, name=r.name, options=_options(r),
            parent=r.parent or "", dependencies=list(r.dependencies),
            propertyDependencies={k: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(v))
                                  for k, v in r.property_dependencies.items()})
        for r in resources])
