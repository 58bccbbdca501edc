"""One verdict line for a set of headers, most decisive reason first.

Order, and why: outbound scans are about the sender's tenant, not a junk decision; the recipient's own lists
(Blocked/Safe Senders) and admin overrides beat the filter [JNK][TRB]; an inbox rule beats where the filter would
have put it; a trusted ARC seal can rescue a forwarded message that failed DMARC (compauth reason 130) [ARC]; then
DMARC enforcement, spoofing, threat categories, ASF, spam and bulk verdicts; finally where the mailbox put it
(dest:) when no filter verdict explains that. Sources as in headers_codes.
"""

from __future__ import annotations

from mailflow import headers_codes as codes
from mailflow.headers_report import HeaderReport, duration

_SPAM_SFV = {"SPM", "SKS", "SKB", "BLK"}


def _tag(r: HeaderReport, *extra: str) -> str:
    """"SFV:SPM, SCL 5, dest:J" - the stamps a verdict rests on, so a reader can check them."""
    parts = [f"SFV:{r.sfv}"] if r.sfv else []
    parts += [f"SCL {r.scl}"] if r.scl is not None else []
    parts += [f"dest:{r.mailbox_delivery['dest']}"] if r.mailbox_delivery and r.mailbox_delivery["dest"] else []
    return ", ".join(parts + list(extra))


def _spam(r: HeaderReport) -> bool:
    """Treated as spam by a verdict or by an SCL in the spam range (5 and up)."""
    return r.sfv in _SPAM_SFV or (r.scl is not None and r.scl >= 5)


def _ofr(r: HeaderReport) -> str | None:
    """OFR: from X-Microsoft-Antispam-Mailbox-Delivery, the reason for the placement."""
    return r.mailbox_delivery["ofr"] if r.mailbox_delivery else None


def _outbound(r: HeaderReport) -> str | None:
    """DIR:OUT is the sender tenant's outbound scan: it says nothing about the recipient's junk decision."""
    if r.field_value("DIR") != "OUT":
        return None
    tag = _tag(r, "DIR:OUT")
    if _spam(r) or r.field_value("CAT") == "OSPM":
        return (f"Microsoft 365's outbound spam filter marked it as spam ({tag}); outbound spam leaves through the "
                "high-risk delivery pool, which many receivers refuse or junk.")
    ct = r.cross_tenant or {}
    who = f" by tenant {ct['tenant_id']}" if ct.get("tenant_id") else ""
    entity = ct.get("from_entity")
    origin = {"HybridOnPrem": " from the organisation's on-premises servers (FromEntityHeader HybridOnPrem)",
              "Hosted": " from a cloud mailbox (FromEntityHeader Hosted)"}.get(entity or "", "")
    return (f"Sent out through Microsoft 365{who}{origin}; its outbound spam check found it clean "
            f"({tag}). These headers don't show where the recipient's system filed it.")


def _user_lists(r: HeaderReport) -> str | None:
    """The recipient's Blocked/Safe Senders lists overrule the spam filter."""
    if r.sfv == "BLK":
        if r.destination == "junk":
            return (f"Went to junk: the sender is on the recipient's Blocked Senders list, which overrules the spam "
                    f"filter; it landed in the Junk Email folder ({_tag(r)}).")
        return (f"Went to junk (or quarantine, if the anti-spam policy's spam action says so): the sender is on the "
                f"recipient's Blocked Senders list ({_tag(r)}).")
    if _ofr(r) == "TrustedSenderList" and r.destination == "inbox" and _spam(r):
        return (f"Delivered to the inbox despite the spam verdict: the recipient's Safe Senders list overruled the "
                f"filter ({_tag(r)}, OFR:TrustedSenderList).")
    if r.sfv == "SFE" or _ofr(r) == "TrustedSenderList":
        return f"Delivered to the inbox: sender is on the recipient's Safe Senders list ({_tag(r)})."
    return None


