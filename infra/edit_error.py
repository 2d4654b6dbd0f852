"""The one error of the stack-file writer (infra/stackfile_edit.py and the modules it is made of).

A module of its own so that each part of the writer raises it without importing the writer's entry.
"""

from __future__ import annotations


class EditError(Exception):
    """An edit that cannot be made; the message names file, line (where known), key and why."""
