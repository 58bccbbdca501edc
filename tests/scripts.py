"""Scripted conversations, written as a technician would type them, each with the outcome it must reach.

The same scripts run through the engine, the console (a subprocess) and HTTP (/api/messages).
"""

from __future__ import annotations

from dataclasses import dataclass

S, R, D = "me@fabrikam.com", "user@contoso.com", "yesterday"
OUT_S, OUT_R = "user@contoso.com", "someone@fabrikam.com"
K = "Outbound to contoso on-premises"


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


def _c(state: str, *answers: str) -> Script:
    return Script(f"C-{state}", ("4", OUT_S, OUT_R, D, *answers), "scenario_c", state)


def _d(state: str, *answers: str) -> Script:
    return Script(f"D-{state}", ("5", OUT_S, OUT_R, D, "mail.contoso.com", *answers), "scenario_d", state)


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
    # Case C: Office 365 -> outside recipient.
    _c("never_sent", "none", "outbox"),
    _c("trace_gap", "none", "sent"),
    _c("recipient_dns", "failed", "dns"),
    _c("bad_address", "failed", "remote", "no", "unknown"),
    _c("remote_refused", "failed", "remote", "no", "other"),
    _c("fix_auth", "failed", "remote", "no", "policy", "no"),
    _c("hrdp_content", "failed", "remote", "yes", "content"),
    _c("remote_tempfail", "pending", "noanswer", "temp"),
    _c("remote_unreachable", "pending", "noanswer", "noconnect"),
    _c("support", "pending", "noanswer", "ok", "yes"),
    _c("restricted_sender", "failed", "restricted"),
    _c("own_policy", "failed", "policy"),
    _c("tenant_limited", "failed", "tenant"),
    _c("delivered_silent", "delivered", "their"),
    _c("delivered_bounced", "delivered", "bounce"),
    _c("unexpected_route", "delivered", "other"),
    Script("C-to-D", ("4", OUT_S, OUT_R, D, "delivered", "onprem"), "scenario_d", "ask_onprem"),
    # Case D: hybrid with centralized mail flow.
    _d("never_sent", "none", "outbox"),
    _d("trace_gap", "none", "sent"),
    _d("outbound_spam", "spam"),
    _d("connector_mismatch", "failed", K, "wrongname"),
    _d("cmt_off", "failed", K, "direct"),
    _d("connector_settings", "failed", K, "yes", "refused", "no"),
    _d("onprem_rejects", "failed", K, "yes", "refused", "yes", "rejected"),
    _d("firewall", "pending", K, "yes", "noanswer", "none"),
    _d("support", "pending", K, "yes", "noanswer", "unclear"),
    _d("remote_delivered", "delivered", K, "yes", "sent"),
    _d("bad_address", "delivered", K, "yes", "unknown"),
    _d("remote_refused", "delivered", K, "yes", "refused", "yes"),
    _d("fix_auth", "delivered", K, "yes", "refused", "no"),
    _d("onprem_outbound", "delivered", K, "yes", "queued", "blocked"),
    _d("remote_unreachable", "delivered", K, "yes", "queued", "theirs"),
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
    Script("questions-D", ("6", "2", "yes", OUT_S, OUT_R, D, "mail.contoso.com", "spam"), "scenario_d",
           "outbound_spam"),
    Script("describe-C", ("our users can't send to yahoo", "y", OUT_S, OUT_R, D, "delivered", "their"), "scenario_c",
           "delivered_silent"),
)
