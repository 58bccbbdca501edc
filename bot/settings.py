"""Settings of the Bot Framework endpoint, read once from the environment so nothing else reads os.environ."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3978
DEFAULT_MAX_BODY = 256 * 1024
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

    def __post_init__(self) -> None:
        # Caught here with a clear message rather than as a bare Exception from inside botbuilder.
        _port(self.port)
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be positive")
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
                 nameservers: tuple[str, ...] = (), live_checks: bool | None = None) -> Settings:
        """Build from ``environ`` (MAILFLOW_HOST, PORT, MAILFLOW_NAMESERVERS, MAILFLOW_LIVE_CHECKS and the
        standard Microsoft* names); arguments win."""
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
        )

    def sdk_config(self) -> SdkConfig:
        """The attribute-style object botbuilder's ConfigurationBotFrameworkAuthentication reads."""
        return SdkConfig(self.app_id, self.app_password, self.app_type, self.tenant_id)


@dataclass(frozen=True)
class SdkConfig:
    """Mirrors the SDK samples' ``DefaultConfig`` attribute names."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def _port(value: int | str) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"PORT must be a whole number between 1 and 65535, not {value!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"PORT must be between 1 and 65535, not {port}")
    return port
