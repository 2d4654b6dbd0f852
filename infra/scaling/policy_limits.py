"""What an environment's policy config asks of capacity: the connection-budget policy's headroom and
reserve, and the capacity-caps policy's ceilings. The scaler and the forecast propose within them.

The config is resolved as the policy runner resolves it (levels, "all", schema defaults), and read
by the policies' names (policies.pack) and their properties' names (policies.rules).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import EnforcementLevel

from infra.scaling.connection_budget import Budget
from policies.pack import CAPACITY_CAPS, CONNECTION_BUDGET, DEFAULT_ENFORCEMENT, POLICIES
from policies.policy_config import resolve
from policies.rules import capacity, connections


@dataclass(frozen=True)
class PolicyLimits:
    """The connection budget and capacity caps of one environment."""

    budget: Budget | None = None  # None: connection-budget disabled
    caps: Mapping[str, int] = field(default_factory=dict)  # capacity-caps property -> cap; absent: not capped


def from_policy_config(policy_config: Mapping[str, Any]) -> PolicyLimits:
    """The budget and caps an environment's policy config sets. A disabled policy sets nothing; an
    advisory one is still kept to, so the scaler never adds a warning. PolicyConfigError if unusable."""
    settings = resolve(policy_config, POLICIES, DEFAULT_ENFORCEMENT)
    budget_settings, caps_settings = settings[CONNECTION_BUDGET], settings[CAPACITY_CAPS]
    budget = None
    if budget_settings.level != EnforcementLevel.DISABLED:
        budget = Budget(float(budget_settings.properties[connections.HEADROOM]),
                        int(budget_settings.properties[connections.RESERVED_CONNECTIONS]))
    caps: dict[str, int] = {}
    if caps_settings.level != EnforcementLevel.DISABLED:
        caps = {name: math.floor(value) for name, value in caps_settings.properties.items()
                if name in capacity.CONFIG_PROPERTIES and value is not None}
    return PolicyLimits(budget, caps)
