"""Stack files as the Pulumi CLI writes them, made from the committed stacks by small exact edits.

The formats are Pulumi's own (pulumi/pulumi sdk/go/common/workspace/project.go, ProjectStack):
`encryptionsalt:` for the passphrase secrets provider, or `secretsprovider:` with `encryptedkey:` for
a cloud KMS; `environment:`, a list of ESC environments to import; and a secret from
`pulumi config set --secret [--path]` as `{secure: v1:<nonce>:<ciphertext>}` (base64,
sdk/go/common/resource/config/crypt.go).
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO

CIPHERTEXT = "v1:yfAd1zOi6iY9DRIB:dumdsr+H89VpHIQWdB01XEFqYaYjAg=="  # what `secure:` holds; nobody can read it
PASSPHRASE = "encryptionsalt: v1:4iF78gb0nF0=:v1:Co6IbTWYs/UdrjgY:FSrAWOFZnj9ealCUDdJL7LrUKXX9BA==\n"
KMS = ("secretsprovider: gcpkms://projects/golden-path-prod/locations/global/keyRings/pulumi/cryptoKeys/stacks\n"
       "encryptedkey: CiQAkVqs4BVvSJmXzb8oM1ngd1sWQ3cV4NxCQ1V4a6ENq2jfQtYSSQDvHkQ1d3mOcm0mWp2YdT1Gx6A=\n")
ENVIRONMENT = "environment:\n  - golden-path/prod-secrets\n"

# The api service's env in each committed stack, and the same env with a secret added by
# `pulumi config set --secret --path 'golden-path:services.api.env.SENTRY_DSN' ...`.
API_ENV = {"prod": "      env:\n        LOG_LEVEL: info\n", "local": "      env:\n        LOG_LEVEL: debug\n"}


def secret_env(stack: str) -> dict[str, str]:
    """The edit that gives the api service of a committed stack a secret env value, SENTRY_DSN."""
    return {API_ENV[stack]: f"{API_ENV[stack]}        SENTRY_DSN:\n          secure: {CIPHERTEXT}\n"}


def pulumi_stack(folder: Path, stack: str, header: str = PASSPHRASE, edits: dict[str, str] | None = None,
                 name: str | None = None) -> Path:
    """Pulumi.<name>.yaml in folder: the committed stack with a secrets-provider header and exact edits
    (each old text must occur once)."""
    text = (REPO / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
    for old, new in (edits or {}).items():
        assert text.count(old) == 1, f"{old!r} is not in Pulumi.{stack}.yaml exactly once"
        text = text.replace(old, new)
    path = folder / f"Pulumi.{name or stack}.yaml"
    path.write_text(header + text, encoding="utf-8")
    return path
