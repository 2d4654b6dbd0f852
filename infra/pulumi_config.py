"""Pulumi's config conventions: how the CLI stores secrets in a stack file and hands config to a program.

Read in pulumi/pulumi's sdk/go/common/resource/config (value.go, object.go, map.go) and
sdk/python/cmd/pulumi-language-python-exec:

- `pulumi config set --secret [--path]` stores `{secure: v1:...}`, at any depth. A top-level key whose
  value holds one is secure as a whole (object.Secure); the CLI decrypts the whole map, hands the
  program every key as text (structured values JSON-encoded) in PULUMI_CONFIG, and names the secure
  top-level keys in PULUMI_CONFIG_SECRET_KEYS; the Python host passes both to `set_all_config`.
- The model holds a secret as a SecretValue: its plaintext under the engine; offline (infra plan and
  check) nothing is ever decrypted, and the plaintext is contract.UNDECRYPTED_SECRET, a text no real
  value has. The program hands a resource a SecretValue as a Pulumi secret output (as_input).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from infra.naming import NAMESPACE
from policies import contract

SECURE = "secure"  # the one key of a secure value: {secure: v1:<nonce>:<ciphertext>}
SHOWN = "[secret]"  # how a secret is printed, as the Pulumi CLI prints one
_ABSENT = object()  # no value at this place of the stack file


class SecretValue:
    """A Pulumi secret config value: text that is never printed (repr, str and f-strings show [secret])."""

    __slots__ = ("plaintext",)

    def __init__(self, plaintext: str) -> None:
        object.__setattr__(self, "plaintext", plaintext)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a SecretValue cannot be changed")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretValue) and other.plaintext == self.plaintext

    def __hash__(self) -> int:
        return hash((SecretValue, self.plaintext))

    def __repr__(self) -> str:
        return SHOWN


UNDECRYPTED = SecretValue(contract.UNDECRYPTED_SECRET)
# The CLI hands config over as JSON, and Go's encoding/json (floatEncoder) writes a whole float below 1e21
# without a fraction or an exponent: the program reads `1.0` as the integer 1.
JSON_WHOLE_FLOAT_BELOW = 1e21


def as_handed(value: Any) -> Any:
    """A config value with its numbers as the program under the engine gets them: 1.0 as 1, 1.5 as 1.5."""
    if isinstance(value, float) and value.is_integer() and abs(value) < JSON_WHOLE_FLOAT_BELOW:
        return int(value)
    if isinstance(value, dict):
        return {k: as_handed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_handed(v) for v in value]
    return value


def is_secure(value: Any) -> bool:
    """A stack file's secure value: a map whose one key is `secure`, holding text (object.go isSecureValue)."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(SECURE), str)


def _replace_secure(value: Any, replacement: Any) -> Any:
    if is_secure(value):
        return replacement
    if isinstance(value, dict):
        return {k: _replace_secure(v, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(v, replacement) for v in value]
    return value


def undecrypted(config: Mapping[str, Any]) -> dict[str, Any]:
    """A stack file's config map with every secure value as a secret of unknown plaintext (never decrypted)."""
    return {key: _replace_secure(value, UNDECRYPTED) for key, value in config.items()}


def _holds_secure(value: Any) -> bool:
    if is_secure(value):
        return True
    if isinstance(value, dict):
        return any(_holds_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_secure(v) for v in value)
    return False


def secret_keys(config: Mapping[str, Any]) -> list[str]:
    """The top-level keys the CLI names secret: those whose value holds a secure value (Map.SecureKeys)."""
    return [key for key, value in config.items() if _holds_secure(value)]


def to_pulumi_config(config: Mapping[str, Any]) -> dict[str, str]:
    """A stack file's config map as the CLI hands it to a program: every key as text, structured values
    JSON-encoded (numbers as Go writes them), a secure value as its plaintext, which offline is never known
    (UNDECRYPTED_SECRET)."""
    plain = {key: as_handed(_replace_secure(value, contract.UNDECRYPTED_SECRET)) for key, value in config.items()}
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in plain.items()}


def from_pulumi_config(config: Mapping[str, str], secret: set[str],
                       stack_file_config: Mapping[str, Any]) -> dict[str, Any]:
    """The config map a program is handed (config: key -> text; secret: the secret keys), decoded into
    values, with the secrets in it as SecretValue.

    Pulumi says only which top-level keys are secret; the stack file says where the secure values sit.
    Under a secret key, text is a secret unless the stack file holds it in plain there, so a secret that
    comes from elsewhere (an ESC environment, or no stack file at all) is kept secret too.
    """
    values: dict[str, Any] = {}
    for key, text in config.items():
        shown = stack_file_config.get(key, _ABSENT)
        if key in secret and is_secure(shown):
            values[key] = SecretValue(text)  # a secure text: its plaintext, as it is
            continue
        value = _decode(key, text)
        values[key] = _secrets_in(value, shown) if key in secret else value
    return values



def _decode(key: str, text: Any) -> Any:
    if not isinstance(text, str):
        return text
    if text[:1] in ("{", "["):
        return json.loads(text)  # structured config arrives JSON-encoded
    if key.startswith(f"{NAMESPACE}:"):
        try:  # top-level scalars arrive as text; give them the type YAML gave them
            return json.loads(text)
        except ValueError:
            return text
    return text


def _secrets_in(value: Any, shown: Any) -> Any:
    """value, from a secret key, with each text the stack file does not show in plain as a SecretValue."""
    if isinstance(value, str):
        plain = shown is not _ABSENT and not is_secure(shown) and not isinstance(shown, dict | list)
        return value if plain else SecretValue(value)
    if isinstance(value, dict):
        inner = shown if isinstance(shown, dict) and not is_secure(shown) else {}
        return {k: _secrets_in(v, inner.get(k, _ABSENT)) for k, v in value.items()}
    if isinstance(value, list):
        items = shown if isinstance(shown, list) else []
        return [_secrets_in(v, items[i] if i < len(items) else _ABSENT) for i, v in enumerate(value)]
    return value


def as_input(value: Any) -> Any:
    """What the program hands a resource for a setting: a SecretValue as a Pulumi secret output (so the
    engine keeps it encrypted in state and marks it secret for policies), anything else as it is."""
    if not isinstance(value, SecretValue):
        return value
    import pulumi  # only the program calls this; the tooling that loads config need not import the SDK

    return pulumi.Output.secret(value.plaintext)
