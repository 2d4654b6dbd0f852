"""Labels that tell policies what a container is (docker has no resource kinds of its own)."""

ROLE = "golden-path.role"  # postgres | redis | service
SERVICE = "golden-path.service"  # the service's name in the stack config


def labels(role: str, service: str | None = None) -> list[dict[str, str]]:
    found = [{"label": ROLE, "value": role}]
    if service:
        found.append({"label": SERVICE, "value": service})
    return found
