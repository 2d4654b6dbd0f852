"""What looks like a secret, and the one rule every message follows when it quotes a value.

A message that quotes a bad value (a config error, a policy finding, a metrics or policy-config
problem, a `scale set` refusal or diff) shows it only when it cannot be a secret: numbers,
booleans and null; values of a closed set (a known enum); short strings that look like words.
Anything else is described, never shown ("a 28-character string"); `secure:` ciphertext and
values under a secret-looking key are never shown at all. Free text written to be read (a waiver's
reason) is shown at any length, unless a word of it is shaped like a secret. Kept inside policies/ so
the pack and the `infra` tools share it.
"""

from __future__ import annotations

import collections
import math
import re
from collections.abc import Iterable
from typing import Any

SECRET_WORDS = frozenset({"SECRET", "SECRETS", "PASSWORD", "PASSWORDS", "PASSWD", "PASS", "PWD", "TOKEN",
                          "TOKENS", "KEY", "KEYS", "APIKEY", "CREDENTIAL", "CREDENTIALS", "CREDS", "PRIVATE"})
# A last word that makes the variable describe a secret rather than hold one (SECRET_ID, TOKEN_TTL, ...).
NOT_SECRET_LAST_WORDS = frozenset({"ID", "IDS", "NAME", "FILE", "PATH", "URL", "URI", "ENDPOINT", "VERSION",
                                   "TTL", "TIMEOUT", "EXPIRY", "LENGTH", "HEADER", "ALGORITHM", "ENABLED",
                                   "REF", "PREFIX"})
BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no", "on", "off"})
KNOWN_SECRET_SHAPES = (  # formats no generated password takes, so they fail everywhere
    ("a PEM private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    # eyJ<5+>.<5+>.<1+>, tried once per run of token characters (from the run's first eyJ), so that a long
    # value is scanned in linear time: tried at every eyJ, a megabyte of them took minutes
    ("a JSON Web Token", re.compile(r"(?<![A-Za-z0-9_-])(?:(?!eyJ)[A-Za-z0-9_-])*+eyJ[A-Za-z0-9_-]{5,}+\."
                                    r"[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]")),
    ("a Stripe secret key", re.compile(r"\b[sr]k_(live|test)_[0-9A-Za-z]{10,}")),
    ("an AWS access key", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
)
# scheme://user:password@, the scheme tried once per run of scheme characters (linear, as above)
CREDENTIAL_URL = re.compile(r"(?<![A-Za-z0-9+.-])[0-9+.-]*+[A-Za-z][A-Za-z0-9+.-]*+://[^/\s:@]++:[^/\s@]++@")
TOKEN_CHARS = re.compile(r"[A-Za-z0-9+/=_-]{32,}")


def secret_name(name: str) -> bool:
    words = name.upper().split("_")
    if words[-1] in NOT_SECRET_LAST_WORDS:
        return False
    return words[-1] == "AUTH" or any(word in SECRET_WORDS for word in words)


def known_secret_shape(value: str) -> str | None:
    return next((what for what, pattern in KNOWN_SECRET_SHAPES if pattern.search(value)), None)


def generic_secret_shape(value: str) -> str | None:
    """Credentials in a URL, or a long random-looking token (mixed case, digits, high entropy, few vowels)."""
    if CREDENTIAL_URL.search(value):
        return "a URL with a password in it"
    if TOKEN_CHARS.fullmatch(value) and re.search("[A-Z]", value) and re.search("[a-z]", value) \
            and re.search("[0-9]", value):
        letters = [c for c in value if c.isalpha()]
        vowels = sum(c in "aeiouAEIOU" for c in letters) / len(letters)
        counts = collections.Counter(value).values()
        entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts)
        if entropy >= 4.2 and vowels < 0.3:
            return "a long random-looking token"
    return None



MAX_SHOWN = 40  # longer strings are described, not shown
PLAIN = re.compile(r"[A-Za-z0-9 ._:/@+,=~\[\]{}-]*")  # what words, names, paths, sizes and lists are made of
HIDDEN = "(not shown)"


def secret_key(key: str | None) -> bool:
    """A dotted key or variable name whose value is a secret: services.api.env.STRIPE_TOKEN."""
    if not key:
        return False
    last = str(key).rsplit(".", 1)[-1]
    return secret_name(last.replace("-", "_"))


def random_looking(text: str) -> bool:
    """A short string a generator made rather than a person: upper, lower and digits mixed."""
    return len(text) >= 12 and bool(re.search("[A-Z]", text) and re.search("[a-z]", text)
                                    and re.search("[0-9]", text))


def shown(value: Any, key: str | None = None, choices: Iterable[str] = ()) -> str:
    """How a message may quote `value` (found at `key`): the value itself, or a description of it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) and not math.isfinite(value) else _number(value)
    if isinstance(value, dict) and "secure" in value:
        return f"a Pulumi secret {HIDDEN}"
    if type(value).__name__ == "SecretValue":  # infra.pulumi_config's, without importing infra
        return f"a Pulumi secret {HIDDEN}"
    if isinstance(value, str):
        if value in set(choices):
            return repr(value)
        if secret_key(key):
            return f"a {len(value)}-character string {HIDDEN}: {key} names a secret"
        if (len(value) <= MAX_SHOWN and PLAIN.fullmatch(value) and not random_looking(value)
                and not known_secret_shape(value) and not generic_secret_shape(value)):
            return repr(value)
        return f"a {len(value)}-character string"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} item{'s' * (len(value) != 1)}"
    if isinstance(value, dict):
        return f"a mapping of {len(value)} key{'s' * (len(value) != 1)}"
    return f"a {type(value).__name__}"


def shown_text(text: str) -> str:
    """Free text a person wrote for people to read (a waiver's reason, owner or resource glob): as it is, on
    one line, at any length; described as shown() describes it when any word of it is shaped like a secret,
    or it holds a control character (an escape sequence would rewrite the reader's terminal)."""
    one_line = " ".join(text.split())  # a line break would split the report line it travels in
    if (one_line.isprintable() and not known_secret_shape(one_line)
            and not any(random_looking(word) or generic_secret_shape(word) for word in one_line.split())):
        return one_line
    return f"a {len(text)}-character string"


def shown_name(name: str) -> str:
    """A key or column name as a message writes it in a path or list: as it is when the rule would show it,
    else described in parentheses (a pasted secret can be a key too)."""
    return name if shown(name) == repr(name) else f"({shown(name)})"


def _number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)
