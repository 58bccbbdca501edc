"""What the DNS checks together say about Microsoft 365: is it used, is it hybrid, which scenario.

Pure functions over the check results, so the rules can be tested without DNS. The scenario
letters are the article's: A third party to Office 365, B third party to hybrid (MX on-premises),
C Office 365 to third party, D hybrid with centralized mail flow to third party.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mailflow.dns_microsoft import AutodiscoverResult, DkimResult, TenantRouting
from mailflow.dns_mx import MxResult
from mailflow.dns_spf import EOP_SPF, SpfResult
from mailflow.dnsquery import display_name
from mailflow.verdict import Verdict

SIDES = ("sender", "recipient")


@dataclass(frozen=True)
class Microsoft365:
    microsoft365: bool  # any sign of Microsoft 365 at all
    signals: tuple[str, ...]  # one sentence per sign
    hybrid: bool  # MX elsewhere while other records point to Microsoft 365
    tenant: str | None
    routing: TenantRouting | None
    verdict: Verdict
    summary: str
    notes: tuple[str, ...] = field(default=())
    filtered_by: str | None = None  # a known third-party service in front of Microsoft 365 (hybrid is True)

    def to_json(self) -> dict[str, Any]:
        return {"microsoft365": self.microsoft365, "signals": list(self.signals), "hybrid": self.hybrid,
                "filtered_by": self.filtered_by,
                "tenant": self.tenant, "routing": self.routing.to_json() if self.routing else None,
                "notes": list(self.notes), "verdict": str(self.verdict), "summary": self.summary}


def _signals(mx: MxResult, spf: SpfResult, dkim: DkimResult, autodiscover: AutodiscoverResult) -> list[str]:
    found = []
    if mx.on_exchange_online:
        found.append("MX points to Exchange Online.")
    if spf.includes_exchange_online:
        found.append(f"SPF includes {EOP_SPF}.")
    if dkim.tenant:
        found.append(f"DKIM selectors point to Microsoft 365 (tenant {dkim.tenant}).")
    if autodiscover.microsoft365:
        found.append("autodiscover points to autodiscover.outlook.com.")
    return found


def assess(mx: MxResult, spf: SpfResult, dkim: DkimResult, autodiscover: AutodiscoverResult,
           routing: TenantRouting | None = None) -> Microsoft365:
    """Fold the individual checks into the Microsoft 365 picture a technician needs first."""
    signals = _signals(mx, spf, dkim, autodiscover)
    domain = display_name(mx.domain)
    if not signals:
        if any(c.verdict is Verdict.UNCHECKED for c in (mx, spf, dkim, autodiscover)):
            return Microsoft365(False, (), False, None, routing, Verdict.UNCHECKED,
                                f"Could not tell whether {domain} uses Microsoft 365: some DNS lookups failed.")
        return Microsoft365(False, (), False, None, routing, Verdict.NOT_FOUND,
                            f"No sign of Microsoft 365 in the DNS of {domain}.")
    hybrid = mx.provider == "other"
    filtered_by = mx.provider_name if hybrid and mx.provider_name else None
    front = mx.hosts[0].host if mx.hosts else "another server"
    tenant = f" (tenant {dkim.tenant})" if dkim.tenant else ""
    warnings: list[str] = []
    notes: list[str] = []
    if mx.on_exchange_online and spf.record and not spf.includes_exchange_online and spf.complete:
        warnings.append(f"{domain} receives mail in Exchange Online, but its SPF does not include {EOP_SPF}, so "
                        "mail sent from Microsoft 365 fails SPF.")
    if hybrid and not filtered_by and routing and routing.on_exchange_online is False:
        warnings.append(f"{domain} looks hybrid (mail arrives at {front}), but {routing.routing_domain} has no "
                        "Exchange Online MX, so on-premises servers cannot forward mail to cloud mailboxes.")
    if filtered_by:
        notes.append(f"Mail reaches {filtered_by} before Microsoft 365; Exchange Online needs an inbound connector "
                     "and Enhanced Filtering for Connectors to see the original sender.")
    if routing and routing.on_exchange_online:
        notes.append(f"{routing.routing_domain} routes to Exchange Online.")
    if warnings:
        summary = warnings[0]
    elif filtered_by:
        summary = f"{domain} uses Microsoft 365{tenant}, with mail passing through {filtered_by} ({front}) first."
    elif hybrid:
        summary = (f"{domain} looks hybrid: mail arrives at {front} (probably on-premises Exchange) while other "
                   f"records point to Microsoft 365{tenant}.")
    elif mx.on_exchange_online:
        summary = f"{domain} receives mail directly in Exchange Online{tenant}."
    else:
        summary = f"{domain} shows Microsoft 365 records{tenant} but receives no mail through MX."
    return Microsoft365(True, tuple(signals), hybrid, dkim.tenant, routing,
                        Verdict.WARNING if warnings else Verdict.OK, summary, tuple(warnings + notes), filtered_by)


@dataclass(frozen=True)
class ScenarioHint:
    inbound: str | None  # "A" (MX on Exchange Online), "B" (MX elsewhere, Microsoft 365 behind it), None
    outbound: str | None  # "C" when the domain sends from Microsoft 365, None without Microsoft 365
    side: str | None  # "sender", "recipient" or None when not said
    reasons: tuple[str, ...]

    @property
    def scenario(self) -> str | None:
        """The letter for the side the domain is on, when the side is known."""
        return {"recipient": self.inbound, "sender": self.outbound}.get(self.side or "")

    def to_json(self) -> dict[str, Any]:
        return {"inbound": self.inbound, "outbound": self.outbound, "side": self.side, "scenario": self.scenario,
                "reasons": list(self.reasons)}


def scenario_hint(mx: MxResult, m365: Microsoft365, side: str | None = None) -> ScenarioHint:
    """The article's scenario letter(s) for this domain; reasons say what the guess rests on."""
    if side is not None and side not in SIDES:
        raise ValueError(f"side must be one of {SIDES} or None, not {side!r}")
    domain = display_name(mx.domain)
    if not m365.microsoft365:
        reason = (f"{domain} shows no Microsoft 365 records, so none of the scenarios A-D apply to its side."
                  if m365.verdict is Verdict.NOT_FOUND else f"The DNS lookups for {domain} failed, so its scenario "
                  "cannot be told from DNS.")
        return ScenarioHint(None, None, side, (reason,))
    inbound_reason = (f"A: mail to {domain} enters Exchange Online Protection directly (MX)." if mx.on_exchange_online
                      else f"B: mail to {domain} reaches {mx.hosts[0].host} first, then Microsoft 365."
                      if m365.hybrid and mx.hosts else "")
    inbound = inbound_reason[:1] or None
    outbound_reason = f"C: mail from {domain} leaves through Exchange Online."
    if m365.hybrid:
        outbound_reason += (" If centralized mail flow sends it through on-premises first, it is D; DNS cannot "
                            "show that.")
    reasons = [r for r in (inbound_reason, outbound_reason) if r]
    if side == "sender":
        reasons.reverse()
    reasons += [f"Based on: {' '.join(m365.signals)}"]
    return ScenarioHint(inbound, "C", side, tuple(reasons))
