"""Labels that tell policies what a container is (docker has no resource kinds of its own)."""

from policies.contract import DOCKER_ROLE_LABEL, DOCKER_SERVICE_LABEL


def labels(role: str, service: str | None = None) -> list[dict[str, str]]:
    """role: postgres | redis | service; service: the service's name in the stack config."""
    found = [{"label": DOCKER_ROLE_LABEL, "value": role}]
    if service:
        found.append({"label": DOCKER_SERVICE_LABEL, "value": service})
    return found