def _admin(r: HeaderReport) -> str | None:
    """Admin overrides: anti-spam policy lists, mail flow rules, the IP Allow List, quarantine release."""
    if r.sfv == "SKB":
        return f"Marked as spam: the sender is blocked in the anti-spam policy ({_tag(r)})."
    if r.sfv == "SKS":
        return (f"Marked as spam before filtering by a mail flow rule or, in hybrid, by on-premises Exchange "
                f"({_tag(r)}).")
    if r.field_value("IPV") == "CAL":
        return "Delivered to the inbox: sender is on the IP allow list (IPV:CAL)."
    allowed = {"SKA": "sender is allowed in the anti-spam policy",
               "SKN": "marked as not spam before filtering (for example a mail flow rule setting SCL -1)"}
    if r.sfv in allowed:
        return f"Delivered to the inbox: {allowed[r.sfv]} ({_tag(r)})."
    if r.sfv == "SKI" and not _spam(r):
        return f"Delivered to the inbox: intra-organisation message, spam filtering skipped ({_tag(r)})."
    if r.sfv == "SKQ":
        return f"Released from quarantine ({_tag(r)})."
    return None


def _inbox_rule(r: HeaderReport) -> str | None:
    """A user's own inbox rule moved it (OFR:CustomRules, ucf:1), whatever the filter said."""
    ucf = (r.mailbox_delivery or {}).get("ucf") == "1"
    if not (_ofr(r) == "CustomRules" or ucf) or r.destination not in {"junk", "folder"}:
        return None
    if r.destination == "folder":
        return f"Moved to another folder by the recipient's own inbox rule (OFR:CustomRules); filter verdict {_tag(r)}."
    also = "; the spam filter had also marked it as spam" if _spam(r) else ", not the spam filter"
    return f"Went to junk because of the recipient's own inbox rule (OFR:CustomRules){also} ({_tag(r)})."


def _failed_auth(r: HeaderReport) -> str:
    """"SPF, DKIM and DMARC failed" - whichever of them did."""
    failed = [m.upper() for m in ("spf", "dkim", "dmarc")
              if (d := getattr(r, m)) and d["result"] in {"fail", "softfail", "permerror"}]
    names = " and ".join([", ".join(failed[:-1]), failed[-1]] if len(failed) > 1 else failed)
    return f"{names or 'authentication'} failed"


def _arc(r: HeaderReport) -> str | None:
    """A forwarder broke SPF/DKIM/DMARC: its trusted ARC seal rescues the message, an untrusted one does not."""
    arc, comp, dmarc = r.arc, r.compauth or {}, r.dmarc or {}
    if not arc or not (arc["forwarder"] or arc["count"] > 1):
        return None
    via = arc["forwarder"] or "an intermediary"
    rescued = (comp.get("result") == "pass" and comp.get("reason") == "130") or (
        arc["trusted"] and dmarc.get("result") == "fail")
    junked = _spam(r) or r.destination == "junk"
    if rescued and not junked:
        code = f"compauth={comp['result']} reason={comp['reason']}" if comp else "arc=pass, oda=1"
        return (f"Delivered to the inbox: {_failed_auth(r)} after the message passed through {via}, but {via}'s ARC "
                f"seal shows it passed before, and Microsoft 365 trusts that sealer ({code}; {_tag(r)}).")
    oldest = arc["oldest"]["results"]
    preserved = [m for m in ("dmarc", "dkim", "spf") if oldest.get(m, {}).get("result") == "pass"]
    failed_now = dmarc.get("result") == "fail" or comp.get("result") == "fail"
    action = (dmarc.get("action") or "").lower()
    if failed_now and preserved and not arc["trusted"] and (junked or action in codes.DMARC_ENFORCED_ACTIONS):
        code = f"compauth={comp['result']} reason={comp['reason']}; " if comp else ""
        lead = "Went to junk as spoofed" if junked else f"Stopped as spoofed (DMARC action={action})"
        return (f"{lead}: {_failed_auth(r)} after the message passed through {via}; its ARC seal "
                f"shows {preserved[0]}=pass before that, but Microsoft 365 doesn't trust {via} as an ARC sealer "
                f"({code}{_tag(r)}). If {via} is a service you use, add it as a trusted ARC sealer.")
    return None


