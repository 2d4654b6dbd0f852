"""A change to one stack config key: what the scaler, the forecast and the stack-file writer pass around."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    key: str  # dotted, without the namespace: services.api.max_instances
    old: Any  # None where the key was absent (the model's default applied)
    new: Any
    reason: str = ""
