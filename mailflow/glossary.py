"""Plain-language definitions of the terms a mail-flow case keeps using."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    name: str
    aliases: tuple[str, ...]
    meaning: str


GLOSSARY: tuple[Term, ...] = (
    Term("EOP", ("exchange online protection", "eop"),
         "Exchange Online Protection: Microsoft's filtering front door. Every message from the Internet to "
         "a Microsoft 365 domain whose MX points at <domain>.mail.protection.outlook.com passes through "
         "it, and it also relays the tenant's outbound mail. It shares a set of published IP ranges "
         "among all customers and works out the right tenant from the recipient, connector or certificate."),
    Term("EXO", ("exchange online", "exo", "o365", "office 365", "microsoft 365", "m365"),
         "Exchange Online: the Microsoft 365 service that hosts the mailboxes. Mail reaches it through EOP."),
    Term("DSN", ("delivery status notification", "dsn"),
         "Delivery status notification: the server-to-server answer about a delivery attempt (RFC 3464). "
         "When a receiving server refuses a message, the refusal lands in the sending server's SMTP send log "
         "as a DSN; the sending server then turns it into an NDR for its user."),
    Term("NDR", ("non-delivery report", "non delivery report", "bounce", "bounce message", "ndr"),
         "Non-delivery report: the bounce message a user gets from their own mail server saying a message "
         "could not be delivered. It carries a status code such as 5.1.1 or 4.4.7 that tells which hop "
         "failed and why."),
    Term("MX", ("mx record", "mail exchanger", "mx"),
         "Mail exchanger record: the DNS entry that tells other servers where to deliver mail for a domain. "
         "For Exchange Online it is a single host like contoso-com.mail.protection.outlook.com; in many "
         "hybrid set-ups it points at the on-premises server instead."),
    Term("smart host", ("smarthost", "smart host", "relay host"),
         "A server that a connector hands every message to, instead of looking up the recipient domain's MX. "
         "Used for example when Exchange Online sends through an on-premises server, or on-premises sends "
         "to EOP."),
    Term("connector", ("connectors", "inbound connector", "outbound connector", "send connector",
                       "receive connector", "partner connector"),
         "A named set of rules for one mail route. In Exchange Online, inbound connectors recognise a partner "
         "or on-premises server by IP address or TLS certificate and outbound connectors route mail to it; "
         "on Exchange Server, send and receive connectors do the same job. Both ends must agree: same "
         "certificate name, same IPs, same TLS settings."),
    Term("remote routing address", ("remote routing address", "rra", "targetaddress", "target address"),
         "In a hybrid organisation, the address an on-premises 'remote mailbox' forwards to once the mailbox "
         "has moved to Exchange Online, normally alias@<tenant>.mail.onmicrosoft.com. If it is missing or "
         "wrong, on-premises cannot hand the message to the cloud."),
    Term("HRDP", ("high risk delivery pool", "higher risk delivery pool", "hrdp"),
         "High risk delivery pool: a separate set of outbound IP addresses that Exchange Online uses for "
         "messages it judged to be spam or sent by a suspicious sender, so that the normal pool keeps a good "
         "reputation. Receivers often block these IPs, so a message relayed through it may be rejected."),
    Term("centralized mail flow", ("centralized mail flow", "centralised mail flow", "cmt",
                                   "centralized transport", "route all messages via on-premises"),
         "A hybrid option where Exchange Online sends all mail for Internet recipients through the "
         "on-premises Exchange server first (the outbound connector has RouteAllMessagesViaOnPremises on), "
         "so on-premises does the final delivery."),
    Term("message trace", ("message trace", "message tracking", "trace"),
         "A search of Exchange Online's (or Exchange Server's) transport records for a message: whether it "
         "arrived, what happened to it and where it went. Get-MessageTraceV2 in PowerShell or Mail flow > "
         "Message trace in the Exchange admin center; on-premises, Get-MessageTrackingLog."),
    Term("protocol log", ("smtp log", "smtp logs", "protocol logging", "smtp protocol log", "send log",
                          "receive log", "protocol log"),
         "The line-by-line record of an SMTP conversation kept by Exchange Server, one folder for sending and "
         "one for receiving. It is switched off on most connectors until an admin sets ProtocolLoggingLevel "
         "to Verbose, so turn it on before reproducing the problem."),
    Term("hybrid", ("hybrid deployment", "exchange hybrid", "hybrid"),
         "An organisation that runs Exchange Server on-premises and Exchange Online together, sharing one "
         "domain. Mailboxes live in either place and connectors created by the Hybrid Configuration Wizard "
         "carry mail between them."),
    Term("SPF", ("sender policy framework", "spf record", "spf"),
         "Sender Policy Framework: a TXT record listing the servers allowed to send for a domain. For "
         "Exchange Online it includes spf.protection.outlook.com."),
    Term("DKIM", ("domainkeys identified mail", "dkim"),
         "DomainKeys Identified Mail: a signature the sending system adds so receivers can check the message "
         "was not altered and really comes from the domain. Exchange Online publishes its keys through the "
         "selector1 and selector2 CNAME records."),
    Term("DMARC", ("dmarc record", "dmarc"),
         "A TXT record at _dmarc.<domain> telling receivers what to do with mail that fails both SPF and "
         "DKIM alignment: nothing (p=none), junk it (quarantine) or refuse it (reject)."),
    Term("queue", ("message queue", "queues", "queue"),
         "Where a sending server keeps a message while it tries to deliver it. Exchange retries for up to "
         "two days on-premises (one day in Exchange Online) before giving up with an NDR; Get-Queue shows the "
         "last error of each queue."),
)


def lookup(text: str) -> Term | None:
    """Find the term a question names, by name or alias, ignoring case and punctuation."""
    key = " ".join(text.lower().replace("-", " ").strip(" ?.!'\"").split())
    for term in GLOSSARY:
        if key == term.name.lower() or key in term.aliases:
            return term
    return None
