"""Scripted conversations, written as a technician would type them, each with the outcome it must reach.

The same scripts run through the engine, the console (a subprocess) and HTTP (/api/messages).
"""

from __future__ import annotations

from dataclasses import dataclass

S, R, D = "me@fabrikam.com", "user@contoso.com", "yesterday"
OUT_S, OUT_R = "user@contoso.com", "someone@fabrikam.com"


@dataclass(frozen=True)
class Script:
    name: str
    inputs: tuple[str, ...]
    flow: str
    state: str


def _a(state: str, *answers: str) -> Script:
    return Script(f"A-{state}", ("2", S, R, D, *answers), "scenario_a", state)


def _b(state: str, *answers: str) -> Script:
    return Script(f"B-{state}", ("3", S, R, D, "contoso", *answers), "scenario_b", state)


SCRIPTS: tuple[Script, ...] = (
    # Case A: outside sender -> Office 365 (MX on EOP).
    _a("delivered_found", "delivered", "yes"),
    _a("delivered_missing", "delivered", "no"),
    _a("failed_recipient", "failed", "recipient"),
    _a("failed_policy", "failed", "policy"),
    _a("escalate_trace", "failed", "other"),
    _a("pending_mailbox", "pending", "mailbox"),
    _a("pending_routing", "pending", "routing"),
    _a("quarantined", "quarantined"),
    _a("spam_auth", "spam", "auth"),
    _a("spam_content", "spam", "content"),
    _a("mx_wrong", "none", "other"),
    _a("need_logs", "none", "eop", "no"),
    _a("blocklist_delist", "none", "eop", "yes", "203.0.113.25", "blocked", "no"),
    _a("escalate_connection", "none", "eop", "yes", "203.0.113.25", "blocked", "yes"),
    _a("rejected_by_us", "none", "eop", "yes", "203.0.113.25", "ours"),
    _a("no_connect", "none", "eop", "yes", "203.0.113.25", "noconnect"),
    _a("connector_create", "none", "eop", "yes", "203.0.113.25", "later", "server.fabrikam.com", "none"),
    _a("connector_fix", "none", "eop", "yes", "203.0.113.25", "later", "server.fabrikam.com", "differs"),
    _a("sender_connector_fix", "none", "eop", "yes", "203.0.113.25", "other", "server.fabrikam.com", "matches",
       "no"),
    Script("A-to-B", ("2", S, R, D, "none", "onprem", "contoso"), "scenario_b", "exo_trace"),
    # Case B: outside sender -> hybrid (MX on-premises).
    _b("exo_delivered", "delivered"),
    _b("exo_address", "failed", "address"),
    _b("escalate_cloud", "failed", "other"),
    _b("exo_pending", "pending"),
    _b("exo_quarantined", "quarantined"),
    _b("exo_spam", "spam"),
    _b("rra_wrong", "none", "local", "remote", "no"),
    _b("onprem_mailbox", "none", "local", "mailbox"),
    _b("external_address", "none", "local", "mailuser"),
    _b("public_folder", "none", "local", "publicfolder"),
    _b("recipient_missing", "none", "local", "notfound"),
    _b("onprem_refused", "none", "none", "mail.contoso.com", "refused"),
    _b("logging_off", "none", "none", "mail.contoso.com", "off"),
    _b("firewall_blocked", "none", "none", "mail.contoso.com", "nothing", "no"),
    _b("sender_never_tried", "none", "none", "mail.contoso.com", "nothing", "yes"),
    _b("connector_missing", "none", "stuck", "no"),
    _b("wrong_route", "none", "stuck", "yes", "other"),
    _b("no_route_out", "none", "stuck", "yes", "hybrid", "noconnect"),
    _b("escalate_onprem", "none", "stuck", "yes", "hybrid", "other"),
    _b("ip_blocked", "none", "stuck", "yes", "hybrid", "blocked"),
    _b("connector_mismatch", "none", "stuck", "yes", "hybrid", "later", "no"),
    # Finding the case by describing it, then the end-user path and the general explanation.
    Script("describe-A", ("mail from gmail to our O365 users bounces", "yes", S, R, D, "quarantined"),
           "scenario_a", "quarantined"),
    Script("questions-B", ("6", "inbound", "cloud", "onprem", S, R, D, "contoso", "delivered"),
           "scenario_b", "exo_delivered"),
    Script("user-typo", ("7", "bounce", "5.1.1", "no"), "end_user", "typo"),
    Script("user-ticket", ("7", "bounce", "550 5.1.1 RESOLVER.ADR.RecipNotFound", "yes", "me@contoso.com",
                           "them@fabrikam.com", "yesterday", "Invoice 4711"), "end_user", "ticket"),
    Script("user-outbox", ("7", "silent", "no"), "end_user", "outbox"),
    Script("user-junk", ("7", "incoming", "yes"), "end_user", "found_in_junk"),
    Script("general", ("1", "next", "next", "next", "next", "done"), "general", "finished"),
)
