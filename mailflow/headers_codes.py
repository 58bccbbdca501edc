"""Plain-English meanings of the codes Exchange Online / EOP stamps into message headers.

Kept apart from the parser so the tables can be read (and corrected) without wading through regexes.
Sources: Microsoft's "Anti-spam message headers" page (message-headers-eop-mdo.md), the Exchange header-firewall
page, and codes seen in real Exchange Online headers that the documentation does not list (DIR, SFP, SFS, EFV, SRVR).
"""

from __future__ import annotations

# X-Forefront-Antispam-Report field names.
FOREFRONT_FIELDS: dict[str, str] = {
    "ARC": "ARC (Authenticated Received Chain) result of the previous hop",
    "CAT": "protection policy category applied to the message",
    "CIP": "IP address of the server that connected to Microsoft 365",
    "CTRY": "country of the connecting IP address",
    "DIR": "direction of the message",
    "EFV": "IP reputation (edge filter) verdict",
    "H": "HELO/EHLO name the connecting server gave",
    "IPV": "IP reputation verdict",
    "LANG": "language the message was written in",
    "PTR": "reverse DNS (PTR) name of the connecting IP",
    "SCL": "spam confidence level (-1 to 9)",
    "SFP": "spam filter policy code (undocumented)",
    "SFS": "spam filter rules that matched (undocumented internal rule numbers)",
    "SFTY": "impersonation / safety tip verdict",
    "SFV": "spam filter verdict",
    "SRV": "bulk mail verdict",
    "SRVR": "Microsoft server that filtered the message",
}

SFV: dict[str, str] = {
    "BLK": "skipped filtering and blocked: the sender is on the recipient's Blocked Senders list",
    "NSPM": "the spam filter found the message clean (not spam)",
    "SFE": "skipped filtering: the sender is on the recipient's Safe Senders list",
    "SKA": "skipped filtering: the sender is allowed in the anti-spam policy (allowed senders/domains)",
    "SKB": "marked as spam: the sender is blocked in the anti-spam policy (blocked senders/domains)",
    "SKI": "skipped filtering: intra-organisation message",
    "SKN": "marked as non-spam before filtering (for example a mail flow rule setting SCL -1)",
    "SKQ": "released from quarantine",
    "SKS": "marked as spam before filtering (for example by a mail flow rule)",
    "SPM": "the spam filter marked the message as spam",
}

CAT: dict[str, str] = {
    "AMP": "anti-malware",
    "BIMP": "brand impersonation",
    "BULK": "bulk mail",
    "DIMP": "domain impersonation",
    "FTBP": "anti-malware common attachments filter",
    "GIMP": "mailbox intelligence impersonation",
    "HPHISH": "high confidence phishing",
    "HPHSH": "high confidence phishing",
    "HSPM": "high confidence spam",
    "INTOS": "intra-organisation phishing",
    "MALW": "malware",
    "NONE": "no category",
    "OSPM": "outbound spam",
    "PHSH": "phishing",
    "SAP": "Safe Attachments",
    "SPM": "spam",
    "SPOOF": "spoofing (failed composite authentication)",
    "UIMP": "user impersonation",
}

IPV: dict[str, str] = {
    "CAL": "the source IP is on the IP Allow List in the connection filter policy, so spam filtering was skipped",
    "NLI": "the source IP is not on any IP reputation list",
}

SFTY: dict[str, str] = {
    "9.19": "domain impersonation",
    "9.20": "user impersonation",
    "9.25": "first contact safety tip (the recipient rarely gets mail from this sender)",
}

DIR: dict[str, str] = {"INB": "inbound (from outside the organisation)", "OUT": "outbound", "INT": "internal"}

# DMARC action= as stamped by EOP in Authentication-Results.
DMARC_ACTION: dict[str, str] = {
    "none": "the sender's DMARC policy is p=none (or DMARC passed), so nothing was enforced",
    "oreject": "override reject: the domain's policy is p=reject, but Microsoft 365 sent it to junk instead of "
    "rejecting it",
    "oquarantine": "override quarantine: the domain's policy is p=quarantine and Microsoft 365 delivered to junk",
    "quarantine": "the domain's p=quarantine policy was honoured (junk or quarantine per the anti-phishing policy)",
    "reject": "the domain's p=reject policy was honoured (the message was rejected or quarantined)",
    "pct.quarantine": "p=quarantine with pct<100: this message fell outside the percentage and was not quarantined",
    "pct.reject": "p=reject with pct<100: this message fell outside the percentage and was not rejected",
    "permerror": "the sender's DMARC record is broken (permanent error)",
    "temperror": "the DMARC lookup failed temporarily (DNS error)",
}

# DMARC actions under which Exchange Online puts the message in junk (or quarantine).
DMARC_JUNK_ACTIONS = {"oreject", "oquarantine", "quarantine", "reject"}


def compauth_meaning(reason: str | None) -> str | None:
    """What a compauth reason code says; the first digit is the family, a few exact codes are special."""
    if not reason or not reason.isdigit():
        return None
    exact = {
        "000": "explicit fail: the message failed DMARC and the sender's policy is reject or quarantine",
        "001": "implicit fail: the message failed implicit authentication (no DMARC policy to rely on)",
        "002": "the organisation's policy prohibits this sender/domain pair from sending spoofed mail",
        "010": "failed DMARC with a reject or quarantine policy, and the domain is one of your own accepted domains",
    }
    if reason in exact:
        return exact[reason]
    family = {
        "1": "pass: the sender's domain was authenticated",
        "7": "pass: the sender was authenticated (implicitly)",
        "2": "soft pass: authentication was not conclusive but not failed either",
        "3": "not checked: composite authentication was not evaluated",
        "4": "bypassed: the sender is allowed, so composite authentication was skipped",
        "9": "bypassed: the sender is allowed, so composite authentication was skipped",
        "6": "implicit fail: intra-organisation message that failed authentication",
    }
    return family.get(reason[0])


def scl_meaning(scl: int) -> str:
    """Where Exchange Online puts a message with this SCL under the default anti-spam policy."""
    if scl == -1:
        return "spam filtering was skipped (trusted sender or rule); delivered to the inbox"
    if scl <= 1:
        return "not spam; delivered to the inbox"
    if scl <= 4:
        return "not enough evidence of spam; normally delivered to the inbox"
    if scl <= 6:
        return "spam; delivered to the Junk Email folder by default"
    return "high confidence spam; junk or quarantine depending on the anti-spam policy"


def bcl_meaning(bcl: int) -> str:
    """Bulk complaint level; the default anti-spam policy treats BCL 7 and above as bulk."""
    if bcl == 0:
        return "not from a bulk sender"
    if bcl <= 3:
        return "bulk sender with few complaints"
    if bcl <= 7:
        return "bulk sender with a mixed number of complaints (the default bulk threshold is 7)"
    return "bulk sender with many complaints"
