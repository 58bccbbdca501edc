"""Plain-English meanings of the codes Exchange Online / EOP stamps into message headers.

Kept apart from the parser so the tables can be read (and corrected) without wading through regexes. The texts are
our own words. Sources, cited per table below:
  [HDR]  Microsoft Learn "Anti-spam message headers in cloud organizations"
         (MicrosoftDocs/defender-docs defender-office-365/message-headers-eop-mdo.md, ms.date 07/07/2025; the
         12/02/2022 version in microsoft-365-docs where noted)
  [SCL]  "Spam confidence level (SCL)" (defender-docs anti-spam-spam-confidence-level-scl-about.md)
  [BCL]  "Bulk complaint level (BCL)" (defender-docs anti-spam-bulk-complaint-level-bcl-about.md)
  [TRB]  "Troubleshoot anti-spam policies", component table (defender-docs anti-spam-policies-troubleshooting.md)
  [JNK]  "Configure junk email settings on Exchange Online mailboxes"
         (defender-docs configure-junk-email-settings-on-exo-mailboxes.md)
  [APH]  anti-phishing policy settings HonorDmarcPolicy / DmarcQuarantineAction / DmarcRejectAction
         (recommended-settings-for-eop-and-office365.md, anti-phishing-policies-eop-configure.md)
  [ARC]  "Configure trusted ARC sealers" (defender-docs email-authentication-arc-configure.md)
  [7208] RFC 7208 §2.6 SPF results
Codes seen in real Exchange Online headers but not documented (SFP, SFS, EFV, SRVR) are labelled as such.
"""

from __future__ import annotations

# X-Forefront-Antispam-Report field names [HDR]; SFP/SFS/EFV/SRVR are undocumented ("used by the anti-spam team").
FOREFRONT_FIELDS: dict[str, str] = {
    "ARC": "Authenticated Received Chain details (AAR, AMS and AS with its cv= chain result)",
    "CAT": "protection policy category applied to the message",
    "CIP": "IP address of the server that connected to Microsoft 365",
    "CTRY": "country/region of the connecting IP address",
    "DIR": "direction of the message",
    "EFV": "IP reputation (edge filter) verdict (undocumented)",
    "H": "HELO/EHLO name the connecting server gave",
    "IPV": "IP reputation verdict",
    "LANG": "language the message was written in",
    "PTR": "reverse DNS (PTR) name of the connecting IP",
    "SCL": "spam confidence level (-1 to 9)",
    "SFP": "spam filter policy code (undocumented)",
    "SFS": "spam filter rules that matched (undocumented internal rule numbers)",
    "SFTY": "phishing safety-tip verdict",
    "SFV": "spam filter verdict",
    "SRV": "bulk mail verdict",
    "SRVR": "Microsoft server that filtered the message (undocumented)",
}

# SFV values [HDR]; SKS also from [TRB]; BLK's junk-or-quarantine from [JNK]; SFE's SCL -1 from [JNK].
# SKI: Microsoft's pages disagree. Before 2022 [HDR] said "skipped filtering, e.g. intra-organisation mail"; the
# 12/2022 [HDR] says intra-organisation mail marked by content (SCL 1, or 5-9 for spam); the 2025 [HDR] drops it;
# [TRB] ties it to the IP Allow List (with IPV:CAL). The text says what all agree on.
SFV: dict[str, str] = {
    "BLK": "filtering skipped: the sender is on the recipient's Blocked Senders list, so it is treated as spam "
    "(Junk Email folder, or quarantine if the anti-spam policy's spam action says so)",
    "NSPM": "the spam filter found the message clean (not spam)",
    "SFE": "filtering skipped: the sender is on the recipient's Safe Senders list (SCL -1, kept out of Junk)",
    "SKA": "filtering skipped: the sender is allowed in the anti-spam policy (allowed senders/domains); inbox",
    "SKB": "marked as spam: the sender is blocked in the anti-spam policy (blocked senders/domains)",
    "SKI": "message inside the organisation (or, per one Microsoft page, from an IP Allow List source); judged "
    "without the normal inbound spam filtering",
    "SKN": "marked as not spam before filtering (for example a mail flow rule setting SCL -1 / bypass spam filtering)",
    "SKQ": "released from quarantine to the recipients",
    "SKS": "marked as spam before filtering, by a mail flow rule setting SCL 5-9 or by on-premises Exchange (hybrid)",
    "SPM": "the spam filter marked the message as spam",
}

# CAT values [HDR] (2025 list adds BIMP, INTOS). NONE is not documented but common: nothing matched.
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
    "SPOOF": "spoofing",
    "UIMP": "user impersonation",
}

# IPV values [HDR], [TRB].
IPV: dict[str, str] = {
    "CAL": "the source IP is on the IP Allow List in the connection filter policy, so spam filtering was skipped",
    "NLI": "the source IP is not on any IP reputation list",
}

# SFTY values [HDR]: all three come with a phishing identification; 9.25 only "might" indicate phishing.
SFTY: dict[str, str] = {
    "9.19": "domain impersonation: the sending domain looks like a protected domain",
    "9.20": "user impersonation: the sender looks like a protected user or someone in your organisation",
    "9.25": "first contact safety tip: the recipient doesn't usually get mail from this sender (may be suspicious)",
}

# DIR values [HDR] (documented since 2024; earlier only seen in real headers).
DIR: dict[str, str] = {"INB": "inbound (from outside the organisation)", "OUT": "outbound (leaving the organisation)",
                       "INT": "internal (inside the organisation)"}

