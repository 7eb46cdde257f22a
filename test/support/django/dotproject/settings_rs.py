"""
The same project as a resource server of another authorization server (Gatehouse): DOT validates
bearer tokens by introspection (RFC 7662) at RESOURCE_SERVER_INTROSPECTION_URL with Basic client
credentials, and caches an active answer locally for RESOURCE_SERVER_TOKEN_CACHING_SECONDS.
"""
import os

from .settings import *  # noqa: F401,F403

OAUTH2_PROVIDER = {
    **OAUTH2_PROVIDER,  # noqa: F405
    "RESOURCE_SERVER_INTROSPECTION_URL": os.environ["DOT_INTROSPECTION_URL"],
    "RESOURCE_SERVER_INTROSPECTION_CREDENTIALS": (
        os.environ["DOT_INTROSPECTION_CLIENT_ID"],
        os.environ["DOT_INTROSPECTION_CLIENT_SECRET"],
    ),
    "RESOURCE_SERVER_TOKEN_CACHING_SECONDS": int(os.environ.get("DOT_TOKEN_CACHING_SECONDS", "1")),
}
