"""Waivers: a named, owned and expiring exception to one policy for the resources a glob matches.

In the policy config, under any policy:
    "waivers": [{"resource": "gp-prod-web*", "reason": "...", "owner": "team-web", "expires": "2026-12-31"}]
`resource` is matched (fnmatch, case-sensitive) against the Pulumi resource name and the cloud-side
name (props.name); stack-wide findings are named "stack". A waiver holds through its expiry date.

A waived violation must not reach report_violation (that would fail `pulumi preview`), so the
policy reports it through args.not_applicable(...) as lines made by `waived_note`, which the
offline runner reads back with `parse_waived_notes`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

from policies.redaction import shown, shown_text

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

# The JSON schema of the `waivers` property every policy accepts.
WAIVERS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Exceptions to this policy: resource (glob on the resource name), reason, owner, "
                   "expires (YYYY-MM-DD, inclusive).",
    "default": [],
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 1},
            "owner": {"type": "string", "minLength": 1},
            "expires": {"type": "string", "pattern": DATE_PATTERN},
        },
        "required": ["resource", "reason", "owner", "expires"],
        "additionalProperties": False,
    },
}


@dataclass(frozen=True)
class Waiver:
    resource: str  # glob
    reason: str
    owner: str
    expires: date

    def matches(self, names: Iterable[str]) -> bool:
        return any(fnmatchcase(name, self.resource) for name in names)

    def active_on(self, day: date) -> bool:
        return day <= self.expires

    def describe(self) -> str:
        # Every report quotes the reason and owner: a token pasted there is described, as in any message.
        return f"{shown_text(self.reason)} (owner {shown_text(self.owner)}, until {self.expires.isoformat()})"


def parse_waivers(config: Mapping[str, Any]) -> tuple[Waiver, ...]:
    """The waivers of one policy's config; ValueError naming the entry and field that is wrong."""
    entries = config.get("waivers") or []
    if not isinstance(entries, list | tuple):
        raise ValueError(f"waivers is {type(entries).__name__}, expected a list")
    waivers = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise ValueError(f"waivers[{i}] is {type(entry).__name__}, expected an object")
        fields = {}
        for field in ("resource", "reason", "owner", "expires"):
            value = entry.get(field)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"waivers[{i}].{field} is missing or empty; a waiver needs resource, "
                                 "reason, owner and expires")
            fields[field] = value
        try:
            expires = date.fromisoformat(fields["expires"]) if re.match(DATE_PATTERN, fields["expires"]) else None
        except ValueError:
            expires = None
        if expires is None:
            raise ValueError(f"waivers[{i}].expires {shown(fields['expires'])} is not a date; write a real day "
                             "as YYYY-MM-DD")
        waivers.append(Waiver(fields["resource"], fields["reason"], fields["owner"], expires))
    return tuple(waivers)


def applicable(waivers: Iterable[Waiver], names: Iterable[str], day: date) -> tuple[Waiver | None, Waiver | None]:
    """(an active waiver, else None; the latest expired one, else None) among those matching names."""
    names = tuple(names)
    matching = [w for w in waivers if w.matches(names)]
    active = next((w for w in matching if w.active_on(day)), None)
    expired = max((w for w in matching if not w.active_on(day)), key=lambda w: w.expires, default=None)
    return active, expired


def expired_note(waiver: Waiver) -> str:
    glob = shown_text(waiver.resource)
    glob = repr(glob) if glob == waiver.resource else glob  # quoted when it is the glob, not a description
    return (f" (waiver {glob} by {shown_text(waiver.owner)} expired on "
            f"{waiver.expires.isoformat()}: {shown_text(waiver.reason)}; fix the resource or renew the waiver)")


# --- waived violations, carried in a not-applicable reason -------------------------------------
WAIVED_PREFIX = "waived: "
_NOTE = re.compile(r"^waived: (?P<policy>\S+) on (?P<resource>.+?): (?P<waiver>.*?); violation: (?P<message>.*)$")


@dataclass(frozen=True)
class WaivedNote:
    policy: str
    resource: str
    waiver: str  # Waiver.describe()
    message: str


def waived_note(policy: str, resource: str, waiver: Waiver, message: str) -> str:
    """One line: waived: <policy> on <resource>: <reason> (owner <o>, until <date>); violation: <message>."""
    return f"{WAIVED_PREFIX}{policy} on {resource}: {waiver.describe()}; violation: {message}"


def parse_waived_notes(reason: str) -> list[WaivedNote]:
    """The waived violations in a not-applicable reason made of waived_note lines."""
    notes = []
    for line in reason.splitlines():
        match = _NOTE.match(line)
        if match:
            notes.append(WaivedNote(**match.groupdict()))
    return notes
