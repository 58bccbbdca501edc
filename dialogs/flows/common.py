"""The steps and texts several flows share, written once so the cases can't drift apart.

Cases A and B (an outside sender writing to one of our users) share their first questions, the message
trace status choices, the trace evidence and the mailbox and quarantine texts. Cases C and D (one of our
users writing outside) share their first questions, the message trace step, the whole "not in the trace"
branch with its two outcomes, the SPF/DKIM/DMARC checks and several outcomes.

Everything here is plain data, or a small function that returns a fresh state dict (so no two flows hold
the same dict). Each flow module still lists all of its states and every transition, so its decision
tree reads in its own file; only the wording lives here.
"""

from __future__ import annotations

from typing import Any

State = dict[str, Any]


# -- All cases ----------------------------------------------------------------------------------------------

TRACE_STATUS_ASK = "What status does the trace show for this message?"


def trace_detail(recipient: str = "{recipient}") -> str:
    """The command that lists the events of one traced message; its id comes from the trace."""
    return ("Get-MessageTraceDetailV2 -MessageTraceId <MessageTraceId from the trace> -RecipientAddress "
            + recipient + " | Format-List Date,Event,Action,Detail,Data")


TRACE_DETAIL = trace_detail()
TRACE_ID = "The message trace id (MessageTraceId) and the time of the attempt in UTC"
MX_LOOKUP_EVIDENCE = "The output of Resolve-DnsName -Type MX {recipient_domain}"
# Cases B and D, in the Exchange Management Shell on-premises:
QUEUES = "Get-Queue | Format-List Identity,DeliveryType,Status,LastError,NextHopDomain,MessageCount"


# -- Cases A and B: an outside sender -> one of our mailboxes ------------------------------------------------

def inbound_facts() -> list[State]:
    """The first three questions of cases A and B: states ask_sender, ask_recipient and ask_date."""
    return [
        {"name": "ask_sender", "title": "Sender", "fact": "sender",
         "ask": "Who sent the message? Give the outside sender's address."},
        {"name": "ask_recipient", "title": "Recipient", "fact": "recipient",
         "ask": "Which of your users should have received it?"},
        {"name": "ask_date", "title": "Date sent", "fact": "date",
         "ask": "When was it sent? A date, 'yesterday' or '3 days ago' all work."},
    ]


INBOUND_TRACE_CHOICES = {"delivered": "Delivered", "failed": "Failed",
                         "pending": "Pending (deferred, still retrying)", "quarantined": "Quarantined",
                         "spam": "Filtered as spam (FilteredAsSpam)", "none": "Not there at all"}
FAIL_EVENT_ASK = "What does the Fail event's detail say?"


def trace_evidence(rows: str) -> list[str]:
    """What to keep from Exchange Online's trace; `rows` names the rows, such as 'row for {sender} -> {recipient}'."""
    return ["The message trace " + rows + " ({start_date} to {end_date}) with its MessageTraceId",
            "The Get-MessageTraceDetailV2 output (or the trace details page) for that message"]


MAILBOX_FOLDERS = ("Look in Junk Email, Deleted Items, Archive and other folders (Outlook on the web searches "
                   "them all)")
INBOX_RULES = ("Get-InboxRule -Mailbox {recipient} | Format-List Name,Enabled,From,MoveToFolder,DeleteMessage,"
               "ForwardTo,RedirectTo")
MAILBOX_FORWARDING = ("Get-Mailbox {recipient} | Format-List ForwardingAddress,ForwardingSmtpAddress,"
                      "DeliverToMailboxAndForward")

QUARANTINE_SAY = (
    "EOP held the message in quarantine instead of delivering it. Find it in the Microsoft Defender portal "
    "(https://security.microsoft.com/quarantine) or with the first command below; its details say why it was "
    "held. If it was held as spam, bulk or ordinary phishing and the message is expected, release it and report "
    "it to Microsoft as a false positive (Defender portal > Submissions). If it was held as malware or high "
    "confidence phishing, let your security admin review it before anyone releases it, and tell the sender "
    "their system may be infected."
)
QUARANTINE_RUN = [
    # No sender filter: the sender may have written from another address.
    "Get-QuarantineMessage -RecipientAddress {recipient} | Format-List Identity,ReceivedTime,SenderAddress,"
    "Subject,QuarantineTypes,PolicyName,ReleaseStatus",
    "Release-QuarantineMessage -Identity <Identity> -ReleaseToAll",
]
QUARANTINE_WHO = "Your Microsoft 365 admin (or whoever manages quarantine)"
QUARANTINE_EVIDENCE = "The quarantine details: reason (QuarantineTypes) and policy name"

