"""Turn plain check functions into CrossGuard policies that fail closed and honour waivers.

pulumi_policy's analyzer catches only UnknownValueError (a value not known during preview: it
reports an advisory note and the engine checks again at `pulumi up`) and its own not-applicable
signal; any other exception would crash the analyzer. So every check runs inside `_run`: an
exception becomes a violation ("policy X raised ...; failing closed"), never a pass.

Checks see plain arguments:
    resource check: check(resource, config, report)  with report(message)
    stack check:    check(resources, config, report) with report(resource or None, message)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies import clock
from policies.rules.resources import Report, Resource, StackReport, display_name
from policies.waivers import WAIVERS_SCHEMA, applicable, expired_note, parse_waivers, waived_note

STACK = "stack"  # the name of findings about the whole stack

ResourceCheck = Callable[[Resource, Mapping[str, Any], Report], None]
StackCheck = Callable[[Sequence[PolicyResource], Mapping[str, Any], StackReport], None]


@dataclass(frozen=True)
class About:
    """Pulumi's metadata of a policy beside its name and description, served in GetAnalyzerInfo."""

    severity: Severity
    remediation_steps: str
    url: str
    tags: tuple[str, ...] = ()

    def fields(self) -> dict[str, Any]:
        return {"severity": self.severity, "remediation_steps": self.remediation_steps, "url": self.url,
                "tags": list(self.tags)}


@dataclass(frozen=True)
class _Finding:
    resource: Resource | None  # None: the stack as a whole
    message: str


def config_schema(properties: Mapping[str, Mapping[str, Any]] | None = None) -> PolicyConfigSchema:
    """A policy's config schema: its own properties plus the `waivers` every policy takes."""
    return PolicyConfigSchema(properties={**(properties or {}), "waivers": WAIVERS_SCHEMA})


def resource_policy(name: str, description: str, types: Iterable[str], check: ResourceCheck,
                    properties: Mapping[str, Mapping[str, Any]] | None = None,
                    about: About | None = None) -> ResourceValidationPolicy:
    """A policy over single resources of the given types."""
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in wanted:
            return
        findings: list[_Finding] = []
        config = args.get_config()

        def report(message: str) -> None:
            findings.append(_Finding(args, message))

        unknown = _run(name, lambda: check(args, config, report), findings, args)
        _settle(name, config, findings, args, unknown, lambda f: report_violation(f.message, None),
                args.not_applicable)

    return ResourceValidationPolicy(name=name, description=description, validate=validate,
                                    config_schema=config_schema(properties), **(about.fields() if about else {}))


def stack_policy(name: str, description: str, check: StackCheck,
                 properties: Mapping[str, Mapping[str, Any]] | None = None,
                 about: About | None = None) -> StackValidationPolicy:
    """A policy over the whole stack (cross-resource rules)."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        config = args.get_config()

        def run(resources: Sequence[PolicyResource]) -> list[_Finding]:
            findings: list[_Finding] = []
            check(resources, config, lambda resource, message: findings.append(_Finding(resource, message)))
            return findings

        findings: list[_Finding] = []
        unknown = _run(name, lambda: findings.extend(_run_stack(name, run, args.resources)), findings, None)
        _settle(name, config, findings, None, unknown,
                lambda f: report_violation(f.message, f.resource.urn if f.resource else None),
                args.not_applicable)

    return StackValidationPolicy(name=name, description=description, validate=validate,
                                 config_schema=config_schema(properties), **(about.fields() if about else {}))


def _run(policy: str, check: Callable[[], None], findings: list[_Finding],
         resource: Resource | None) -> UnknownValueError | None:
    """Run a check; an exception is a finding (fail closed). Returns a preview-unknown to re-raise."""
    try:
        check()
    except UnknownValueError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - fail closed: a policy that raises is a violation
        findings.append(_Finding(resource, _crashed(policy, exc)))
    return None


def _crashed(policy: str, exc: Exception) -> str:
    return (f"policy {policy} raised {type(exc).__name__}: {exc}; failing closed "
            "(fix the resource or the policy; a waiver can cover it meanwhile)")


def _run_stack(policy: str, run: Callable[[Sequence[PolicyResource]], list[_Finding]],
               resources: Sequence[PolicyResource]) -> list[_Finding]:
    """A stack check's findings. If it raises, find the resources it cannot read on their own, report
    each of them failing closed, and check the others together, so one bad resource hides nothing."""
    try:
        return run(resources)
    except UnknownValueError:
        raise
    except Exception:  # noqa: BLE001 - narrowed down below; re-raised when no single resource is to blame
        broken: list[_Finding] = []
        for resource in resources:
            try:
                run([resource])
            except UnknownValueError:
                pass
            except Exception as exc:  # noqa: BLE001
                broken.append(_Finding(resource, _crashed(policy, exc)))
        if not broken:
            raise
        culprits = {id(f.resource) for f in broken}
        try:
            return broken + run([r for r in resources if id(r) not in culprits])
        except UnknownValueError:
            raise
        except Exception as exc:  # noqa: BLE001 - the others fail together: the stack as a whole
            return [*broken, _Finding(None, _crashed(policy, exc))]


def _settle(policy: str, config: Mapping[str, Any], findings: list[_Finding], resource: Resource | None,
            unknown: UnknownValueError | None, report: Callable[[_Finding], None],
            not_applicable: Callable[[str], None]) -> None:
    """Report unwaived findings, then re-raise a preview unknown, then hand waived ones to not_applicable."""
    try:
        waivers = parse_waivers(config)
    except ValueError as exc:
        waivers = ()
        findings.append(_Finding(resource, f"policy {policy}: invalid policy config, {exc}; failing closed "
                                           "(no waiver of this policy applies until it is fixed)"))
    today = clock.today()
    waived: list[str] = []
    for finding in findings:
        message = " ".join(finding.message.splitlines())
        names = _names(finding.resource)
        active, expired = applicable(waivers, names, today)
        if active is not None:
            waived.append(waived_note(policy, names[0], active, message))
            continue
        report(_Finding(finding.resource, message + (expired_note(expired) if expired else "")))
    if unknown is not None:
        raise unknown
    if waived:
        not_applicable("\n".join(waived))


def _names(resource: Resource | None) -> tuple[str, ...]:
    """The names a waiver may match: the Pulumi name first, then the cloud-side name."""
    if resource is None:
        return (STACK,)
    cloud = display_name(resource)
    return (resource.name,) if cloud == resource.name else (resource.name, cloud)
