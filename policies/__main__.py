"""The pack's entry point for the Pulumi CLI (`pulumi preview --policy-pack policies`).

The CLI runs `python -u -m pulumi.policy <engine-address> .` inside policies/, in the virtualenv
built from policies/requirements.txt, which installs this project so `policies.*` imports.
"""

from pulumi_policy import PolicyPack

from policies.pack import DEFAULT_ENFORCEMENT, PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=DEFAULT_ENFORCEMENT)
