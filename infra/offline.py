"""The program under pulumi.runtime mocks: every resource Pulumi would register, with no CLI,
no cloud credentials and no Docker engine.

Each resource is captured as the engine sends it to a policy pack: type, name, properties with the
provider's camelCase keys (through the same protobuf Struct, so numbers arrive as floats), parent,
dependencies and property dependencies. A secret input keeps Pulumi's secret signature, as the engine
keeps it for analyzers (pkg/resource/plugin/analyzer_plugin.go marshals with KeepSecrets); the pack's
SDK, and policies.runner like it, unwrap it before a policy reads the properties.

Config is handed to the program as the CLI hands it (infra.pulumi_config): secure values are never
decrypted, and their keys are secret keys.
"""

from __future__ import annotations

import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra import config, fast_paths, pulumi_config
from infra.config import StackConfig
from infra.naming import NAMESPACE
from policies import contract

fast_paths.install()  # before the program imports a provider SDK

PROJECT = NAMESPACE  # the Pulumi project name
PROGRAM = Path(__file__).resolve().parent / "__main__.py"


@dataclass(frozen=True)
class CapturedResource:
    urn: str
    type: str
    name: str
    props: dict[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    custom: bool = True  # False for component resources


@dataclass(frozen=True)
class Plan:
    stack: str
    path: Path
    config: StackConfig
    resources: tuple[CapturedResource, ...]
    outputs: dict[str, Any]

    def of_type(self, type_: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type == type_]


class _PlatformMocks(pulumi.runtime.Mocks):
    """Outputs a provider would compute, made up deterministically from the inputs."""

    def __init__(self, project: str, region: str) -> None:
        self.project, self.region = project, region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        inputs = dict(args.inputs)
        name = inputs.get("name") or args.name
        computed: dict[str, Any] = {}
        resource_id = f"{args.name}-id"
        if args.typ == contract.SQL_INSTANCE:
            computed = {"connectionName": f"{self.project}:{self.region}:{name}", "privateIpAddress": "10.20.0.3"}
        elif args.typ == contract.RUN_SERVICE:
            computed = {"uri": f"https://{name}-mock.a.run.app"}
        elif args.typ == contract.REDIS_INSTANCE:
            computed = {"host": "10.30.0.4", "authString": "(generated)"}
        elif args.typ == contract.CONNECTOR:
            resource_id = f"projects/{self.project}/locations/{self.region}/connectors/{name}"
        elif args.typ == contract.SERVICE_ACCOUNT:
            computed = {"email": f"{inputs.get('accountId')}@{self.project}.iam.gserviceaccount.com"}
        elif args.typ == contract.NETWORK:
            resource_id = f"projects/{self.project}/global/networks/{name}"
        elif args.typ == contract.RANDOM_PASSWORD:
            computed = {"result": "(generated)"}
        elif args.typ == contract.REMOTE_IMAGE:
            computed = {"imageId": f"{inputs.get('name')}"}
        return resource_id, {**inputs, **computed}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}


class _CapturingMonitor(mocks.MockMonitor):
    """The SDK's mock monitor, keeping what a policy pack would be shown of each resource."""

    def __init__(self, mocks_: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks_)
        self.captured: list[CapturedResource] = []

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.captured.append(CapturedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                props=json_format.MessageToDict(request.object),
                parent=request.parent or None,
                # The SDK collects dependencies in sets (ordered by memory address): sorted, every plan of the
                # same inputs is byte-identical, in every run and process.
                dependencies=tuple(sorted(request.dependencies)),
                property_dependencies={k: tuple(sorted(v.urns))
                                       for k, v in sorted(request.propertyDependencies.items())},
                custom=request.custom,
            ))
        return response


def plan(stack_file: Path, text: str | None = None) -> Plan:
    """Run the program for a stack file (or text meant for it) and capture every resource.

    Raises config.ConfigError for bad config, before anything runs.
    """
    sf = config.read_stack_file(stack_file, text)
    cfg = config.from_stack_file(sf)
    monitor = _CapturingMonitor(_PlatformMocks(cfg.project or "local-project", cfg.region or "local"))
    # A fresh runtime per plan: no resources, outputs or config leak between stacks or tests. The root
    # directory is where the program finds the stack file, as the CLI's project root holds it.
    settings.reset_options(project=PROJECT, stack=sf.stack, root_directory=str(stack_file.parent), preview=True)
    runtime_config.set_all_config(pulumi_config.to_pulumi_config(sf.config), pulumi_config.secret_keys(sf.config))
    mocks.set_mocks(monitor.mocks, project=PROJECT, stack=sf.stack, preview=True,
                    monitor=monitor)
    _sync_await(run_pulumi_func(lambda: runpy.run_path(str(PROGRAM), run_name="__main__")))
    root = settings.get_root_resource()
    outputs = _resolve(getattr(root, "outputs", {}))
    # Registration order varies with async scheduling; sorted, reports and snapshots are reproducible.
    resources = tuple(sorted(monitor.captured, key=lambda r: r.urn))
    return Plan(stack=sf.stack, path=stack_file, config=cfg, resources=resources, outputs=outputs)


def _resolve(outputs: dict[str, Any]) -> dict[str, Any]:
    if not outputs:
        return {}
    resolved = _sync_await(pulumi.Output.from_input(outputs).future())
    return dict(resolved or {})
