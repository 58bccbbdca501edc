"""The report one set of message headers decodes into, shared by the per-header decoders (headers_auth, headers_arc,
headers_antispam, headers_exchange) and the verdict, so none of them imports another."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mailflow.headers_parse import Hop
from mailflow.smtp_findings import Finding


@dataclass
class HeaderReport:
    """Everything decoded from one set of headers; to_json() is what channels render.

    The first keys of to_json() (kind, findings, hops, spf, dkim, dmarc, scl, sfv) are the documented interface of
    `mailflow explain --kind headers --json`; later keys are additions and may grow, never change meaning.
    """

    hops: list[Hop] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    spf: dict[str, Any] | None = None
    spf_source: str | None = None  # which header spf came from: Authentication-Results, Received-SPF, ...
    dkim: dict[str, Any] | None = None
    dmarc: dict[str, Any] | None = None
    compauth: dict[str, Any] | None = None
    received_spf: dict[str, Any] | None = None
    auth_original: list[dict[str, Any]] = field(default_factory=list)  # Authentication-Results-Original, each
    arc: dict[str, Any] | None = None
    antispam: list[dict[str, Any]] = field(default_factory=list)  # X-Forefront-Antispam-Report field by field
    custom_spam: str | None = None  # X-CustomSpam: the Advanced Spam Filter setting that matched
    scl: int | None = None
    sfv: str | None = None
    bcl: int | None = None
    auth_as: str | None = None
    auth_source: str | None = None
    directionality: str | None = None
    network_message_id: str | None = None
    cross_tenant: dict[str, Any] | None = None
    mailbox_delivery: dict[str, Any] | None = None
    destination: str | None = None  # "junk" / "inbox" / "folder" from X-Microsoft-Antispam-Mailbox-Delivery dest:
    message: dict[str, Any] = field(default_factory=dict)  # from, to, date, message_id, client_ip (CIP)
    verdict: str = "No message headers were recognised."

    def field_value(self, name: str) -> str | None:
        """An X-Forefront-Antispam-Report field, upper-cased, or None when absent."""
        return next((a["value"].upper() for a in self.antispam if a["field"] == name), None)

    def to_json(self) -> dict[str, Any]:
        return {"kind": "headers", "findings": [f.to_json() for f in self.findings],
                "hops": [h.to_json() for h in self.hops], "spf": self.spf, "dkim": self.dkim, "dmarc": self.dmarc,
                "compauth": self.compauth, "antispam": self.antispam, "scl": self.scl, "sfv": self.sfv,
                "bcl": self.bcl, "auth_as": self.auth_as, "directionality": self.directionality,
                "destination": self.destination, "verdict": self.verdict,
                "spf_source": self.spf_source, "received_spf": self.received_spf,
                "auth_original": self.auth_original, "arc": self.arc, "custom_spam": self.custom_spam,
                "auth_source": self.auth_source, "network_message_id": self.network_message_id,
                "cross_tenant": self.cross_tenant, "mailbox_delivery": self.mailbox_delivery, "message": self.message}


def duration(seconds: float) -> str:
    """A delay the way people say it: seconds, minutes or hours, with the exact seconds beside the rounded figure."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ({seconds:.0f} s)"
    return f"{seconds / 3600:.1f} h ({seconds:.0f} s)"


def int_or_none(value: str | None) -> int | None:
    """An integer header value, or None when missing or not a number (pasted headers are often damaged)."""
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None
