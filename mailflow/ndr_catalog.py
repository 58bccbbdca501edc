"""Exchange Online non-delivery codes as plain data, and a way to explain any RFC 3463 enhanced status code.

Why plain data: the catalog is reviewed by people, diffed in pull requests and rendered by the chat layer,
so each record carries everything needed to explain a bounce without reaching for code.
Codes and source links come from /work/shared/reference/ndr-codes.csv; cause and fix are our own words.

Hops: A = outside -> Office 365 (EOP inbound), B = hybrid on-premises -> EOP, C = Exchange Online -> outside
recipient, D = Exchange Online -> on-premises smart host, X = inside the tenant. ``hop`` is where a code
usually comes from and ``other_hops`` where else it occurs; mailflow.hops picks one from the bounce's direction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NDR = "https://learn.microsoft.com/exchange/troubleshoot/email-delivery/ndr/"
_MAIN = _NDR + "non-delivery-reports-in-exchange-online"
_OBSERVED = "observed in real bounces (no vendor page)"
_SECONDARY = "secondary source: Exchange Server 2019 / Exchange Online DSN documentation quoted in comments"


@dataclass(frozen=True)
class NdrCode:
    """One catalog record; `code` is exact ("5.1.1") or an inclusive range ("5.7.606-5.7.649")."""

    code: str
    title: str
    cause: str
    fix: str
    hop: str | None
    who: str
    source: str
    other_hops: tuple[str, ...] = ()


def _r(code: str, title: str, cause: str, fix: str, hop: str | None, who: str, source: str = _MAIN,
       *other_hops: str) -> NdrCode:
    return NdrCode(code, title, cause, fix, hop, who, source, tuple(other_hops))


CATALOG: tuple[NdrCode, ...] = (
    # --- transient (4.x.x): Exchange keeps retrying, an NDR only follows when the retry window runs out
    _r("4.3.2", "Recipient mailbox busy",
       "The store behind the recipient's mailbox is refusing more concurrent deliveries for now.",
       "Usually clears by itself; if it persists, have the recipient's admin look for a mailbox flooded by "
       "rules, loops or bulk senders.", "A", "recipient's admin", _MAIN, "B"),
    _r("4.4.316", "Destination refused the connection (retrying)",
       "Exchange Online reached the destination IP but nothing accepted the SMTP connection.",
       "Check that the destination MX or smart host listens on port 25 and that its firewall allows "
       "Microsoft 365 outbound IP ranges.", "C", "recipient's admin", _MAIN, "D"),
    _r("5.4.316", "Destination refused the connection (gave up)",
       "Connections to the destination kept being refused until the message expired.",
       "Make the destination mail server reachable on port 25 from Microsoft 365, then ask the sender to "
       "send again.", "C", "recipient's admin", _MAIN, "D"),
    _r("4.4.317", "Remote certificate not trusted",
       "TLS to the next hop failed because its certificate chain does not lead to a trusted root.",
       "Install a certificate from a public CA with the full intermediate chain on the receiving server.",
       "C", "recipient's admin", _NDR + "fix-error-code-450-4-4-317-untrusted-root", "A", "B"),
    _r("4.4.7", "Message expired in the queue",
       "The message sat in a queue for the whole retry window without the next hop accepting it.",
       "Find out why the next hop is unreachable or deferring (DNS, firewall, connector, smart host) and "
       "fix that; messages already expired must be re-sent.", "C", "recipient's admin",
       _NDR + "fix-error-code-550-4-4-7-in-exchange-online", "D", "B"),
    _r("4.4.62", "Sent to the wrong Microsoft 365 region",
       "The sending server delivered to an Exchange Online endpoint that does not host the recipient's "
       "tenant, usually because of a hard-coded smart host or outdated MX.",
       "Point MX records and send connectors at the tenant's own <domain>.mail.protection.outlook.com "
       "host instead of a fixed IP or generic name.", "A", "sender's admin",
       "https://learn.microsoft.com/exchange/troubleshoot/connectors/wrong-office-365-region-exo", "B"),
    _r("4.5.3", "Too many recipients in one transaction",
       "The sending server put more RCPT TO commands into one session than Exchange Online allows.",
       "Lower the recipients-per-message setting on the sending server so it splits large sends.",
       "A", "sender's admin"),
    _r("4.7.26", "IPv6 sender without SPF or DKIM",
       "Mail arriving over IPv6 must authenticate, and this one passed neither SPF nor DKIM.",
       "Add the sending IPv6 address to the SPF record or sign outgoing mail with DKIM.",
       "A", "sender's admin"),
    _r("4.7.321-4.7.325", "Outbound TLS/DANE check failed (retrying)",
       "The destination advertised a security requirement (STARTTLS, valid certificate, TLSA or DNSSEC) "
       "that its server or DNS does not currently meet.",
       "The destination must fix its certificate, TLSA records or DNSSEC signing; Exchange keeps retrying.",
       "C", "recipient's admin"),
    _r("5.7.321-5.7.325", "Outbound TLS/DANE check failed",
       "Delivery stopped because the destination's TLS, DANE or DNSSEC setup did not validate.",
       "The destination must repair its certificate, TLSA records or DNSSEC chain before mail can flow.",
       "C", "recipient's admin"),
    _r("4.7.500-4.7.699", "Temporarily refused by EOP (ASxxx)",
       "Exchange Online Protection throttled or distrusted the sending server, often a new IP or a gateway "
       "sending without a matching inbound connector.",
       "Keep retrying from a well-configured server; on-premises or gateway senders should use a partner or "
       "on-premises inbound connector.", "A", "sender's admin",
       _NDR + "fix-error-code-451-4-7-500-699-asxxx-in-exchange-online", "B"),
    _r("4.7.650", "Sending IP rate limited for reputation",
       "Outlook.com slowed the sending IP down because its reputation is poor or still unknown.",
       "Reduce volume, clean up lists and check the IP with Microsoft's sender support and SNDS.",
       "C", "sender's admin", _OBSERVED),
    _r("4.7.850-4.7.899", "Temporarily refused by EOP",
       "Exchange Online Protection is deferring this sender for service or reputation reasons.",
       "Retry later; if it lasts for hours, open a case with Microsoft support.", "A", "Microsoft support"),
    # --- permanent (5.x.x)
    _r("5.0.350", "Generic rejection from the recipient side",
       "A catch-all code: the remote server, a transport rule or a header problem refused the message.",
       "Read the text after the code; it names the real reason (policy, oversized header, rule).",
       "C", "recipient's admin", _NDR + "fix-error-code-550-5-0-350-in-exchange-online", "A"),
    _r("5.1.0", "Sender denied",
       "The sender's address is missing, malformed or blocked, often because of an SPF failure.",
       "Check the sender address and that the SPF record lists every server sending for the domain.",
       "X", "the sender", _MAIN, "C"),
    _r("5.1.1", "Recipient address not found",
       "The destination has no mailbox with this address (a typo, a deleted or renamed account), or in a "
       "hybrid organisation the on-premises side cannot route to a mailbox moved to the cloud.",
       "Check the address with the person who gave it; if the recipient is in your hybrid organisation, "
       "make sure the mail user / remote mailbox and its targetAddress exist on-premises.", "B",
       "recipient's admin", _MAIN, "A", "C", "D"),
    _r("5.1.8", "Bad outbound sender",
       "Exchange Online blocked the sending account from mailing outside, usually after it sent spam "
       "(compromised account).",
       "Secure the account (reset password, check rules and sign-ins) and remove it from Restricted users.",
       "C", "our admin", _NDR + "fix-error-code-5-1-8-in-exchange-online"),
    _r("5.1.10", "Recipient not found in the directory",
       "Exchange Online has no object with that SMTP address, e.g. a hybrid user that was never synced.",
       "Check the address and directory sync; create or fix the recipient object.", "A", "recipient's admin",
       _NDR + "fix-error-code-550-5-1-10-in-exchange-online", "B"),
    _r("5.1.20", "Several From addresses",
       "The message had more than one address in From: but no single Sender: header.",
       "Fix the application that builds the message so it uses one From address or adds a Sender header.",
       "A", "the sender", _NDR + "fix-error-code-550-5-1-20-multiple-from-addresses"),
    _r("5.1.90", "Daily recipient limit reached",
       "The sending mailbox went over its daily recipient rate limit.",
       "Wait 24 hours; use a bulk mail service for mass sends.", "C", "our admin"),
    _r("5.1.351", "Remote server rejected the recipient",
       "The remote server said the mailbox is unknown or unavailable.",
       "Confirm the address with the recipient; their admin can say whether the mailbox exists.",
       "C", "recipient's admin", _OBSERVED),
    _r("5.2.2", "Mailbox full or submission quota exceeded",
       "Either the recipient's mailbox is over its size limit, or the sender exceeded the submission quota.",
       "If the recipient's box is full they must clean it up; if the sender hit the quota, check for a "
       "compromised account or mass mailing.", "C", "our admin", _MAIN, "X"),
    _r("5.2.3", "Message too large for the recipient",
       "The message is bigger than the size limit set for the recipient or the connector.",
       "Send a smaller message or a link, or raise the limit on the recipient or connector.",
       "X", "recipient's admin", _SECONDARY, "B", "D"),
    _r("5.2.121", "Per-sender receive limit of the recipient",
       "The recipient got more messages from this sender in an hour than Exchange Online allows.",
       "Slow the sending application down; the limit resets by itself.", "A", "the sender"),
    _r("5.2.122", "Recipient's hourly receive limit",
       "The recipient received more messages in an hour, from all senders together, than allowed.",
       "Wait and re-send; the recipient's admin can look for a loop or flood.", "A", "the sender"),
    _r("5.3.190", "Journaling on-premises mail not allowed",
       "On-premises journal reports were sent to Microsoft 365 while journal archiving is switched off.",
       "Send journal reports to a different destination or enable journal archiving in the tenant.",
       "B", "our admin"),
    _r("5.4.1", "Relay access denied (recipient domain)",
       "EOP does not accept the recipient: the domain is not an accepted domain, or directory-based edge "
       "blocking found no such user.",
       "Add the domain as accepted, sync the recipient, or correct the MX record.", "A", "recipient's admin",
       _NDR + "fix-error-code-550-5-4-1-in-exchange-online", "B"),
    _r("5.4.4", "Destination domain does not exist",
       "DNS said the recipient's domain does not exist, so no route could be found.",
       "Check the domain spelling and its DNS records.", "D", "the sender", _SECONDARY, "B"),
    _r("5.4.6-5.4.20", "Mail loop (hop count exceeded)",
       "The message passed between servers so often that it was stopped as a loop, typically in hybrid "
       "routing or a wrong accepted-domain type.",
       "Trace the Received headers to find the two systems handing it back and forth, then fix connectors, "
       "accepted-domain type or forwarding.", "B", "our admin",
       _NDR + "fix-error-code-5-4-6-through-5-4-20-in-exchange-online", "D"),
    _r("5.4.8", "MTA-STS: MX host not allowed",
       "The destination's MTA-STS policy does not list the MX host Exchange Online tried to use.",
       "The recipient's admin must align their MTA-STS policy with their MX records.", "C",
       "recipient's admin", _SECONDARY),
    _r("4.4.8", "MTA-STS: MX host not allowed (retrying)",
       "The destination's MTA-STS policy does not list the MX host Exchange Online tried to use.",
       "The recipient's admin must align their MTA-STS policy with their MX records.", "C",
       "recipient's admin", _SECONDARY),
    _r("5.4.300", "Message expired",
       "The next hop kept failing until the message's time in the queue ran out.",
       "Find out why the destination could not be reached and fix it; then re-send.", "C",
       "recipient's admin", _MAIN, "D"),
    _r("5.4.310", "Recipient domain not in DNS",
       "The recipient's domain does not exist in DNS.", "Check the address for typos.", "C", "the sender",
       _SECONDARY),
    _r("5.4.312", "Expired after DNS lookups failed",
       "DNS lookups for the destination kept failing until the message expired.",
       "Check that the recipient's domain has working MX and name servers.", "C", "recipient's admin",
       _OBSERVED),
    _r("5.5.0", "Mailbox unavailable at the remote side",
       "The receiving server refused the recipient without giving a specific reason.",
       "Check the address; if it is right the recipient's admin must say why it is refused.", "C",
       "the sender"),
    _r("5.6.11", "Invalid characters in the message",
       "The message contained bare line feeds or other characters that violate SMTP rules.",
       "Fix the application or device that produced the message so it sends CRLF line endings.", "A",
       "the sender", _NDR + "fix-error-code-550-5-6-11-in-exchange-online"),
    _r("5.7.1", "Delivery not authorized",
       "A policy said no: relaying without authentication, a restricted recipient, a block list, or a rule.",
       "Read the text after the code; then authenticate or add a connector for relays, or ask the recipient "
       "to allow the sender.", "A", "sender's admin", _NDR + "fix-error-code-550-5-7-1-in-exchange-online",
       "C", "X", "D"),
    _r("5.7.5", "MTA-STS: certificate failed validation",
       "The destination's MTA-STS policy requires a valid certificate and its server did not present one.",
       "The recipient's admin must install a valid certificate matching the MX host.", "C",
       "recipient's admin", _SECONDARY),
    _r("4.7.5", "MTA-STS: certificate failed validation (retrying)",
       "The destination's MTA-STS policy requires a valid certificate and its server did not present one.",
       "The recipient's admin must install a valid certificate matching the MX host.", "C",
       "recipient's admin", _SECONDARY),
    _r("5.7.12", "Sender not authenticated by the organization",
       "The recipient only accepts mail from senders inside its own organization.",
       "Ask the recipient's admin to allow external senders for that recipient.", "A", "recipient's admin",
       _MAIN, "X"),
    _r("5.7.13", "Sender not authenticated for public folder",
       "The public folder only accepts mail from authenticated, internal senders.",
       "The folder's admin must allow anonymous senders or the sender must be internal.", "A",
       "recipient's admin", _MAIN, "X"),
    _r("5.7.135", "Sender not authenticated for public folder",
       "The public folder refuses mail from unauthenticated senders.",
       "The folder's admin must allow external senders on it.", "A", "recipient's admin", _MAIN, "X"),
    _r("5.7.23", "Rejected for SPF failure",
       "The receiving side checked SPF and the sending IP is not allowed by the sender domain's record.",
       "Add the sending server (including Microsoft 365 or relays) to the domain's SPF record.", "C",
       "sender's admin", _NDR + "fix-error-code-5-7-23-in-exchange-online", "D"),
    _r("5.7.25", "IPv6 sender without reverse DNS",
       "Mail over IPv6 must come from an address with a PTR record, and this one had none.",
       "Publish a reverse DNS record for the sending IPv6 address.", "A", "sender's admin"),
    _r("5.7.51", "Partner connector restrictions not met",
       "A partner inbound connector is limited to certain IPs or certificates and this connection did not "
       "match.", "Fix the connector's IP or certificate restrictions, or send from the expected server.",
       "A", "recipient's admin", _SECONDARY),
    _r("5.7.57", "Anonymous submission refused",
       "A device or app tried to submit through smtp.office365.com without logging in.",
       "Configure SMTP AUTH with a licensed mailbox, or use direct send / an SMTP relay connector.", None,
       "the sender", _NDR + "fix-error-code-5-7-57-in-exchange-online"),
    _r("5.7.64", "Relay refused: tenant not recognised",
       "Mail from on-premises or a relay reached EOP, but no inbound connector tied it to this tenant "
       "(IP or certificate did not match).",
       "Create or fix the on-premises inbound connector (IP list or certificate name) and the matching "
       "send connector.", "B", "our admin", _NDR + "fix-error-code-5-7-64-in-exchange-online", "D"),
    _r("5.7.124", "Sender not in the group's allowed list",
       "The distribution group only accepts mail from listed senders.",
       "Ask the group owner to add the sender.", "X", "group owner"),
    _r("5.7.133", "Group rejects external senders",
       "The group only accepts mail from authenticated, internal senders.",
       "The group owner can allow external senders.", "A", "recipient's admin", _MAIN, "X"),
    _r("5.7.134", "Mailbox rejects external senders",
       "The mailbox only accepts mail from authenticated, internal senders.",
       "The recipient's admin can allow external senders for it.", "A", "recipient's admin", _MAIN, "X"),
    _r("5.7.136", "Mail user rejects external senders",
       "The mail user only accepts mail from authenticated, internal senders.",
       "The recipient's admin can allow external senders for it.", "A", "recipient's admin", _MAIN, "X"),
    _r("5.7.350", "Remote server said spam",
       "The outside recipient's server judged the message to be spam.",
       "Look at content, links and the sender's authentication (SPF, DKIM, DMARC); ask the recipient to "
       "allow the sender.", "C", "recipient's admin",
       "https://support.nhs.net/2024/01/microsoft-365-alert-service-degradation-exchange-online-...", "D"),
    _r("5.7.367", "Remote server refused to relay",
       "A forwarded or relayed message was refused by the next server, usually because it was not "
       "accepted as coming from an allowed sender.",
       "Check forwarding and the outbound connector; the next hop must accept the tenant as a relay "
       "client.", "C", "our admin", _NDR + "forwarded-message-rejected-5-7-367-ndr", "D"),
    _r("5.7.501", "Spam abuse detected",
       "The sending account was blocked after sending spam.",
       "Secure the account and ask for release from Restricted users.", "C", "our admin"),
    _r("5.7.502", "Spam abuse detected",
       "The sending account was blocked after sending spam.",
       "Secure the account and ask for release from Restricted users.", "C", "our admin"),
    _r("5.7.503", "Spam abuse detected",
       "The sending account was blocked after sending spam.",
       "Secure the account and ask for release from Restricted users.", "C", "our admin"),
    _r("5.7.504", "Recipient address rejected",
       "EOP refused the recipient address at the edge.",
       "Check the address; the recipient's admin can confirm whether it exists.", "A", "the sender"),
    _r("5.7.505", "Banned recipient",
       "The recipient address is blocked at EOP.", "Ask the recipient to use another address or contact "
       "their admin.", "A", "the sender"),
    _r("5.7.506", "Bad HELO name",
       "The sending server introduced itself with the HELO/EHLO name of a Microsoft host or an invalid "
       "value.", "Set a proper fully qualified, resolvable HELO name on the sending server.", "A",
       "sender's admin"),
    _r("5.7.507", "Rejected by the recipient",
       "The recipient organization blocks the sending IP.",
       "The recipient's admin must remove the block (tenant allow/block list, connection filter).", "A",
       "recipient's admin"),
    _r("5.7.508", "Sending IP exceeded limits",
       "The sending IP went over the volume Microsoft permits from its range.", "Reduce volume and retry "
       "later; spread sends over time.", "A", "sender's admin"),
    _r("5.7.509", "DMARC reject",
       "The sender's domain publishes DMARC p=reject and this message failed DMARC.",
       "Make SPF or DKIM pass with alignment to the From domain for every sending service.", "A",
       "sender's admin", _MAIN, "C"),
    _r("5.7.510", "Recipient domain refuses IPv6",
       "The recipient's domain does not take mail over IPv6.", "Send over IPv4.", "A", "sender's admin"),
    _r("5.7.511", "Banned sender",
       "The sending IP or sender is banned by Microsoft.",
       "Request delisting through Microsoft's sender support with the full NDR.", "A", "sender's admin"),
    _r("5.7.512", "Message missing a proper From header",
       "The message did not carry a valid From: header as RFC 5322 requires.",
       "Fix the sending application so it adds one valid From: address.", "A", "the sender"),
    _r("5.7.513", "Blocked by the recipient's own block list",
       "The recipient tenant has the sending IP on its own block list.",
       "The recipient's admin must remove the IP from their connection filter or tenant block list.", "A",
       "recipient's admin"),
    _r("5.7.515", "Sender authentication too weak",
       "The sending domain did not meet the authentication level the consumer service requires.",
       "Get SPF, DKIM and DMARC all passing and aligned for the From domain.", "C", "sender's admin",
       "not in the Microsoft NDR table; observed in real bounces"),
    _r("5.7.606-5.7.649", "Banned sending IP",
       "The sending IP is on Microsoft's block list.",
       "Use the delist portal (sender.office.com) for the IP, and find out why it sent spam.", "A",
       "sender's admin", _MAIN, "B"),
    _r("5.7.703", "Recipient blocked by our tenant",
       "A tenant block policy in the sender's own organization lists the recipient.",
       "Remove the entry from the tenant allow/block list if it is wrong.", "C", "our admin",
       _NDR + "fix-error-code-5-7-700-through-5-7-750"),
    _r("5.7.705", "Tenant over outbound threshold",
       "The tenant sent too much suspicious or bulk mail and outbound sending was blocked.",
       "Find the compromised accounts or bulk senders, then contact Microsoft support.", "C", "our admin",
       _NDR + "fix-error-code-5-7-700-through-5-7-750", "D"),
    _r("5.7.708", "Traffic not accepted from this IP",
       "Microsoft does not accept outbound relay from the IP the tenant is using.",
       "Relay from a well-known, reputable IP with a connector, or contact support.", "C", "our admin",
       _NDR + "fix-error-code-5-7-700-through-5-7-750"),
    _r("5.7.750", "Sending from unregistered domains",
       "On-premises or relayed mail used sender domains that are not accepted domains of the tenant.",
       "Add and verify the sender domains in the tenant, or stop relaying them through Microsoft 365.", "B",
       "our admin", _NDR + "fix-error-code-5-7-700-through-5-7-750", "D", "C"),
    _r("5.7.900-5.7.999", "Delivery not authorized by policy",
       "An Exchange Online policy or rule refused the message.",
       "Check transport rules and tenant policies named in the NDR text.", "X", "our admin", _SECONDARY,
       "A", "C"),
    _r("4.4.1", "Connection timed out",
       "The next hop did not answer in time.", "Check the network path, firewall and that the target "
       "listens on port 25.", "D", "our admin", _SECONDARY, "B"),
    _r("4.4.2", "Connection dropped",
       "The next hop closed the connection in the middle of the session.",
       "Look at the next hop's logs and any firewall or SMTP inspection in between.", "D", "our admin",
       _SECONDARY, "B"),
    _r("4.4.4", "Tenant without mail subscription",
       "The recipient's tenant has no licence that includes mail.",
       "The recipient's admin must add an Exchange Online subscription.", "A", "recipient's admin",
       _SECONDARY),
)


# --- lookup -----------------------------------------------------------------------------------------

_CODE_RE = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$")


def _parse(code: str) -> tuple[int, int, int] | None:
    m = _CODE_RE.match(code.strip())
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def _bounds(pattern: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    low, _, high = pattern.partition("-")
    a = _parse(low)
    b = _parse(high) if high else a
    if a is None or b is None:
        raise ValueError(f"bad catalog code pattern {pattern!r}")
    return a, b


_INDEX = tuple((_bounds(e.code), e) for e in CATALOG)


def valid_pattern(pattern: str) -> bool:
    """Is ``pattern`` an exact code or an inclusive range written like the catalog's ("5.7.606-5.7.649")?"""
    try:
        low, high = _bounds(pattern)
    except ValueError:
        return False
    return low <= high