SENDER_SEND_LOG = ("The sending server's SMTP send log for the attempt to {recipient} on {date}, showing the "
                   "host it connected to and the reply it got")
SENDER_BOUNCE = "The bounce (NDR) the sender received, if any"
MESSAGE_ID_EVIDENCE = "The message's Message-ID header and the time it was sent, in UTC"


# -- Cases C and D: one of our users -> an outside recipient -------------------------------------------------

def outbound_facts() -> list[State]:
    """The first three questions of cases C and D: states ask_sender, ask_recipient and ask_date."""
    return [
        {"name": "ask_sender", "fact": "sender", "example": "user@contoso.com", "title": "Sender", "required": True,
         "ask": "Which of our users sent the message? Type their email address."},
        {"name": "ask_recipient", "fact": "recipient", "example": "someone@fabrikam.com", "title": "Recipient",
         "required": True, "ask": "Which outside address was it sent to?"},
        {"name": "ask_date", "fact": "date", "title": "Date sent",
         "ask": "On which day was it sent? 'today', 'yesterday' or a date all work."},
    ]


def outbound_trace(note: str = "") -> State:
    """State "trace": the message trace by sender; `note` adds what a healthy trace looks like in that case.

    Choices: delivered, failed, pending, spam, none.
    """
    say = ("First let's see what Exchange Online did with it. In the Exchange admin center open Mail flow > "
           "Message trace and search for sender {sender} and recipient {recipient} between {start_date} and "
           "{end_date}, or run the command below in Exchange Online PowerShell.")
    return {"name": "trace", "title": "Message trace status",
            "say": f"{say} {note}".rstrip(),
            "run": ["Get-MessageTraceV2 -SenderAddress {sender} -RecipientAddress {recipient} "
                    "-StartDate {start_date} -EndDate {end_date} | Format-Table Received,Status,ToIP,Subject,"
                    "MessageTraceId"],
            "ask": TRACE_STATUS_ASK,
            "choices": {"delivered": "Delivered",
                        "failed": "Failed",
                        "pending": "Pending or Deferred (Exchange Online is still retrying, DEFER events)",
                        "spam": "Filtered as spam (FilteredAsSpam) or Quarantined",
                        "none": "Not in the trace at all"}}


def not_in_trace() -> State:
    """State "not_in_trace": search wider, then ask the sender. Choices: found, outbox, sent."""
    return {"name": "not_in_trace", "title": "Message missing from the trace",
            "say": "New messages can take a few minutes to show up, and one wrong letter in an address hides the "
                   "message. Check the spelling, widen the dates and search by sender only. Also ask the sender "
                   "to look in Outlook's Outbox, Drafts and Sent Items.",
            "run": ["Get-MessageTraceV2 -SenderAddress {sender} -StartDate {start_date} -EndDate {end_date}"
                    " | Format-Table Received,RecipientAddress,Status,Subject,MessageTraceId"],
            "ask": "Can you find it now?",
            "choices": {"found": "Yes, it shows up now",
                        "outbox": "No, it's still in the sender's Outbox or Drafts",
                        "sent": "No, it's in Sent Items but the trace has nothing"}}


def never_sent() -> State:
    """Outcome "never_sent": the message is still in Outlook's Outbox or Drafts."""
    return {"name": "never_sent", "title": "The message never left the sender's mail app", "outcome": "our_admin",
            "hop": "client",
            "who": "Your helpdesk, together with {sender} at their PC",
            "say": "Exchange Online never got the message, so nobody refused it. Check that Outlook is online "
                   "(not 'Working Offline' or 'Disconnected'), take out very large attachments and press Send "
                   "again. If it sticks in the Outbox, try sending from Outlook on the web: if that works, repair "
                   "the Outlook profile on the PC.",
            "evidence": ["A screenshot of the Outbox or Drafts showing the message",
                         "The size of the message and its attachments",
                         "Any error Outlook showed when sending"]}


def trace_gap() -> State:
    """Outcome "trace_gap": in Sent Items, but not in Exchange Online's trace."""
    return {"name": "trace_gap", "title": "In Sent Items, but Exchange Online has no record", "outcome": "escalate",
            "hop": "exo",
            "say": "The message is in Sent Items, yet a trace by sender over the right days finds nothing. That "
                   "shouldn't happen, so open a case with Microsoft support (Microsoft 365 admin center > "
                   "Support > Help & support) and give them the details below.",
            "evidence": ["The Get-MessageTraceV2 command you ran and its empty result",
                         "Sender {sender}, recipient {recipient}, sent on {date}, with the time and time zone",
                         "The subject line and a screenshot of the message in Sent Items"]}


