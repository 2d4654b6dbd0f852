"""security-baseline, no-plaintext-secrets and no-bypass-flags.

security-baseline: Cloud SQL private IP only and encrypted connections everywhere; in prod also
backups, point-in-time recovery, both deletion protections, REGIONAL availability, Redis AUTH and
TLS. A Cloud Run service may be invoked by allUsers only when labelled golden-path-public: "true".

no-plaintext-secrets: a variable whose name or value looks like a secret must come from Secret
Manager on Cloud Run. Docker has no Secret Manager: there a secret-named variable is accepted when
the container's envs depend on a generated random.RandomPassword. A Pulumi secret from the stack
config (`secure:`), which the offline plan never decrypts, is judged on where it goes: a plain Cloud
Run variable fails, a Docker variable passes.

no-bypass-flags: a switched-on EMERGENCY_*, BYPASS_*, SKIP_*_CHECK(S) or *_BYPASS variable fails in
prod, fails anywhere once its declared expiry (<FLAG>_EXPIRY or EMERGENCY_BYPASS_EXPIRY, YYYY-MM-DD,
inclusive) has passed, and outside prod must declare an expiry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from policies import clock
from policies import limits as gcp
from policies.contract import (
    CONTAINER,
    RANDOM_PASSWORD,
    REDIS_INSTANCE,
    RUN_IAM_BINDING,
    RUN_IAM_MEMBER,
    RUN_IAM_POLICY,
    RUN_PUBLIC_LABEL,
    RUN_SERVICE,
    SQL_INSTANCE,
    UNDECRYPTED_SECRET,
)
from policies.redaction import BOOLEAN_WORDS, generic_secret_shape, known_secret_shape, secret_name, shown
from policies.rules.messages import problem
from policies.rules.props import dig, elements, known, mapping
from policies.rules.resource_limits import service_key
from policies.rules.resources import EnvVar, Report, Resource, StackReport, display_name, env_dict, env_vars, where

ENVIRONMENTS = ("local", "staging", "prod")
CONFIG_PROPERTIES: dict[str, dict[str, Any]] = {
    "environment": {"type": "string", "enum": list(ENVIRONMENTS), "default": "prod",
                    "description": "The stack's environment; prod-only rules apply in prod (the default, "
                                   "so a missing setting fails closed)."},
}
BYPASS_RULE_SOURCE = "policies/README.md, no-bypass-flags"


def environment(config: Mapping[str, Any]) -> str:
    value = config.get("environment", CONFIG_PROPERTIES["environment"]["default"])
    if value not in ENVIRONMENTS:
        raise ValueError(f"policy config environment {value!r} is not one of {', '.join(ENVIRONMENTS)}")
    return value


# --- security-baseline --------------------------------------------------------------------------
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
INVOKER_ROLE = "roles/run.invoker"


def check_security_baseline(resources: Sequence[Resource], config: Mapping[str, Any],
                            report: StackReport) -> None:
    prod = environment(config) == "prod"
    services: dict[str, Resource] = {}
    for resource in resources:
        if resource.resource_type == SQL_INSTANCE:
            _check_sql(resource, prod, report)
        elif resource.resource_type == REDIS_INSTANCE and prod:
            _check_redis(resource, report)
        elif resource.resource_type == RUN_SERVICE:
            services[display_name(resource)] = resource
    for resource in resources:
        if resource.resource_type in (RUN_IAM_MEMBER, RUN_IAM_BINDING, RUN_IAM_POLICY):
            _check_invokers(resource, services, report)


def _check_sql(resource: Resource, prod: bool, report: StackReport) -> None:
    at, settings = where(resource), mapping(dig(resource.props, "settings"), "settings")
    ip = mapping(dig(settings, "ipConfiguration"), "settings.ipConfiguration")
    if known(dig(ip, "ipv4Enabled"), "ipv4Enabled") is not False:
        report(resource, problem(at, "has a public IPv4 address (settings.ipConfiguration.ipv4Enabled is not false; "
                                     f"GCP turns it on by default, {gcp.SQL_PRIVATE_IP_DOCS})",
                                 "set ipv4Enabled false and connect over privateNetwork"))
    ssl_mode = known(dig(ip, "sslMode"), "sslMode")
    if ssl_mode not in gcp.SQL_SSL_MODES_ENCRYPTED:
        report(resource, problem(at, f"sslMode is {ssl_mode or 'not set (GCP allows unencrypted connections)'}, not "
                                     f"{' or '.join(gcp.SQL_SSL_MODES_ENCRYPTED)} ({gcp.SQL_SSL_DOCS})",
                                 "set settings.ipConfiguration.sslMode to ENCRYPTED_ONLY"))
    if not prod:
        return
    backup = mapping(dig(settings, "backupConfiguration"), "settings.backupConfiguration")
    required = (
        (known(dig(backup, "enabled"), "backups") is True, "backups are off (backupConfiguration.enabled)",
         gcp.SQL_BACKUP_DOCS, "set database.backups: true"),
        (known(dig(backup, "pointInTimeRecoveryEnabled"), "pitr") is True,
         "point-in-time recovery is off (backupConfiguration.pointInTimeRecoveryEnabled)", gcp.SQL_BACKUP_DOCS,
         "enable pointInTimeRecoveryEnabled"),
        # Pulumi's own flag defaults to true; only an explicit false lowers it.
        (known(dig(resource.props, "deletionProtection"), "deletionProtection") is not False,
         "Pulumi deletionProtection is false", gcp.SQL_BACKUP_DOCS, "set deletionProtection true"),
        (known(dig(settings, "deletionProtectionEnabled"), "deletionProtectionEnabled") is True,
         "GCP-side deletion protection is off (settings.deletionProtectionEnabled)", gcp.SQL_BACKUP_DOCS,
         "set settings.deletionProtectionEnabled true"),
        (known(dig(settings, "availabilityType"), "availabilityType") == "REGIONAL",
         f"availabilityType is {dig(settings, 'availabilityType') or 'not set (ZONAL)'}, not REGIONAL",
         gcp.SQL_HA_DOCS, "set database.availability: REGIONAL"),
    )
    for ok, what, source, fix in required:
        if not ok:
            report(resource, problem(at, f"{what}; prod requires it ({source})", fix))


def _check_redis(resource: Resource, report: StackReport) -> None:
    at = where(resource)
    if known(dig(resource.props, "authEnabled"), "authEnabled") is not True:
        report(resource, problem(at, f"AUTH is off (authEnabled); prod requires it ({gcp.REDIS_AUTH_DOCS})",
                                 "set redis.auth: true"))
    mode = known(dig(resource.props, "transitEncryptionMode"), "transitEncryptionMode")
    if mode != "SERVER_AUTHENTICATION":
        report(resource, problem(at, f"transitEncryptionMode is {mode or 'not set (DISABLED)'}, not "
                                     f"SERVER_AUTHENTICATION; prod requires TLS ({gcp.REDIS_TLS_DOCS}; clients then "
                                     f"use port {gcp.REDIS_TLS_PORT})", "set redis.tls: true"))


def _public_members(resource: Resource) -> list[str]:
    """The public principals a Cloud Run IAM resource grants roles/run.invoker to."""
    props = resource.props
    if resource.resource_type == RUN_IAM_POLICY:
        data = json.loads(known(dig(props, "policyData"), "policyData"))
        bindings = [(b.get("role"), b.get("members") or []) for b in data.get("bindings", [])]
    elif resource.resource_type == RUN_IAM_BINDING:
        bindings = [(dig(props, "role"), elements(dig(props, "members"), "members"))]
    else:
        bindings = [(dig(props, "role"), [dig(props, "member")])]
    return [m for role, members in bindings if role == INVOKER_ROLE for m in members if m in PUBLIC_MEMBERS]


def _check_invokers(resource: Resource, services: Mapping[str, Resource], report: StackReport) -> None:
    members = _public_members(resource)
    if not members:
        return
    target = dig(resource.props, "name")
    service_name = target.rsplit("/", 1)[-1] if isinstance(target, str) else None
    service = services.get(service_name) if service_name else None
    at = f"IAM grant {resource.name}"
    if service is None:
        report(resource, problem(at, f"lets {', '.join(members)} invoke Cloud Run service {service_name or target!r}, "
                                     f"which is not in this stack, so its {RUN_PUBLIC_LABEL} label cannot be checked "
                                     f"({gcp.RUN_PUBLIC_ACCESS_DOCS})",
                                 "grant roles/run.invoker to specific principals, or manage the service here"))
    elif dig(service.props, "labels", RUN_PUBLIC_LABEL) != "true":
        report(resource, problem(at, f"lets {', '.join(members)} invoke Cloud Run service {service_name}, which is "
                                     f"not labelled {RUN_PUBLIC_LABEL}: \"true\" ({gcp.RUN_PUBLIC_ACCESS_DOCS})",
                                 f"remove the grant, or mark the service public (services.{service_name}.public: "
                                 "true) in a reviewed change"))


# --- no-plaintext-secrets -----------------------------------------------------------------------
def secret_reason(var: EnvVar, generated: bool) -> str | None:
    """Why a plain variable looks like a secret; None if it does not (or, on Docker, is generated)."""
    value = var.value if isinstance(var.value, str) else None
    if value is not None and (shape := known_secret_shape(value)):
        return f"its value looks like {shape}"
    if generated:
        return None
    if value is not None and (shape := generic_secret_shape(value)):
        return f"its value looks like {shape}"
    if value == "" or (value is not None and value.strip().lower() in BOOLEAN_WORDS):
        return None
    if secret_name(var.name):
        return "its name says it holds a secret"
    return None


def _check_pulumi_secret(resource: Resource, var: EnvVar, report: StackReport) -> None:
    """A Pulumi secret from the stack config, seen offline as the placeholder it is never decrypted into.

    Under `pulumi preview` the pack sees its plaintext instead (pulumi_policy's Analyze unwraps secrets
    before a policy reads the properties) and judges it like any value; `infra check` catches it here.
    """
    if resource.resource_type != RUN_SERVICE:
        # Docker: a Pulumi secret is how a laptop gets one. It stays encrypted in the stack file and the
        # state, only whoever runs the Docker engine can read the container's environment, and there is no
        # Secret Manager to move it to.
        return
    report(resource, problem(where(resource), f"{var.name} is a Pulumi secret delivered as a plain environment "
                                              "value (value hidden): anyone with run.services.get reads it in the "
                                              f"service's configuration ({gcp.RUN_SECRETS_DOCS})",
                             f"move it to {service_key(resource, 'secrets')} (Secret Manager)"))


def check_plaintext_secrets(resources: Sequence[Any], config: Mapping[str, Any], report: StackReport) -> None:
    for resource in resources:
        if resource.resource_type == RUN_SERVICE:
            fix = (f"store it in Secret Manager and reference it (services.<name>.secrets.<VAR>: <secret id>; "
                   f"{gcp.RUN_SECRETS_DOCS})")
            generated = False
        elif resource.resource_type == CONTAINER:
            fix = ("Docker has no Secret Manager: generate the value with a random.RandomPassword the container's "
                   "envs depend on, never a literal")
            generated = any(dep.resource_type == RANDOM_PASSWORD
                            for dep in resource.property_dependencies.get("envs", []))
        else:
            continue
        for var in env_vars(resource):
            if var.secret_ref:
                continue
            if var.value == UNDECRYPTED_SECRET:
                _check_pulumi_secret(resource, var, report)
            elif (reason := secret_reason(var, generated)) is not None:
                report(resource, problem(where(resource), f"{var.name} is a plain environment value (value hidden) "
                                                          f"and {reason}", fix))


# --- no-bypass-flags ----------------------------------------------------------------------------
BYPASS_FLAG = re.compile(r"^(EMERGENCY_\w+|BYPASS_\w+|SKIP_\w+_CHECKS?|\w+_BYPASS)$")
TRUTHY = frozenset({"1", "true", "yes", "on"})
SHARED_EXPIRY = "EMERGENCY_BYPASS_EXPIRY"


def bypass_flag(name: str) -> bool:
    return bool(BYPASS_FLAG.match(name.upper())) and not name.upper().endswith("_EXPIRY")


def check_bypass_flags(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    env_name = environment(config)
    env = env_dict(resource)
    at, today = where(resource), clock.today()
    for var in env.values():
        if not bypass_flag(var.name):
            continue
        if var.secret_ref:
            report(problem(at, f"bypass flag {var.name} comes from Secret Manager, so nobody can see whether it is on "
                               f"({BYPASS_RULE_SOURCE})", "set bypass flags as plain values, or remove it"))
            continue
        if str(known(var.value, var.name)).strip().lower() not in TRUTHY:
            continue
        expiry_var = env.get(f"{var.name}_EXPIRY") or env.get(SHARED_EXPIRY)
        expiry, expiry_text = None, None
        if expiry_var is not None:
            expiry_text = str(known(expiry_var.value, expiry_var.name)).strip()
            try:
                expiry = date.fromisoformat(expiry_text)
            except ValueError:
                report(problem(at, f"{expiry_var.name} {shown(expiry_text, expiry_var.name)} is not a date written "
                                   f"YYYY-MM-DD ({BYPASS_RULE_SOURCE})",
                               f"write the expiry of {var.name} as YYYY-MM-DD"))
                continue
        declared = f"{expiry_var.name}={expiry_text}" if expiry_var is not None else "no expiry"
        if expiry is not None and expiry < today:
            report(problem(at, f"bypass flag {var.name}={var.value} expired on {expiry.isoformat()} "
                               f"({declared}; {BYPASS_RULE_SOURCE})",
                           f"remove {var.name} (and its expiry), or fix what it bypasses"))
        elif env_name == "prod":
            report(problem(at, f"bypass flag {var.name}={var.value} is on in prod ({declared}); prod allows no "
                               f"bypass flags ({BYPASS_RULE_SOURCE})", f"remove {var.name} before deploying to prod"))
        elif expiry is None:
            report(problem(at, f"bypass flag {var.name}={var.value} declares no expiry ({BYPASS_RULE_SOURCE})",
                           f"add {var.name}_EXPIRY=YYYY-MM-DD (a date soon), or remove the flag"))
