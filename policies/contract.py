"""The names DESIGN.md fixes, written once: the environment variables services receive, the labels
that say what a resource is, and the resource type tokens of the providers.

Components write them, policies and reports read them. Kept inside policies/ so that the pack needs
nothing outside its own folder.
"""

from __future__ import annotations

# --- environment variables every service receives (seconds for timeouts) --------------------------
DATABASE_POOL_SIZE = "DATABASE_POOL_SIZE"
DATABASE_MAX_OVERFLOW = "DATABASE_MAX_OVERFLOW"
DATABASE_POOL_TIMEOUT = "DATABASE_POOL_TIMEOUT"
DATABASE_POOL_RECYCLE = "DATABASE_POOL_RECYCLE"
REDIS_TIMEOUT = "REDIS_TIMEOUT"
WEBSOCKET_HEARTBEAT_TIMEOUT = "WEBSOCKET_HEARTBEAT_TIMEOUT"
WEBSOCKET_CONNECTION_TIMEOUT = "WEBSOCKET_CONNECTION_TIMEOUT"
DATABASE_HOST = "DATABASE_HOST"
DATABASE_NAME = "DATABASE_NAME"
DATABASE_USER = "DATABASE_USER"
DATABASE_PASSWORD = "DATABASE_PASSWORD"
REDIS_HOST = "REDIS_HOST"
REDIS_PORT = "REDIS_PORT"
REDIS_AUTH = "REDIS_AUTH"

# The variables that carry a stack config setting -> the key below services.<name> (or database.)
# that sets it; reports use it to point a finding at the line to change.
SETTING_VARIABLES: dict[str, tuple[str, ...]] = {
    DATABASE_POOL_SIZE: ("pool", "size"),
    DATABASE_MAX_OVERFLOW: ("pool", "max_overflow"),
    DATABASE_POOL_TIMEOUT: ("pool", "timeout_s"),
    DATABASE_POOL_RECYCLE: ("pool", "recycle_s"),
    WEBSOCKET_HEARTBEAT_TIMEOUT: ("websocket", "heartbeat_s"),
    WEBSOCKET_CONNECTION_TIMEOUT: ("websocket", "connection_timeout_s"),
}

# --- labels ----------------------------------------------------------------------------------------
DOCKER_ROLE_LABEL = "golden-path.role"  # on Docker containers: postgres | redis | service
DOCKER_SERVICE_LABEL = "golden-path.service"  # on service containers: the service's config name
RUN_SERVICE_LABEL = "golden-path-service"  # on Cloud Run services: the service's config name
RUN_PUBLIC_LABEL = "golden-path-public"  # on Cloud Run services: "true" allows allUsers to invoke

# --- a Pulumi secret the offline plan never decrypts -----------------------------------------------
# `infra plan`/`check` hand the program this where a `secure:` config value's plaintext would be: a
# text no real value has, never printed as a value. The no-plaintext-secrets policy recognises it.
UNDECRYPTED_SECRET = "[secret: not decrypted offline]"

# --- resource type tokens --------------------------------------------------------------------------
CONNECTOR = "gcp:vpcaccess/connector:Connector"
RUN_SERVICE = "gcp:cloudrunv2/service:Service"
RUN_IAM_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
RUN_IAM_BINDING = "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding"
RUN_IAM_POLICY = "gcp:cloudrunv2/serviceIamPolicy:ServiceIamPolicy"
SQL_INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"
REDIS_INSTANCE = "gcp:redis/instance:Instance"
NETWORK = "gcp:compute/network:Network"
SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"
CONTAINER = "docker:index/container:Container"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"


# --- the local stack's service healthcheck ---------------------------------------------------------
def docker_http_healthcheck(port: int, path: str) -> list[str]:
    """The healthcheck a service container runs; busybox wget is in most slim images, curl often is not."""
    return ["CMD-SHELL", f"wget -qO- http://127.0.0.1:{port}{path} || exit 1"]
