"""Settings of the Bot Framework endpoint, read once from the environment so nothing else reads os.environ."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.storage import DEFAULT_CONTAINER, DEFAULT_STORAGE, blob_settings_problem, parse_storage

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3978
DEFAULT_MAX_BODY = 256 * 1024
# Where Bot Framework tokens' signing keys are published (botbuilder's AuthenticationConstants): the channel
# (Teams and the other Azure Bot Service channels), and Azure AD for tokens the Emulator and skills send.
DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
DEFAULT_EMULATOR_OPENID_METADATA_URL = "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
DEFAULT_OPENID_TIMEOUT = 10.0
APP_TYPES = {"multitenant": "MultiTenant", "singletenant": "SingleTenant", "userassignedmsi": "UserAssignedMSI"}
# What each app type needs once authentication is on (MultiTenant with no app id means auth off).
_REQUIRED = {"multitenant": ("MicrosoftAppPassword",),
             "singletenant": ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppTenantId"),
             "userassignedmsi": ("MicrosoftAppId", "MicrosoftAppTenantId")}


@dataclass(frozen=True)
class Settings:
    """Where to listen and how to authenticate; an empty ``app_id`` means no authentication (local use only)."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    app_id: str = ""
    app_password: str = ""
    app_type: str = "MultiTenant"
    tenant_id: str = ""
    max_body_bytes: int = DEFAULT_MAX_BODY
    live_checks: bool = True  # offer live DNS/SMTP checks in the conversation (MAILFLOW_LIVE_CHECKS=0 turns off)
    nameservers: tuple[str, ...] = ()  # HOST[:PORT] for those checks; empty = the system's resolver
    openid_metadata_url: str = DEFAULT_OPENID_METADATA_URL  # MAILFLOW_OPENID_METADATA_URL
    emulator_openid_metadata_url: str = DEFAULT_EMULATOR_OPENID_METADATA_URL  # MAILFLOW_EMULATOR_OPENID_METADATA_URL
    openid_timeout: float = DEFAULT_OPENID_TIMEOUT  # seconds to fetch the metadata and keys (MAILFLOW_OPENID_TIMEOUT)
    storage: str = DEFAULT_STORAGE  # where conversation state lives (MAILFLOW_STORAGE, --storage): bot/storage.py
    blob_connection_string: str = field(default="", repr=False)  # MAILFLOW_BLOB_CONNECTION_STRING (a secret)
    blob_container: str = DEFAULT_CONTAINER  # MAILFLOW_BLOB_CONTAINER

    def __post_init__(self) -> None:
        # Caught here with a clear message rather than as a bare Exception from inside botbuilder.
        _port(self.port)
        if parse_storage(self.storage).kind == "azure-blob":
            problem = blob_settings_problem(self.blob_connection_string, self.blob_container)
            if problem:
                raise ValueError(problem)
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be positive")
        for name, url in (("MAILFLOW_OPENID_METADATA_URL", self.openid_metadata_url),
                          ("MAILFLOW_EMULATOR_OPENID_METADATA_URL", self.emulator_openid_metadata_url)):
            if not is_allowed_url(url):
                raise ValueError(f"{name} must be an https URL (http only to 127.0.0.1 or localhost), not {url!r}")
        if not 0.1 <= self.openid_timeout <= 120:  # NaN fails this too
            raise ValueError(f"MAILFLOW_OPENID_TIMEOUT must be 0.1 to 120 seconds, not {self.openid_timeout!r}")
        kind = self.app_type.casefold()
        if kind not in APP_TYPES:
            raise ValueError(f"MicrosoftAppType must be one of {', '.join(APP_TYPES.values())}, not {self.app_type!r}")
        values = {"MicrosoftAppId": self.app_id, "MicrosoftAppPassword": self.app_password,
                  "MicrosoftAppTenantId": self.tenant_id}
        required = _REQUIRED[kind] if self.app_id or kind != "multitenant" else ()
        missing = [name for name in required if not values[name]]
        if missing:
            raise ValueError(f"MicrosoftAppType {self.app_type} also needs {' and '.join(missing)}")

    @property
    def auth_enabled(self) -> bool:
        return bool(self.app_id)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, host: str | None = None, port: int | None = None,
                 nameservers: tuple[str, ...] = (), live_checks: bool | None = None, storage: str | None = None,
                 default_storage: str = DEFAULT_STORAGE) -> Settings:
        """Build from ``environ`` (MAILFLOW_HOST, PORT, MAILFLOW_NAMESERVERS, MAILFLOW_LIVE_CHECKS, MAILFLOW_STORAGE,
        MAILFLOW_BLOB_* and the standard Microsoft* names); arguments win, ``default_storage`` when none is set."""
        env_ns = tuple(v.strip() for v in environ.get("MAILFLOW_NAMESERVERS", "").split(",") if v.strip())
        checks_env = environ.get("MAILFLOW_LIVE_CHECKS", "1").strip().casefold() not in {"0", "false", "no", "off"}
        return cls(
            host=host or environ.get("MAILFLOW_HOST", "").strip() or DEFAULT_HOST,
            port=_port(port if port is not None else environ.get("PORT", "").strip() or DEFAULT_PORT),
            app_id=environ.get("MicrosoftAppId", "").strip(),
            app_password=environ.get("MicrosoftAppPassword", ""),
            app_type=environ.get("MicrosoftAppType", "").strip() or "MultiTenant",
            tenant_id=environ.get("MicrosoftAppTenantId", "").strip(),
            live_checks=checks_env if live_checks is None else live_checks,
            nameservers=nameservers or env_ns,
            openid_metadata_url=environ.get("MAILFLOW_OPENID_METADATA_URL", "").strip() or DEFAULT_OPENID_METADATA_URL,
            emulator_openid_metadata_url=environ.get("MAILFLOW_EMULATOR_OPENID_METADATA_URL", "").strip()
            or DEFAULT_EMULATOR_OPENID_METADATA_URL,
            openid_timeout=_seconds(environ.get("MAILFLOW_OPENID_TIMEOUT", "").strip() or DEFAULT_OPENID_TIMEOUT),
            storage=(storage or environ.get("MAILFLOW_STORAGE", "")).strip() or default_storage,
            blob_connection_string=environ.get("MAILFLOW_BLOB_CONNECTION_STRING", "").strip(),
            blob_container=environ.get("MAILFLOW_BLOB_CONTAINER", "").strip() or DEFAULT_CONTAINER,
        )

    def sdk_config(self) -> SdkConfig:
        """The attribute-style object botbuilder's ConfigurationBotFrameworkAuthentication reads.

        With authentication on it names every endpoint, which makes botbuilder use its "parameterized"
        authentication (the only one that takes metadata URLs from configuration); the values are the public
        cloud's, so the rules are those of its built-in public cloud path. With authentication off no token is
        read, and the built-in path copes with activities the parameterized one fails on (no recipient)."""
        if not self.auth_enabled:
            return SdkConfig(self.app_id, self.app_password, self.app_type, self.tenant_id)
        return SdkConfig(self.app_id, self.app_password, self.app_type, self.tenant_id,
                         TO_CHANNEL_FROM_BOT_LOGIN_URL="https://login.microsoftonline.com/",
                         TO_CHANNEL_FROM_BOT_OAUTH_SCOPE="https://api.botframework.com",
                         TO_BOT_FROM_CHANNEL_TOKEN_ISSUER="https://api.botframework.com",
                         OAUTH_URL="https://api.botframework.com",
                         TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=self.openid_metadata_url,
                         TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=self.emulator_openid_metadata_url,
                         CALLER_ID="urn:botframework:azure")


@dataclass(frozen=True)
class SdkConfig:
    """Mirrors the SDK samples' ``DefaultConfig`` attribute names (None: not set, botbuilder's default)."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    OAUTH_URL: str | None = None
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str | None = None
    CALLER_ID: str | None = None


def _seconds(value: float | str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"MAILFLOW_OPENID_TIMEOUT must be a number of seconds, not {value!r}") from None


def is_allowed_url(url: str) -> bool:
    """https, or http to a loopback host (tests, a local proxy): signing keys fetched in clear text can be forged."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        return False
    if parts.scheme == "https":
        return bool(host)
    if parts.scheme != "http":
        return False
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _port(value: int | str) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"PORT must be a whole number between 1 and 65535, not {value!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"PORT must be between 1 and 65535, not {port}")
    return port
