"""The formats `infra check --format` takes are the ones infra/reports/formats.py renders."""

from __future__ import annotations

import pytest

from infra.cli import parser
from infra.reports.formats import FORMATS, render


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_takes_every_format(fmt):
    assert parser().parse_args(["check", "--all", "--format", fmt]).format == fmt


def test_check_refuses_a_format_it_cannot_render(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["check", "--all", "--format", "yaml"])
    assert "invalid choice: 'yaml'" in capsys.readouterr().err


def test_unknown_format_is_refused(mixed):
    with pytest.raises(ValueError, match="unknown format 'yaml'"):
        render(mixed, "yaml")
