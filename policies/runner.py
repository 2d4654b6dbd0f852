"""Run the policy pack without the Pulumi engine: the same POLICIES objects, called the way
pulumi_policy's analyzer calls them (see pulumi_policy/policy.py, Analyze and AnalyzeStack):

- each policy's enforcement level from the policy config (else the policy's own, else the pack's
  MANDATORY); "disabled" skips it, "remediate" reports as mandatory;
- its config properties (schema defaults filled in) passed as ResourceValidationArgs /
  StackValidationArgs config; props deserialized the same way (a secret's signature unwrapped) and
  wrapped in the same unknown-checking proxies;
- stack policies get PolicyResource objects with parent, dependencies and property_dependencies
  linked; a value unknown until deploy gives an advisory note, as in the analyzer;
- not-applicable reasons made of "waived: ..." lines come back as violations with waived=True.

Resources are prepared once and shared by every policy (no per-policy deserialization).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from pathlib import Path
from typing import Any, Protocol

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError  # the analyzer's own not-applicable signal
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policies.guard import STACK
from policies.pack import DEFAULT_ENFORCEMENT, POLICIES
from policies.policy_config import PolicyConfigError, read_policy_config, resolve
from policies.waivers import parse_waived_notes, parse_waivers

__all__ = ["PolicyConfigError", "Violation", "evaluate", "load_policy_config"]

STACK_TYPE = "pulumi:pulumi:Stack"


class CapturedResource(Protocol):
    """What infra.offline captures for each resource (the shape the engine sends an analyzer)."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    parent: str | None
    dependencies: Sequence[str]
    property_dependencies: Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Violation:
    policy: str
    resource: str  # the resource's Pulumi name; "stack" for stack-wide findings
    resource_type: str
    message: str
    enforcement: str  # "mandatory" | "advisory"
    waived: bool = False


def load_policy_config(path: Path | str) -> dict[str, Any]:
    """A policy config file, checked against this pack; PolicyConfigError naming the file and problem."""
    config = read_policy_config(path)
    settings = resolve(config, POLICIES, DEFAULT_ENFORCEMENT, where=str(path))
    for name, setting in settings.items():
        try:  # a date like 2026-02-30 passes the schema's pattern: refuse it here, not when the policy runs
            parse_waivers(setting.properties)
        except ValueError as exc:
            raise PolicyConfigError(f"{path}: {name}: {exc}") from None
    return config


def evaluate(resources: Iterable[CapturedResource], policy_config: Mapping[str, Any],
             policies: Sequence[Policy] = POLICIES) -> list[Violation]:
    """Every violation (waived ones included, marked) of the policies over the resources."""
    settings = resolve(policy_config, policies, DEFAULT_ENFORCEMENT)
    stack = _prepare(resources)
    by_urn = {r.urn: r for r in stack}
    by_name: dict[str, PolicyResource] = {}
    for r in stack:
        by_name.setdefault(r.name, r)

    violations: list[Violation] = []
    for policy in policies:
        setting = settings[policy.name]
        if setting.level == EnforcementLevel.DISABLED:
            continue
        level = "advisory" if setting.level == EnforcementLevel.ADVISORY else "mandatory"
        if isinstance(policy, ResourceValidationPolicy):
            for resource in stack:
                args = ResourceValidationArgs(resource.resource_type, resource.props, resource.urn, resource.name,
                                              resource.opts, None, dict(setting.properties), {})
                violations.extend(_run(policy, args, level, lambda urn, r=resource: r, lambda name, r=resource: r))
        elif isinstance(policy, StackValidationPolicy):
            args = StackValidationArgs(stack, dict(setting.properties), {})
            violations.extend(_run(policy, args, level, by_urn.get, by_name.get))
    return violations


def _prepare(resources: Iterable[CapturedResource]) -> list[PolicyResource]:
    """PolicyResource objects linked to each other, as AnalyzeStack builds them."""
    prepared: list[tuple[PolicyResource, CapturedResource]] = []
    for r in resources:
        opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], r.parent or None)
        # as Analyze does: secrets unwrapped (the policy reads the value), unknowns checked
        props = unknown_checking_proxy(deserialize_properties(dict(r.props)))
        prepared.append((PolicyResource(r.type, props, r.urn, r.name, opts, None, None, [], {}), r))
    by_urn = {resource.urn: resource for resource, _ in prepared}
    for resource, captured in prepared:
        resource.parent = by_urn.get(captured.parent) if captured.parent else None
        resource.dependencies = [by_urn[urn] for urn in captured.dependencies if urn in by_urn]
        resource.property_dependencies = {
            prop: [by_urn[urn] for urn in urns if urn in by_urn]
            for prop, urns in (captured.property_dependencies or {}).items()}
    return [resource for resource, _ in prepared]


def _run(policy: Policy, args: Any, level: str, resource_of_urn: Any, resource_of_name: Any) -> list[Violation]:
    """Call one policy once; its reports, waived notes, preview unknowns and crashes as Violations."""
    found: list[Violation] = []

    def violation(resource: PolicyResource | None, message: str, enforcement: str = level,
                  waived: bool = False) -> Violation:
        if resource is None:
            return Violation(policy.name, STACK, STACK_TYPE, message, enforcement, waived)
        return Violation(policy.name, resource.name, resource.resource_type, message, enforcement, waived)

    def report_violation(message: str, urn: str | None = None) -> None:
        found.append(violation(resource_of_urn(urn), message))  # stack policies: no urn -> the stack

    try:
        result = policy.validate(args, report_violation)
        if isawaitable(result):
            asyncio.run(result)
    except UnknownValueError as exc:
        # As the analyzer does: advisory during preview, checked again when the engine deploys.
        found.append(violation(resource_of_urn(getattr(args, "urn", None)), f"can't run policy {policy.name} "
                               f"before deploy: {exc.message}", enforcement="advisory"))
    except _NotApplicableError as exc:
        for note in parse_waived_notes(exc.reason or ""):
            resource = resource_of_name(note.resource) if note.resource != STACK else None
            found.append(violation(resource, f"{note.message} (waived: {note.waiver})", waived=True))
    except Exception as exc:  # noqa: BLE001 - fail closed, even for a policy that is not guarded
        found.append(violation(resource_of_urn(getattr(args, "urn", None)),
                               f"policy {policy.name} raised {type(exc).__name__}: {exc}; failing closed",
                               enforcement="mandatory"))
    return found
