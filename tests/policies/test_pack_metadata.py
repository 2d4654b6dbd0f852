"""Pulumi's policy metadata on every policy of the pack: severity, remediation steps, tags and a url that
is the policy's section of policies/README.md; served to the Pulumi CLI in GetAnalyzerInfo."""

from __future__ import annotations

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import Severity

from policies.pack import DOCS, POLICIES, POLICY_NAMES
from tests.conftest import REPO
from tests.doc_anchors import github_anchors

WIRE_SEVERITY = {Severity.LOW: analyzer_pb2.POLICY_SEVERITY_LOW, Severity.MEDIUM: analyzer_pb2.POLICY_SEVERITY_MEDIUM,
                 Severity.HIGH: analyzer_pb2.POLICY_SEVERITY_HIGH,
                 Severity.CRITICAL: analyzer_pb2.POLICY_SEVERITY_CRITICAL}


@pytest.mark.parametrize("policy", POLICIES, ids=POLICY_NAMES)
def test_every_policy_carries_pulumis_metadata(policy):
    assert isinstance(policy.severity, Severity)
    assert policy.remediation_steps and policy.remediation_steps.endswith(".")
    assert policy.tags and all(isinstance(tag, str) and tag for tag in policy.tags)
    assert policy.url == f"{DOCS}#{policy.name}"


def test_every_policy_url_is_a_section_of_the_readme():
    anchors = github_anchors((REPO / DOCS).read_text(encoding="utf-8"))
    missing = [p.url for p in POLICIES if p.url.partition("#")[2] not in anchors]
    assert not missing, f"no heading in {DOCS} for: {', '.join(missing)}"


def test_get_analyzer_info_serves_the_metadata(analyzer):
    served = {p.name: p for p in analyzer.GetAnalyzerInfo(empty_pb2.Empty()).policies}
    for policy in POLICIES:
        info = served[policy.name]
        assert info.severity == WIRE_SEVERITY[policy.severity]
        assert (info.remediation_steps, info.url, list(info.tags)) == (policy.remediation_steps, policy.url,
                                                                      policy.tags)