OUTBOUND_SPAM_CHECKS = [
    "Get-BlockedSenderAddress -SenderAddress {sender}",
    "Get-HostedOutboundSpamFilterPolicy | Format-List Name,RecipientLimitExternalPerHour,RecipientLimitPerDay,"
    "ActionWhenThresholdReached",
]
RESTRICTED_ENTITIES = "Microsoft Defender portal > Email & collaboration > Review > Restricted entities"
SECURE_ACCOUNT = ("reset the password, sign out all sessions, check MFA, and remove unknown inbox rules and "
                  "forwarding")


def smtp_session(ehlo_name: str) -> list[str]:
    """The lines of a manual SMTP test against their MX; `ehlo_name` is the name the testing side announces."""
    return ["telnet <their MX host> 25", "EHLO " + ehlo_name, "MAIL FROM:<{sender}>", "RCPT TO:<{recipient}>",
            "QUIT"]


DKIM_DMARC_CHECKS = ("DKIM: Get-DkimSigningConfig should show Enabled True and Status Valid, and the selector1 and "
                     "selector2 CNAME records should exist in DNS. DMARC: a TXT record should exist at "
                     "_dmarc.{sender_domain}.")
AUTH_LOOKUPS = [
    "Resolve-DnsName -Type TXT {sender_domain}",
    "Resolve-DnsName -Type CNAME selector1._domainkey.{sender_domain}",
    "Resolve-DnsName -Type CNAME selector2._domainkey.{sender_domain}",
    "Get-DkimSigningConfig -Identity {sender_domain} | Format-List Enabled,Status,Selector1CNAME,Selector2CNAME",
    "Resolve-DnsName -Type TXT _dmarc.{sender_domain}",
]
AUTH_ASK = "Is all of that in place?"
AUTH_CHOICES = {"yes": "Yes, SPF, DKIM and DMARC all look right", "no": "No, something is missing or wrong"}
AUTH_PASSES = "The results of your SPF, DKIM and DMARC checks for {sender_domain}, showing they pass"


def fix_auth(spf: str, note: str = "", more_evidence: tuple[str, ...] = ()) -> State:
    """Outcome "fix_auth". `spf`: what the single SPF record must contain; `note`: a case's own advice."""
    say = ("Receivers may refuse or junk mail from a domain that fails these checks. In the DNS of {sender_domain}: "
           "keep a single SPF record that contains " + spf + "; publish the two DKIM CNAMEs with the exact "
           "targets from Get-DkimSigningConfig (Selector1CNAME, Selector2CNAME), creating the signing entry "
           "first if the command finds none, and then turn signing on; publish a DMARC record, starting with "
           "p=none if you have none. " + (note + " " if note else "")
           + "DNS changes can take a few hours; then send a new test message.")
    return {"name": "fix_auth", "title": "Fix SPF, DKIM or DMARC for our domain", "outcome": "our_admin",
            "hop": "recipient_server",
            "say": say,
            "run": ["New-DkimSigningConfig -DomainName {sender_domain} -Enabled $false  # only if no entry exists yet",
                    "Set-DkimSigningConfig -Identity {sender_domain} -Enabled $true"],
            "evidence": ["The current records: Resolve-DnsName -Type TXT {sender_domain} and _dmarc.{sender_domain}",
                         "The output of Get-DkimSigningConfig -Identity {sender_domain} | Format-List Enabled,"
                         "Status,Selector1CNAME,Selector2CNAME",
                         *more_evidence,
                         "The recipient server's reply, if it mentions SPF, DKIM or DMARC"]}


def bad_address(evidence: list[str]) -> State:
    """Outcome "bad_address": their server says the recipient doesn't exist; `evidence` shows where it said so."""
    return {"name": "bad_address", "title": "Their server doesn't know the recipient address", "outcome": "other_admin",
            "hop": "recipient_server",
            "say": "Their server says {recipient} doesn't exist. Compare the address letter by letter with the one "
                   "the recipient gave (a quick phone call helps); if it was a typo, resend to the right address. "
                   "If the address is right, their mail admin must check the mailbox or alias on their side: "
                   "nothing we change on ours alters that answer.",
            "evidence": [*evidence, "The exact address that was used: {recipient}"]}


REPLY_TO_THEIR_ADMIN = ("Send them the reply text with the time of the attempt. If the reply names a block list, "
                        "its website explains how to get removed.")
AFTER_THEIR_YES = ("What happens next is up to their system: junk, quarantine, a rule, or a silent drop without a "
                   "bounce. Send their mail admin the evidence below and ask them to search their own logs; "
                   "meanwhile the recipient can look in junk and quarantine.")
FULL_TRACE_EVIDENCE = ("The message trace id and the full message trace detail (Get-MessageTraceDetailV2 | "
                       "Format-List)")
CASE_FACTS = "Sender {sender}, recipient {recipient}, sent on {date}"