# DMARC action= in Authentication-Results. none/oreject/pct.*/permerror/temperror: [HDR] (oreject from the 12/2022
# version). quarantine/reject: seen in real EXO headers since the anti-phishing "honor DMARC policy" settings [APH].
# Note: the 06/2025 DMARC set-up page (email-authentication-dmarc-configure.md) says pct.* means the message *was*
# in the sampled percentage and that oreject means rejected; that contradicts [HDR], which we follow.
DMARC_ACTION: dict[str, str] = {
    "none": "no DMARC action was applied (DMARC passed, the domain publishes p=none, or a trusted ARC result "
    "overrode the failure)",
    "oreject": "override reject: the domain's policy is p=reject, but Microsoft 365 marked the message as spam "
    "instead of rejecting it",
    "o.reject": "override reject: the domain's policy is p=reject, but Microsoft 365 marked the message as spam "
    "instead of rejecting it",
    "quarantine": "the domain's p=quarantine policy was honoured (quarantine by default, or Junk if the "
    "anti-phishing policy says so)",
    "reject": "the domain's p=reject policy was honoured (rejected by default, or quarantined if the anti-phishing "
    "policy says so)",
    "pct.quarantine": "p=quarantine with pct below 100: this message fell outside the percentage, so the policy "
    "was not applied",
    "pct.reject": "p=reject with pct below 100: this message fell outside the percentage, so the policy was not "
    "applied",
    "permerror": "the sender's DMARC record is broken (permanent error); only the domain owner can fix it",
    "temperror": "the DMARC lookup failed temporarily (DNS error); a later attempt may work",
}

# DMARC actions under which Exchange Online junks, quarantines or rejects the message instead of delivering it.
DMARC_ENFORCED_ACTIONS = {"oreject", "o.reject", "quarantine", "reject"}

# SPF results [7208] §2.6, worded after [HDR]'s spf= list.
SPF_RESULT: dict[str, str] = {
    "pass": "the sending IP is allowed by the domain's SPF record",
    "fail": "the domain's SPF record says this IP must not send for it (-all)",
    "softfail": "the IP is not in the domain's SPF record, which asks receivers to accept but mark it (~all)",
    "neutral": "the domain's SPF record makes no statement about this IP (?all)",
    "none": "there is no SPF record (or no domain) to check",
    "temperror": "a temporary error (usually DNS) stopped the check",
    "permerror": "the SPF record is broken (permanent error)",
}


def compauth_meaning(reason: str | None) -> str | None:
    """What a compauth reason code says [HDR]: a few exact codes, else the first digit is the family."""
    if not reason or not reason.isdigit():
        return None
    exact = {
        "000": "explicit fail: the message failed DMARC and the domain's policy is p=quarantine or p=reject",
        "001": "implicit fail: the domain publishes no authentication records, or only weak ones (SPF ~all or ?all, "
        "DMARC p=none), and the message did not authenticate",
        "002": "an admin has prohibited this sender/domain pair from sending spoofed mail",
        "010": "failed DMARC with p=quarantine or p=reject, and the domain is one of your own accepted domains "
        "(self-to-self spoofing)",
        "130": "pass: ARC was used to override a DMARC failure (the forwarder's ARC seal is trusted)",  # [ARC]
    }
    if reason in exact:
        return exact[reason]
    family = {
        "1": "pass: the message passed composite authentication (last two digits are Microsoft-internal)",
        "7": "pass: the message passed composite authentication (last two digits are Microsoft-internal)",
        "2": "soft pass: implicit authentication soft-passed",
        "3": "not checked: composite authentication was not evaluated",
        "4": "bypassed: composite authentication was skipped (last two digits are Microsoft-internal)",
        "9": "bypassed: composite authentication was skipped (last two digits are Microsoft-internal)",
        "6": "implicit fail: the message claims one of your own accepted domains and failed authentication "
        "(self-to-self spoofing)",
    }
    return family.get(reason[0])


def scl_meaning(scl: int) -> str:
    """Where Exchange Online puts a message with this SCL, by default [SCL]."""
    if scl == -1:
        return "spam filtering was skipped (safe sender, safe recipient, IP Allow List or a rule); inbox"
    if scl in (0, 1):
        return "not spam; delivered to the inbox"
    if 2 <= scl <= 4:
        return ("never set by Microsoft 365's own spam filter (a mail flow rule or another system set it); below "
                "the spam range, so the inbox")
    if scl in (5, 6):
        return "spam; Junk Email folder by default (quarantine under the Strict preset policy)"
    if 7 <= scl <= 9:
        return ("high confidence spam; Junk Email folder under the default policy, quarantine under the Standard and "
                "Strict presets (7 usually comes from analyst grading, a DMARC failure or a mail flow rule)")
    return "outside the documented range -1 to 9"


def bcl_meaning(bcl: int) -> str:
    """Bulk complaint level [BCL]; thresholds 7 (default policy), 6 (Standard preset), 5 (Strict preset)."""
    if bcl == 0:
        return "not from a bulk sender"
    if 1 <= bcl <= 3:
        return "bulk sender with few complaints"
    if 4 <= bcl <= 7:
        return ("bulk sender with a mixed number of complaints (bulk threshold: 7 in the default policy, 6 Standard, "
                "5 Strict)")
    if bcl in (8, 9):
        return "bulk sender with many complaints"
    return "outside the documented range 0 to 9"