def pattern_bounds(pattern: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The lowest and highest code a pattern covers; ValueError when it is not one."""
    return _bounds(pattern)


def code_in(pattern: str, code: str) -> bool:
    """Does ``code`` fall in ``pattern`` (an exact code or an inclusive range)? False for anything unreadable."""
    key = _parse(code)
    try:
        low, high = _bounds(pattern)
    except ValueError:
        return False
    return key is not None and low <= key <= high


def lookup(code: str) -> NdrCode | None:
    """The most specific entry: an exact code beats a range, a narrow range beats a wide one."""
    key = _parse(code)
    if key is None:
        return None
    hits = [((b[1][2] - b[0][2]) if b[0][:2] == b[1][:2] else 10_000, e) for b, e in _INDEX if b[0] <= key <= b[1]]
    return min(hits, key=lambda h: h[0])[1] if hits else None


# --- RFC 3463 fallback --------------------------------------------------------------------------------

CLASSES = {2: "success", 4: "persistent transient failure (the sender's server retries)",
           5: "permanent failure (no retry)"}
SUBJECTS = {0: "other or undefined", 1: "addressing", 2: "mailbox", 3: "mail system", 4: "network and routing",
            5: "mail delivery protocol", 6: "message content or media", 7: "security or policy"}
# RFC 3463 section 3: subject.detail meanings.
DETAILS = {
    (0, 0): "other undefined status",
    (1, 0): "other address status", (1, 1): "bad destination mailbox address",
    (1, 2): "bad destination system address", (1, 3): "bad destination mailbox address syntax",
    (1, 4): "destination mailbox address ambiguous", (1, 5): "destination address valid",
    (1, 6): "destination mailbox has moved", (1, 7): "bad sender's mailbox address syntax",
    (1, 8): "bad sender's system address",
    (2, 0): "other or undefined mailbox status", (2, 1): "mailbox disabled, not accepting messages",
    (2, 2): "mailbox full", (2, 3): "message length exceeds administrative limit",
    (2, 4): "mailing list expansion problem",
    (3, 0): "other or undefined mail system status", (3, 1): "mail system full",
    (3, 2): "system not accepting network messages", (3, 3): "system not capable of selected features",
    (3, 4): "message too big for system", (3, 5): "system incorrectly configured",
    (4, 0): "other or undefined network or routing status", (4, 1): "no answer from host",
    (4, 2): "bad connection", (4, 3): "directory server failure", (4, 4): "unable to route",
    (4, 5): "mail system congestion", (4, 6): "routing loop detected", (4, 7): "delivery time expired",
    (5, 0): "other or undefined protocol status", (5, 1): "invalid command", (5, 2): "syntax error",
    (5, 3): "too many recipients", (5, 4): "invalid command arguments", (5, 5): "wrong protocol version",
    (6, 0): "other or undefined media error", (6, 1): "media not supported", (6, 2): "conversion required "
    "and prohibited", (6, 3): "conversion required but not supported", (6, 4): "conversion with loss "
    "performed", (6, 5): "conversion failed",
    (7, 0): "other or undefined security status", (7, 1): "delivery not authorized, message refused",
    (7, 2): "mailing list expansion prohibited", (7, 3): "security conversion required but not possible",
    (7, 4): "security features not supported", (7, 5): "cryptographic failure",
    (7, 6): "cryptographic algorithm not supported", (7, 7): "message integrity failure",
}


@dataclass(frozen=True)
class Explanation:
    """What a code means for the person troubleshooting; `known` says whether the catalog had it."""

    code: str
    known: bool
    severity: str
    title: str
    cause: str
    fix: str
    hop: str | None = None
    who: str | None = None
    source: str | None = None

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def is_generic(code: str) -> bool:
    """x.0.0 says nothing beyond the class (RFC 3463 section 3.1)."""
    key = _parse(code)
    return key is not None and key[1] == 0 and key[2] == 0


def explain(code: str) -> Explanation:
    """Catalog entry when there is one, otherwise the RFC 3463 class/subject/detail reading."""
    key = _parse(code)
    if key is None:
        return Explanation(code, False, "unknown", "Not an enhanced status code",
                           "The text is not in class.subject.detail form (RFC 3463).",
                           "Paste the full line from the bounce, e.g. '550 5.1.1 ...'.")
    severity = {2: "success", 4: "transient", 5: "permanent"}[key[0]]
    entry = lookup(code)
    if entry is not None:
        return Explanation(code, True, severity, entry.title, entry.cause, entry.fix, entry.hop, entry.who,
                           entry.source)
    subject = SUBJECTS.get(key[1], "unknown subject")
    detail = DETAILS.get((key[1], key[2]))
    title = detail.capitalize() if detail else f"{subject.capitalize()} problem"
    cause = f"RFC 3463: {CLASSES[key[0]]}; subject {key[1]} = {subject}"
    cause += f"; detail {key[2]} = {detail}." if detail else "; the detail value is vendor-specific."
    fix = ("Nothing to fix; the message was handled." if key[0] == 2 else
           "Wait for retries, then look at the next hop if it keeps failing." if key[0] == 4 else
           "Read the text after the code: it usually names the server and the reason.")
    return Explanation(code, False, severity, title, cause, fix, None, None,
                       "https://www.rfc-editor.org/rfc/rfc3463")
