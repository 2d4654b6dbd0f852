"""Offline validation against the JSON schemas vendored in tests/schemas/.

`validate_sarif(doc)` checks a SARIF log (e.g. the output of `infra check --format sarif`) against
the OASIS SARIF 2.1.0 schema. `offline_validator(file_name)` builds a validator for any vendored
schema; the workflow tests use it for the GitHub workflow schema.

Nothing here touches the network: each schema is registered under its own id in a
`referencing.Registry` whose retrieve hook refuses every other URI, so a `$ref` to anything
that is not vendored fails loudly instead of being fetched. Formats ("uri", "date-time") are not
asserted: what jsonschema checks for them depends on optional packages, and these tests must give
the same answer everywhere.

Import it from a test module as `from tests.sarif_schema import validate_sarif`.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
SARIF_SCHEMA = "sarif-2.1.0.json"
GITHUB_WORKFLOW_SCHEMA = "github-workflow.json"

_MAX_ERRORS_SHOWN = 10
_MAX_MESSAGE = 300


def _refuse_to_fetch(uri: str) -> Resource:
    raise NoSuchResource(ref=uri)


def load_schema(file_name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / file_name).read_text(encoding="utf-8"))


@functools.cache
def offline_validator(file_name: str) -> Validator:
    """A validator for a vendored schema, of the draft its `$schema` names, that never fetches."""
    return offline_validator_for(load_schema(file_name))


def offline_validator_for(schema: dict[str, Any]) -> Validator:
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    resource = Resource.from_contents(schema)
    registry = Registry(retrieve=_refuse_to_fetch)
    schema_id = resource.id()
    if schema_id:
        registry = registry.with_resource(uri=schema_id, resource=resource)
    return validator_class(schema, registry=registry)


def schema_errors(doc: Any, file_name: str) -> list[str]:
    """Every way `doc` breaks the vendored schema, as `<json path>: <message>`, in document order."""
    errors = sorted(
        offline_validator(file_name).iter_errors(doc),
        key=lambda e: ([(type(part).__name__, part) for part in e.path], e.message),
    )
    return [_describe(error) for error in errors]


def _describe(error: ValidationError) -> str:
    """`<json path>: <message>`.

    A failed oneOf/anyOf is described by its deepest branch errors: the branch that got furthest
    into the document is the one the author meant (a misspelt key in a step, not "this job is not a
    reusable-workflow call").
    """
    leaves = _leaf_errors(error)
    depth = max(len(leaf.absolute_path) for leaf in leaves)
    deepest = sorted({_one_line(leaf) for leaf in leaves if len(leaf.absolute_path) == depth})
    return "; ".join(deepest[:3]) + ("; ..." if len(deepest) > 3 else "")


def _leaf_errors(error: ValidationError) -> list[ValidationError]:
    if not error.context:
        return [error]
    return [leaf for sub in error.context for leaf in _leaf_errors(sub)]


def _one_line(error: ValidationError) -> str:
    message = error.message if len(error.message) <= _MAX_MESSAGE else error.message[:_MAX_MESSAGE] + "..."
    return f"{error.json_path}: {message}"


def validate_sarif(doc: dict) -> None:
    """Raise `jsonschema.ValidationError` unless `doc` is a valid SARIF 2.1.0 log.

    The message lists the failing JSON paths, e.g. `$.runs[0].results[0]: 'message' is a required
    property`.
    """
    errors = schema_errors(doc, SARIF_SCHEMA)
    if errors:
        shown = errors[:_MAX_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        lines = [f"not a valid SARIF 2.1.0 log ({len(errors)} schema error(s)):", *shown]
        if more:
            lines.append(f"... and {more} more")
        raise ValidationError("\n  ".join(lines))
