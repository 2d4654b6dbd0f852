"""`infra forecast`: the table, the chart and bad input, through the command line entry point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from matplotlib import image

from infra import cli, config, metrics
from infra.commands.forecast import chart
from infra.scaling.forecast import forecast
from tests.conftest import GCP_STAGING

STACK = GCP_STAGING + """\
  golden-path:database:
    max_connections: 100
  golden-path:services:
    api:
      image: example/api:1
      max_instances: 10
"""
START = datetime(2024, 5, 1, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_metrics(path: Path) -> Path:
    """A week at 5-minute steps: api climbing 0.5 instances a day, the database flat, redis memory rising."""
    lines = ["timestamp,resource,metric,value"]
    for i in range(7 * 288 + 1):
        day = i / 288
        at = (START + timedelta(minutes=5 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines += [f"{at},services.api,instances,{2 + 0.5 * day}",
                  f"{at},database,connections,40",
                  f"{at},redis,memory_ratio,{0.2 + 0.01 * day}"]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def stack_path(write_stack):
    return write_stack(STACK, "staging")


def test_table(stack_path, tmp_path, capsys):
    source = f"file:{write_metrics(tmp_path / 'm.csv')}"
    assert cli.main(["forecast", "--stack-file", str(stack_path), "--metrics", source]) == 0
    assert capsys.readouterr().out == table(
        # policies/config/staging.json caps a service at 10 instances: api has them already
        "services.api.max_instances is already 10, the most allowed: this environment's "
        "capacity-caps.maxInstancesPerService in its policy config")


def table(api_action: str) -> str:
    return "\n".join([
        "Forecast for stack staging as of 2024-05-08 00:00 UTC, from 6051 samples.",
        "Flagged (!): the trend reaches 95% of capacity within 14 days.",
        "",
        "resource        metric        capacity  trend now  use  trend/day  days to 95%  action",
        f"! services.api  instances     10        5.5        55%  +0.50      8.0          {api_action}",
        "  database      connections   100       40.0       40%  +0.00      never",
        "  redis         memory_ratio  1         0.27       27%  +0.010     68.0",
        "",
        "1 of 3 series flagged: services.api instances",
        "",
    ])


def test_chart_is_a_png_with_one_plot_per_series(stack_path, tmp_path, capsys):
    source = f"file:{write_metrics(tmp_path / 'm.csv')}"
    png = tmp_path / "forecast.png"
    assert cli.main(["forecast", "--stack-file", str(stack_path), "--metrics", source, "--chart", str(png)]) == 0
    assert capsys.readouterr().out.endswith(f"chart: {png}\n")
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    pixels = image.imread(png)
    assert pixels.shape[:2] == (3 * 240, 900)  # 9 x 2.4 inches per series at 100 dpi

    cfg = config.load(stack_path)
    samples = metrics.load(source, cfg, START)
    figure = chart("staging", forecast(cfg, samples), max(s.timestamp for s in samples))
    assert [axes.get_title(loc="left") for axes in figure.axes] == [
        "services.api instances: full in 8.0 days", "database connections", "redis memory_ratio"]


def test_bad_metrics_exit_2_with_the_reason(stack_path, tmp_path, capsys):
    bad = tmp_path / "m.csv"
    bad.write_text("timestamp,resource,metric,value\n2024-05-01T12:00:00Z,services.nope,instances,1\n")
    assert cli.main(["forecast", "--stack-file", str(stack_path), "--metrics", f"file:{bad}"]) == 2
    assert capsys.readouterr().err == (f"{bad}:2: resource: unknown resource 'services.nope'; this stack has "
                                       "database, network.connector, redis, services.api\n")


def test_bad_source_exits_2(stack_path, capsys):
    assert cli.main(["forecast", "--stack-file", str(stack_path), "--metrics", "s3://bucket/m.csv"]) == 2
    assert capsys.readouterr().err == ("metrics source 's3://bucket/m.csv': expected file:PATH (a .csv, .jsonl "
                                       "or .json file) or gcp:PROJECT (Cloud Monitoring)\n")


def test_chart_must_be_a_png_in_an_existing_folder(stack_path, tmp_path, capsys):
    source = f"file:{write_metrics(tmp_path / 'm.csv')}"
    assert cli.main(["forecast", "--stack-file", str(stack_path), "--metrics", source, "--chart", "c.svg"]) == 2
    assert capsys.readouterr().err == "--chart c.svg: the chart is a PNG; name the file *.png\n"
    missing = tmp_path / "no" / "c.png"
    assert cli.main(["forecast", "--stack-file", str(stack_path), "--metrics", source, "--chart", str(missing)]) == 2
    assert capsys.readouterr().err == f"--chart {missing}: folder {missing.parent} does not exist\n"


def elsewhere(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """STACK as the staging stack of another project, run from that project's root (the working
    directory with Pulumi.yaml): the policy config is looked for in its policies/config/."""
    (folder / "policies" / "config").mkdir(parents=True)
    (folder / "Pulumi.yaml").write_text("name: elsewhere\nruntime: python\n")
    stack = folder / "Pulumi.staging.yaml"
    stack.write_text(STACK)
    monkeypatch.chdir(folder)
    return stack


def test_without_a_policy_config_proposals_keep_to_gcp_limits(tmp_path, monkeypatch, capsys):
    # A forecast is still advice worth having where the project has no policy config for the environment.
    stack = elsewhere(tmp_path / "elsewhere", monkeypatch)
    source = f"file:{write_metrics(tmp_path / 'm.csv')}"
    assert cli.main(["forecast", "--stack-file", str(stack), "--metrics", source]) == 0
    captured = capsys.readouterr()
    assert captured.out == table("raise services.api.max_instances from 10 to 21")
    missing = stack.parent / "policies" / "config" / "staging.json"
    assert captured.err == (f"note: no policy config {missing}: proposals keep to GCP's limits, not this "
                            "environment's capacity-caps\n")


def test_an_unusable_policy_config_is_bad_input(tmp_path, monkeypatch, capsys):
    stack = elsewhere(tmp_path / "elsewhere", monkeypatch)
    unusable = stack.parent / "policies" / "config" / "staging.json"
    unusable.write_text("{not json")
    source = f"file:{write_metrics(tmp_path / 'm.csv')}"
    assert cli.main(["forecast", "--stack-file", str(stack), "--metrics", source]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{unusable}:1:2: not valid JSON")