def _dmarc(r: HeaderReport) -> str | None:
    """DMARC enforcement: oreject junks; honoured quarantine/reject follow the anti-phishing policy."""
    dmarc = r.dmarc
    action = ((dmarc or {}).get("action") or "").lower()
    if not dmarc or dmarc["result"] != "fail" or action not in codes.DMARC_ENFORCED_ACTIONS:
        return None
    where = {"quarantine": "quarantine (Junk instead if the anti-phishing policy says so)",
             "reject": "rejected (quarantined instead if the anti-phishing policy says so)"}.get(action, "junk")
    if r.destination == "junk":
        where = "junk"
    return f"Failed DMARC for {dmarc['domain'] or 'the sender domain'}: action={dmarc['action']} -> {where}."


def _filter(r: HeaderReport) -> str | None:
    """Spoofing, threat categories, ASF, spam and bulk, in that order of severity."""
    comp, category, tag = r.compauth, r.field_value("CAT"), _tag(r)
    junk = _spam(r) or r.destination == "junk"
    if comp and comp["result"] == "fail" and junk:
        return (f"Went to junk as spoofed: composite authentication failed (compauth=fail reason={comp['reason']}: "
                f"{comp['meaning'] or 'unknown reason'}).")
    if category in {"PHSH", "HPHSH", "HPHISH", "MALW"}:
        return f"Caught as {codes.CAT[category]} (CAT:{category}, {tag})."
    if r.custom_spam and junk:
        return (f"Went to junk: an Advanced Spam Filter setting in the anti-spam policy matched (X-CustomSpam: "
                f"{r.custom_spam}; {tag}).")
    if r.sfv == "SPM" or (r.scl is not None and r.scl >= 5):
        kind = "high confidence spam" if category == "HSPM" or (r.scl is not None and r.scl >= 7) else "spam"
        return f"Went to junk because the spam filter marked it as {kind} ({tag})."
    if category == "BULK" or r.field_value("SRV") == "BULK":
        return f"Went to junk as bulk mail (BCL {r.bcl if r.bcl is not None else '?'}, {tag})."
    return None


def _placement(r: HeaderReport) -> str | None:
    """No decisive verdict: fall back on where the mailbox put it, then on a clean filter result."""
    tag = _tag(r)
    if r.destination == "junk":
        return (f"Went to junk ({tag}) although the spam filter did not mark it as spam: the recipient's own junk "
                "settings decided. Check their Blocked Senders list, 'safe lists only' (TrustedListsOnly) and rules.")
    if r.sfv == "NSPM" or (r.scl is not None and r.scl <= 1):
        return f"Delivered to the inbox: the spam filter found it clean ({tag})."
    if r.sfv or r.scl is not None:
        return f"Filtering verdict {tag}: no junk decision in these headers."
    return None


def _no_stamps(r: HeaderReport) -> str:
    """No Exchange Online stamps at all (another system's headers): hops, and SPF where Received-SPF gave it."""
    if not r.hops:
        return "Headers recognised, but no Received chain or filtering stamps to judge from."
    slow = next((h for h in r.hops if h.slowest), None)
    extra = f"; slowest hop {duration(slow.delay_s or 0)}" if slow else ""
    if r.spf and r.spf_source == "Received-SPF":
        rs = r.received_spf or {}
        extra += f"; SPF {r.spf['result']}" + (f" for {r.spf['domain']}" if r.spf["domain"] else "")
        extra += f" from {rs['client_ip']}" if rs.get("client_ip") else ""
        extra += f" (Received-SPF by {rs['receiver']})" if rs.get("receiver") else " (Received-SPF)"
    return f"No Exchange Online filtering stamps; {len(r.hops)} Received hop(s){extra}."


_RULES = (_outbound, _user_lists, _admin, _inbox_rule, _arc, _dmarc, _filter, _placement)


def verdict(report: HeaderReport) -> str:
    """The first rule that has something decisive to say, else what the hops alone show."""
    for rule in _RULES:
        if text := rule(report):
            return text
    return _no_stamps(report)
