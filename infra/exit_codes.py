"""Exit codes of every `infra` command, and the exception that means bad input.

Imports nothing of the project, so any module can raise BadInput without an import circle.
"""

from __future__ import annotations

EXIT_OK = 0  # clean, written, or nothing to change
EXIT_FAILED = 1  # mandatory violations, or a refused change
EXIT_BAD_INPUT = 2  # input the command cannot use


class BadInput(Exception):
    """Input the command cannot use; the message says which and why."""
