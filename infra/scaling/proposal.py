"""The changes a scaling decision proposes so far: one per config key, and the resources they scale
(each of which gets a scaling.last_scaled entry when the decision is done)."""

from __future__ import annotations

from typing import Any

from infra.change import Change


class Proposal:
    def __init__(self) -> None:
        self.changes: dict[str, Change] = {}  # key -> change, in the order first proposed
        self.scaled: list[str] = []  # resources changed, in order

    def add(self, resource: str, change: Change) -> None:
        self.changes[change.key] = change
        if resource not in self.scaled:
            self.scaled.append(resource)

    def drop(self, resource: str, key: str) -> Change:
        """Withdraw a change; the resource is no longer scaled once none of its keys changes."""
        change = self.changes.pop(key)
        if not any(k.startswith(f"{resource}.") for k in self.changes):
            self.scaled.remove(resource)
        return change

    def values(self) -> dict[str, Any]:
        """key -> proposed value: what infra.scaling.connection_budget.Sizes lays over the config."""
        return {key: change.new for key, change in self.changes.items()}
