"""Case A: outside senders -> our Office 365 mailboxes, with the MX record on Exchange Online Protection.

Order of the checks: message trace in Exchange Online first (each status has its own branch); with no
trace, the MX record, then what EOP answered the sending server (block list, our own settings, partner
connector) and finally Microsoft support. Without a trace, only the sender's SMTP send log can tell.
"""

from dialogs.flows import common

_TRACE_EVIDENCE = common.trace_evidence("row for {sender} -> {recipient}")

FLOW = {
    "name": "scenario_a",
    "version": 1,
    "title": "A: outside senders -> your Office 365 mailboxes",
    "intro": "In this case your MX record points to Exchange Online Protection (EOP), so the outside sender's "
             "server connects straight to Microsoft. EOP weighs the connecting IP, any connector you set up for "
             "that sender and the recipient, then files the message into your tenant and the mailbox in "
             "Exchange Online. We start from the message trace and work back towards the sender.",
    # The hops this case's mail crosses, in order (dialogs.path); outcomes name theirs with "hop".
    "path": ("client", "sending_server", "eop", "exo"),
    "initial": "ask_sender",
    "states": [
        *common.inbound_facts(),  # ask_sender, ask_recipient, ask_date

        {"name": "trace", "title": "Message trace in Exchange Online",
         "say": "First find out whether EOP ever took the message in. Open the Exchange admin center > Mail "
                "flow > Message trace, or run this in Exchange Online PowerShell (the second line leaves out "
                "the sender, in case they used another address):",
         "run": ["Get-MessageTraceV2 -RecipientAddress {recipient} -SenderAddress {sender} "
                 "-StartDate {start_date} -EndDate {end_date}",
                 "Get-MessageTraceV2 -RecipientAddress {recipient} -StartDate {start_date} -EndDate {end_date}"],
         "ask": common.TRACE_STATUS_ASK,
         "choices": common.INBOUND_TRACE_CHOICES},

        # -- Delivered ----------------------------------------------------------------------------
        {"name": "delivered", "title": "Delivered, but the user can't see it",
         "say": "Delivered means EOP put the message into {recipient}'s mailbox, so the search moves inside "
                "the mailbox. " + common.MAILBOX_FOLDERS + ", and check the inbox rules, which often move or "
                "delete mail quietly:",
         "run": [common.INBOX_RULES],
         "ask": "Did you find the message?",
         "choices": {"yes": "Yes, it was in another folder or a rule moved it", "no": "No, it's nowhere"}},
        {"name": "delivered_found", "title": "Delivered: the message was in another folder",
         "hop": "exo",
         "outcome": "solved",
         "say": "Move it back to the Inbox. If a rule moved it, change or delete that rule; if it was in Junk "
                "Email, mark it 'Not junk' so future mail from {sender} lands in the Inbox."},
        {"name": "delivered_missing", "title": "Delivered, but missing from the mailbox",
         "hop": "exo",
         "outcome": "our_admin",
         "say": "EOP did its job, so the cause is in the mailbox settings. Check whether the mailbox forwards "
                "mail elsewhere without keeping a copy, read the Deliver event in the trace detail, and if it "
                "is still missing, search for it with a Content search in the Microsoft Purview portal (by "
                "sender, subject and date). Also try Outlook on the web: a damaged Outlook cache can hide "
                "mail that is really there.",
         "run": [common.MAILBOX_FORWARDING, common.TRACE_DETAIL],
         "evidence": [*_TRACE_EVIDENCE,
                      "The Get-InboxRule and Get-Mailbox forwarding output for {recipient}"]},

        # -- Failed -------------------------------------------------------------------------------
        {"name": "failed", "title": "Why the trace says Failed",
         "codes": ("5.1.10", "5.1.1", "5.7.1", "5.7.12", "5.7.133-5.7.136", "5.2.3"),
         "say": "Failed means EOP accepted the message from the sender but then refused to deliver it. The "
                "reason is in the details: click the message in the trace, or use its MessageTraceId here:",
         "run": [common.TRACE_DETAIL],
         "ask": common.FAIL_EVENT_ASK,
         "choices": {"recipient": "Recipient not found or not valid (5.1.10, 5.1.1, 5.4.1)",
                     "policy": "Blocked by our own settings: a mail flow rule, a delivery restriction or a "
                               "size limit (5.7.1, 5.7.12, 5.7.133-5.7.136, 5.2.3)",
                     "other": "Something else, or I can't tell"}},
        {"name": "failed_recipient", "title": "Failed: the recipient address doesn't exist in the tenant",
         "hop": "exo",
         "outcome": "our_admin",
         "say": "No mailbox, group or contact in your tenant has this exact address. Check the spelling with "
                "the sender, then look the address up. If it belongs to someone, add it to their mailbox; if "
                "your users are synced from Active Directory, add it there and let it sync, because the cloud "
                "copy can't be changed directly.",
         "run": ["Get-Recipient {recipient} | Format-List Name,RecipientTypeDetails,PrimarySmtpAddress,"
                 "EmailAddresses",
                 "Get-AcceptedDomain | Format-Table DomainName,DomainType",
                 "Set-Mailbox \"<mailbox>\" -EmailAddresses @{{Add=\"{recipient}\"}}"],
         "evidence": [*_TRACE_EVIDENCE, "The output of Get-Recipient {recipient}"]},
        {"name": "failed_policy", "title": "Failed: stopped by our own rules or limits",
         "hop": "eop",
         "outcome": "our_admin",
         "say": "Something configured in your tenant stopped it. Find which one from the detail: a mail flow "
                "rule (the detail names it), a restriction on who may write to {recipient} (for example "
                "'only internal senders' on a group; the mailbox or the group command below shows it), or a "
                "size limit. Then decide with the owner whether the block is wanted. For a size limit, either "
                "raise it or ask the sender to share a link instead of a big attachment.",
         "run": ["Get-TransportRule | Format-Table Name,State,Priority,Mode",
                 "Get-Mailbox {recipient} | Format-List RequireSenderAuthenticationEnabled,"
                 "AcceptMessagesOnlyFromSendersOrMembers,MaxReceiveSize",
                 "Get-DistributionGroup {recipient} | Format-List RequireSenderAuthenticationEnabled,"
                 "AcceptMessagesOnlyFromSendersOrMembers"],
         "evidence": [*_TRACE_EVIDENCE, "The name of the rule or the restriction named in the Fail event"]},

        # -- Pending ------------------------------------------------------------------------------
        {"name": "pending", "title": "Why the trace says Pending",
         "codes": ("4.3.2",),
         "say": "Pending means EOP still holds the message and keeps retrying (for about a day before it "
                "gives up and bounces it). A message only minutes old may simply be on its way. Otherwise the "
                "latest Defer event in the detail says what it is waiting for:",
         "run": [common.TRACE_DETAIL],
         "ask": "What does the latest Defer event mention?",
         "choices": {"mailbox": "The mailbox: full, over quota or busy (4.3.2, STOREDRV, quota)",
                     "routing": "Passing it on to another server or connector (for example our on-premises "
                                "server or a filtering service)",
                     "unclear": "Nothing clear, and it has been pending for over an hour"}},
        {"name": "pending_mailbox", "title": "Pending: the mailbox can't take the message",
         "hop": "exo",
         "outcome": "our_admin",
         "say": "The mailbox is full or too busy to accept mail. Compare its size with its quota and make "
                "room: empty Deleted Items, turn on the archive (or auto-expanding archiving), or give the user "
                "a licence with a bigger mailbox. EOP keeps retrying, so the message arrives by itself once "
                "there is space, as long as that happens within the retry period.",
         "run": ["Get-MailboxStatistics {recipient} | Format-List TotalItemSize,ItemCount",
                 "Get-Mailbox {recipient} | Format-List ProhibitSendReceiveQuota,ArchiveStatus"],
         "evidence": [*_TRACE_EVIDENCE, "The mailbox size and quota of {recipient}"]},
        {"name": "pending_routing", "title": "Pending: Exchange Online is routing it to another server",
         "hop": "exo",
         "outcome": "our_admin",
         "say": "In this case mail should go straight into the cloud mailbox, yet Exchange Online is trying "
                "to pass it to another server, and that server isn't taking it. Usually an outbound connector "
                "or a mail flow rule redirects {recipient_domain}, or the domain is set to InternalRelay while "
                "the mailbox doesn't exist in Exchange Online. Remove the redirect if it is a leftover, or "
                "repair the server it points to.",
         "run": ["Get-OutboundConnector | Format-List Name,Enabled,RecipientDomains,SmartHosts,"
                 "IsTransportRuleScoped,RouteAllMessagesViaOnPremises",
                 "Get-AcceptedDomain | Format-Table DomainName,DomainType",
                 "Get-TransportRule | Format-Table Name,State,Priority"],
         "evidence": [*_TRACE_EVIDENCE, "The Defer event text, naming the server or connector it waits for"]},

        # -- Quarantined and FilteredAsSpam ---------------------------------------------------------
        {"name": "quarantined", "title": "Held in quarantine",
         "hop": "eop",
         "outcome": "our_admin",
         "say": common.QUARANTINE_SAY,
         "run": common.QUARANTINE_RUN,
         "who": common.QUARANTINE_WHO,
         "evidence": [*_TRACE_EVIDENCE, common.QUARANTINE_EVIDENCE]},
        {"name": "spam", "title": "Filtered as spam",
         "say": "FilteredAsSpam means EOP delivered the message but applied the spam action, usually a move to "
                "Junk Email, so ask the user to look there first. To see why it was judged spam, open the "
                "message headers (Outlook: File > Properties) and read Authentication-Results and "
                "X-Forefront-Antispam-Report (the SCL, SFV and CAT values).",
         "ask": "What do the headers show?",
         "choices": {"auth": "Failed authentication: spf, dkim or dmarc=fail, compauth=fail or CAT:SPOOF",
                     "content": "Authentication passes, but SCL is 5 or more (CAT:SPM or BULK)"}},
        {"name": "spam_auth", "title": "Spam verdict: the sender's domain doesn't authenticate",
         "hop": "eop",
         "outcome": "other_admin",
         "say": "{sender_domain} doesn't prove that its server may send for it, so EOP treats the mail as "
                "possibly forged. The sender's admin must list that server in their SPF record, sign with "
                "DKIM and align DMARC. Until they do, your admin can allow this sender and server pair in "
                "the Tenant Allow/Block List (Spoofed senders) if you trust it.",
         "run": ["Resolve-DnsName -Type TXT {sender_domain}", "Resolve-DnsName -Type TXT _dmarc.{sender_domain}"],
         "evidence": ["The full message headers, including Authentication-Results",
                      "The SPF and DMARC records of {sender_domain} (the Resolve-DnsName output)"]},
        {"name": "spam_content", "title": "Spam verdict on content or reputation",
         "hop": "eop",
         "outcome": "solved",
         "say": "Authentication is fine; EOP just disliked the content or the sender's reputation. Mark the "
                "message 'Not junk' and report it as a false positive in the Defender portal > Submissions. "
                "If a trusted partner keeps landing in Junk, your admin can add an allow entry for their "
                "domain in the Tenant Allow/Block List (never for public mail domains like gmail.com)."},

        # -- Not in the trace ----------------------------------------------------------------------
        {"name": "mx", "check": {"kind": "mx", "target": "{recipient_domain}",
                  "answers": {"exchange-online": "eop", "none": "other"}},
         "title": "MX record",
         "say": "No trace at all means the message never got into your tenant: the sender's server either "
                "never reached EOP, or EOP turned it away at the door. (Check first that you traced the right "
                "dates and also without the sender filter.) Start by making sure the MX record of "
                "{recipient_domain} sends outside mail to EOP:",
         "run": ["Resolve-DnsName -Type MX {recipient_domain}"],
         "ask": "Where does the MX record point? (Expected: {recipient_eop_host})",
         "choices": {"eop": "To our tenant in EOP (a name ending in mail.protection.outlook.com or mx.microsoft)",
                     "onprem": "To our own Exchange server on-premises",
                     "other": "Somewhere else (an old provider, a filtering service), or there is no MX"}},
        {"name": "mx_wrong", "title": "MX record doesn't point to EOP",
         "hop": "sending_server",
         "outcome": "our_admin",
         "say": "Outside servers deliver wherever the MX record says, so mail for {recipient_domain} isn't "
                "reaching Microsoft. Set the MX to the value shown in the Microsoft 365 admin center > "
                "Settings > Domains (normally {recipient_eop_host}) and remove old MX entries. If a filtering "
                "service is meant to sit in front of EOP, trace the message in that service first: it becomes "
                "the sending server towards EOP and needs a matching Partner inbound connector.",
         "evidence": [common.MX_LOOKUP_EVIDENCE,
                      "The expected MX value from Microsoft 365 admin center > Settings > Domains"]},
        {"name": "go_b", "handoff": "scenario_b"},
        {"name": "sender_logs", "title": "Sender's send log",
         "say": "From here only the sending side can show what happened: EOP's reply is written in the SMTP "
                "send log of the sending server, and in any bounce (NDR) the sender got back. When a message "
                "left no trace in Exchange Online, neither you nor Microsoft support can investigate it "
                "without that log.",
         "ask": "Do you have the sender's send log lines or their bounce for this attempt?",
         "choices": {"yes": "Yes, I have one of them", "no": "No, not yet"}},
        {"name": "need_logs", "title": "No trace: the sender must provide their SMTP send log",
         "hop": "sending_server",
         "outcome": "other_admin",
         "say": "Nothing reached your tenant, so there is nothing to look at on your side. Ask the sender to "
                "pass the request to their mail admin and to send back the items below. Once you have them, "
                "start this case again and answer 'yes' at the send log step.",
         "evidence": [common.SENDER_SEND_LOG,
                      "The bounce (NDR) the sender received, attached as a file, if there was one",
                      "The public IP address their server sends from",
                      "How they deliver to {recipient_domain}: by MX lookup, or through a smart host or "
                      "connector (with TLS certificate name)"]},
        {"name": "ask_ip", "title": "Sending IP", "fact": "sending_ip",
         "ask": "Which public IP address did the sending server connect from? It is in the send log, and "
                "often in the bounce."},
        {"name": "eop_reply", "check": {"kind": "ip", "target": "{sending_ip}"},
         "codes": ("5.7.513", "5.4.1", "4.7.500-4.7.699", "5.7.51"),
         "title": "What EOP answered",
         "ask": "What did EOP answer, according to the log or the bounce?",
         "choices": {"blocked": "550 5.7.606 to 5.7.649 'banned sending IP', 5.7.511, or "
                                "'blocked using Blocklist 1'",
                     "ours": "Refused by our settings: 5.7.513 'Customer Block list', 5.4.1 'Recipient address "
                             "rejected' or 5.1.10 'recipient not found'",
                     "later": "451 4.7.500 to 4.7.699 'Access denied, please try again later', or 5.7.51 "
                              "about a connector",
                     "noconnect": "No answer at all: connection timed out or refused, or a DNS error",
                     "other": "Another code, or EOP accepted it (250) and it still isn't in the trace"}},
        {"name": "blocklist", "title": "Sending IP on the EOP block list",
         "codes": ("5.7.606-5.7.649", "5.7.511"),
         "say": "EOP turned {sending_ip} away because it is on Microsoft's own block list of addresses with "
                "a bad sending reputation. Nothing in your tenant lifts this block; the owner of the IP has to. "
                "Their admin should first find and stop whatever sent the junk (a hacked account, a script, "
                "an open relay), then ask for removal at https://sender.office.com. Removal can take up to "
                "24 hours.",
         "ask": "Has the sender already had {sending_ip} removed, and it still fails a day later?",
         "choices": {"yes": "Yes, it was delisted and is still refused", "no": "No, not yet"}},
        {"name": "blocklist_delist", "title": "Sending IP is blocked by EOP: the sender must delist it",
         "hop": "eop",
         "outcome": "other_admin",
         "say": "Send the sender's mail admin this: their IP {sending_ip} is on the EOP block list "
                "(5.7.606-5.7.649 / Blocklist 1). They must fix the cause, then request removal at "
                "https://sender.office.com, and resend once it is done. Your own allow lists cannot override it.",
         "evidence": ["The bounce or send log line quoting the block and the IP {sending_ip}", common.SENDER_SEND_LOG]},
        {"name": "rejected_by_us", "title": "EOP refused it because of our own settings",
         "hop": "eop",
         "outcome": "our_admin",
         "say": "The refusal comes from your tenant's configuration. 5.7.513 means {sending_ip} is on your own "
                "connection filter block list: remove it if the block isn't wanted. 5.4.1 or 5.1.10 mean no "
                "recipient in your tenant has the address {recipient} (EOP refuses unknown addresses at the "
                "door): check the spelling and add the address to the right mailbox or group (in Active "
                "Directory if you sync from it).",
         "run": ["Get-HostedConnectionFilterPolicy | Format-List Name,IPBlockList,IPAllowList",
                 "Get-Recipient {recipient} | Format-List RecipientTypeDetails,EmailAddresses",
                 "Get-AcceptedDomain | Format-Table DomainName,DomainType"],
         "evidence": ["The bounce or send log line with EOP's reply",
                      "The Get-HostedConnectionFilterPolicy and Get-Recipient {recipient} output"]},
        {"name": "no_connect", "title": "The sending server couldn't reach EOP",
         "hop": "sending_server",
         "outcome": "other_admin",
         "say": "EOP never got the chance to answer, so the problem lies on the sender's side. Their "
                "admin should check that their DNS resolves your MX ({recipient_eop_host}), that their firewall "
                "lets port 25 out to it, and that any smart host they relay through is working. From their "
                "sending server they can test:",
         "run": ["Resolve-DnsName -Type MX {recipient_domain}", "Test-NetConnection {recipient_eop_host} -Port 25"],
         "evidence": [common.SENDER_SEND_LOG + " (the timeout, refusal or DNS error)",
                      "The result of the two test commands, run on the sending server"]},

        # -- Partner inbound connector ---------------------------------------------------------------
        {"name": "ask_server", "title": "Sending server", "fact": "sending_server",
         "ask": "What is the sending server's name (the name on its TLS certificate, if it uses one)?"},
        {"name": "connector", "title": "Partner inbound connector",
         "say": "EOP decides which tenant a message belongs to and how far to trust it partly through inbound "
                "connectors. When a partner, gateway or filtering service delivers to you over a fixed route, "
                "your tenant needs a Partner inbound connector that recognises that server, by its IP "
                "({sending_ip}) or by the name on its certificate ({sending_server}), and the server must really "
                "present that IP or certificate. List your connectors:",
         "run": ["Get-InboundConnector | Format-List Name,Enabled,ConnectorType,SenderDomains,SenderIPAddresses,"
                 "TlsSenderCertificateName,RequireTls,RestrictDomainsToIPAddresses,RestrictDomainsToCertificate"],
         "ask": "Is there a Partner connector for {sender_domain}, and does it match how their server connects?",
         "choices": {"none": "There is no connector for them",
                     "differs": "There is one, but its IP or certificate differs from theirs",
                     "matches": "There is one and it matches"}},
        {"name": "connector_create", "title": "Create a Partner inbound connector for the sender",
         "hop": "eop",
         "outcome": "our_admin",
         "say": "Create the connector in one of two ways: by IP if the partner always sends from {sending_ip}, "
                "or by certificate if they send over TLS with a certificate for {sending_server} (use the exact "
                "name on their certificate). Then the partner's admin makes their side match: their route to "
                "{recipient_domain} must leave from that IP, or use TLS with that certificate. Ask them to "
                "resend and trace again.",
         "run": ["New-InboundConnector -Name \"Partner {sender_domain}\" -ConnectorType Partner "
                 "-SenderDomains {sender_domain} -SenderIPAddresses {sending_ip}",
                 "New-InboundConnector -Name \"Partner {sender_domain}\" -ConnectorType Partner "
                 "-SenderDomains {sender_domain} -RequireTls $true -TlsSenderCertificateName {sending_server}"],
         "who": "Your admin creates the connector; the sender's mail admin checks their send connector matches",
         "evidence": [common.SENDER_SEND_LOG,
                      "The sending IP {sending_ip} and certificate name, confirmed by the sender"]},
        {"name": "connector_fix", "title": "Partner inbound connector doesn't match the sender",
         "hop": "eop",
         "outcome": "our_admin",
         "say": "Correct the connector so it describes what the partner really uses. Watch the two Restrict "
                "settings: when one is on, mail from {sender_domain} arriving from any other IP or without the "
                "certificate is refused (5.7.51), so every server they send from must be listed. Agree the "
                "values with their admin so their send connector uses exactly the same.",
         "run": ["Set-InboundConnector -Identity \"<connector name>\" -SenderIPAddresses {sending_ip}",
                 "Set-InboundConnector -Identity \"<connector name>\" -TlsSenderCertificateName {sending_server}"],
         "who": "Your admin and the sender's mail admin, together",
         "evidence": ["The Get-InboundConnector output", common.SENDER_SEND_LOG]},
        {"name": "sender_side", "title": "Sender's send connector",
         "say": "Your side matches, so check theirs. Their send connector (or gateway route) for "
                "{recipient_domain} must deliver to {recipient_eop_host} or by MX lookup, from the IP your "
                "connector lists, with TLS and the certificate it expects. A mismatch there looks to EOP exactly "
                "like a missing connector.",
         "ask": "Has the sender's admin confirmed their side uses exactly these settings?",
         "choices": {"yes": "Yes, both sides match", "no": "No, or they haven't checked yet"}},
        {"name": "sender_connector_fix", "title": "The sender's send connector must match ours",
         "hop": "sending_server",
         "outcome": "other_admin",
         "say": "Send the sender's admin your connector settings (IP {sending_ip} and/or certificate name "
                "{sending_server}, TLS required or not) and ask them to make their send connector for "
                "{recipient_domain} match, then resend and send you the log of the new attempt.",
         "evidence": ["Your Get-InboundConnector output for the Partner connector",
                      "Their send connector settings for {recipient_domain}", common.SENDER_SEND_LOG]},

        # -- Escalation -------------------------------------------------------------------------------
        {"name": "escalate_trace", "title": "Unexplained trace result: open a Microsoft support case",
         "hop": "exo",
         "outcome": "escalate",
         "say": "The trace shows the message, but not a reason you can act on. Open a case from the Microsoft "
                "365 admin center (Help & support) and attach the items below, so support doesn't have to ask "
                "for them first.",
         "evidence": [*_TRACE_EVIDENCE,
                      common.MESSAGE_ID_EVIDENCE,
                      "What you already checked in this case (copy this summary)"]},
        {"name": "escalate_connection", "title": "EOP keeps refusing the sender: open a Microsoft support case",
         "hop": "eop",
         "outcome": "escalate",
         "say": "Everything you can check matches, and EOP still won't take the message. Open a case from the "
                "Microsoft 365 admin center (Help & support). Support will need the sender's send log; without "
                "it they cannot look into a message that never appeared in your trace.",
         "evidence": [common.SENDER_SEND_LOG,
                      "The sending IP {sending_ip} and, if it was delisted, when the removal was requested",
                      "Your Get-InboundConnector output and the sender's send connector settings",
                      common.SENDER_BOUNCE]},
    ],
    "transitions": [
        {"trigger": "answered", "source": "ask_sender", "dest": "ask_recipient"},
        {"trigger": "answered", "source": "ask_recipient", "dest": "ask_date"},
        {"trigger": "answered", "source": "ask_date", "dest": "trace"},

        {"trigger": "delivered", "source": "trace", "dest": "delivered"},
        {"trigger": "failed", "source": "trace", "dest": "failed"},
        {"trigger": "pending", "source": "trace", "dest": "pending"},
        {"trigger": "quarantined", "source": "trace", "dest": "quarantined"},
        {"trigger": "spam", "source": "trace", "dest": "spam"},
        {"trigger": "none", "source": "trace", "dest": "mx"},

        {"trigger": "yes", "source": "delivered", "dest": "delivered_found"},
        {"trigger": "no", "source": "delivered", "dest": "delivered_missing"},

        {"trigger": "recipient", "source": "failed", "dest": "failed_recipient"},
        {"trigger": "policy", "source": "failed", "dest": "failed_policy"},
        {"trigger": "other", "source": "failed", "dest": "escalate_trace"},

        {"trigger": "mailbox", "source": "pending", "dest": "pending_mailbox"},
        {"trigger": "routing", "source": "pending", "dest": "pending_routing"},
        {"trigger": "unclear", "source": "pending", "dest": "escalate_trace"},

        {"trigger": "auth", "source": "spam", "dest": "spam_auth"},
        {"trigger": "content", "source": "spam", "dest": "spam_content"},

        {"trigger": "eop", "source": "mx", "dest": "sender_logs"},
        {"trigger": "onprem", "source": "mx", "dest": "go_b"},
        {"trigger": "other", "source": "mx", "dest": "mx_wrong"},
        {"trigger": "yes", "source": "sender_logs", "dest": "ask_ip"},
        {"trigger": "no", "source": "sender_logs", "dest": "need_logs"},
        {"trigger": "answered", "source": "ask_ip", "dest": "eop_reply"},

        {"trigger": "blocked", "source": "eop_reply", "dest": "blocklist"},
        {"trigger": "ours", "source": "eop_reply", "dest": "rejected_by_us"},
        {"trigger": "later", "source": "eop_reply", "dest": "ask_server"},
        {"trigger": "noconnect", "source": "eop_reply", "dest": "no_connect"},
        {"trigger": "other", "source": "eop_reply", "dest": "ask_server"},

        {"trigger": "no", "source": "blocklist", "dest": "blocklist_delist"},
        {"trigger": "yes", "source": "blocklist", "dest": "escalate_connection"},

        {"trigger": "answered", "source": "ask_server", "dest": "connector"},
        {"trigger": "none", "source": "connector", "dest": "connector_create"},
        {"trigger": "differs", "source": "connector", "dest": "connector_fix"},
        {"trigger": "matches", "source": "connector", "dest": "sender_side"},
        {"trigger": "no", "source": "sender_side", "dest": "sender_connector_fix"},
        {"trigger": "yes", "source": "sender_side", "dest": "escalate_connection"},
    ],
}
