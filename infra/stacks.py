"""Which stack files a command works on: --stack NAME, --stack-file PATH or every stack of the project."""

from __future__ import annotations

from pathlib import Path

from infra.exit_codes import BadInput

REPO_ROOT = Path(__file__).resolve().parent.parent
STACKS = ("local", "staging", "prod")  # listed in this order; other stacks follow by name


def project_root() -> Path:
    """The folder with Pulumi.yaml: the working directory if it is one, else this checkout."""
    cwd = Path.cwd()
    return cwd if (cwd / "Pulumi.yaml").is_file() else REPO_ROOT


def stack_file(name: str | None, path: str | None) -> Path:
    """--stack NAME (a stack file of this project) or --stack-file PATH (any Pulumi.<name>.yaml)."""
    if path is not None:
        if not path.strip():
            raise BadInput("--stack-file: the path is empty; give a Pulumi.<stack>.yaml file")
        return Path(path)
    assert name is not None
    found = project_root() / f"Pulumi.{name}.yaml"
    if not found.is_file():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in project_root().glob("Pulumi.*.yaml"))
        raise BadInput(f"no stack {name!r}: {found} does not exist (stacks here: {', '.join(known)})")
    return found


def all_stack_files() -> list[Path]:
    return sorted(project_root().glob("Pulumi.*.yaml"), key=lambda p: _stack_order(p.name))


def _stack_order(file_name: str) -> tuple[int, str]:
    name = file_name[len("Pulumi."):-len(".yaml")]
    return (STACKS.index(name) if name in STACKS else len(STACKS), name)
