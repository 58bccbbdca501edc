"""Case B: outside senders -> a hybrid organisation whose MX points to Exchange on-premises.

The message travels sender -> on-premises Exchange (MX) -> hybrid send connector -> EOP -> Exchange
Online. We check from the far end backwards: the Exchange Online trace, then on-premises message
tracking; from there either towards the sender (receive log, firewall) or towards Exchange Online
(recipient object, send connector, queue, send log, connector match, block list, support).
"""

from dialogs.flows import common

_TRACE_EVIDENCE = common.trace_evidence("rows for {recipient} and {routing_address}")
_TRACKING = "The on-premises message tracking output for {recipient} from {start_date} to {end_date}"
_SEND_LOG = ("The on-premises SMTP send protocol log (SEND*.LOG) of the hybrid connector for the attempts, "
             "showing EOP's reply")
_QUEUE = "The Get-Queue output with the LastError of the queue holding the message"
_HYBRID_SEND = "the hybrid send connector, 'Outbound to Office 365' (newer wizards add a GUID to the name)"
_DETAIL = common.trace_detail("{routing_address}")

FLOW = {
    "name": "scenario_b",
    "version": 1,
    "title": "B: outside senders -> your hybrid organisation (MX on-premises)",
    "intro": "In this case your MX record points to your own Exchange server, so outside mail lands there "
             "first. For a user moved to Exchange Online, the on-premises server finds a remote mailbox with a "
             "remote routing address ending in .mail.onmicrosoft.com and passes the message through the hybrid "
             "send connector to EOP, which delivers it to the cloud mailbox. We check from the cloud end "
             "backwards, one hop at a time.",
    # The hops this case's mail crosses, in order (dialogs.path); outcomes name theirs with "hop".
    "path": ("client", "sending_server", "onprem", "eop", "exo"),
    "initial": "ask_sender",
    "states": [
        *common.inbound_facts(),  # ask_sender, ask_recipient, ask_date
        {"name": "ask_tenant", "title": "Tenant name", "fact": "tenant",
         "ask": "What is your tenant's name, the part before .onmicrosoft.com? Remote routing addresses end "
                "in @<tenant>.mail.onmicrosoft.com; the Microsoft 365 admin center > Settings > Domains lists it."},

        # -- Exchange Online --------------------------------------------------------------------------
        {"name": "exo_trace", "title": "Message trace in Exchange Online",
         "say": "Start at the far end: if Exchange Online ever got the message from your on-premises server, "
                "its message trace shows it. Trace both the user's address and the remote routing address "
                "{routing_address}, in the Exchange admin center > Mail flow > Message trace or in Exchange "
                "Online PowerShell:",
         "run": ["Get-MessageTraceV2 -RecipientAddress {recipient} -StartDate {start_date} -EndDate {end_date}",
                 "Get-MessageTraceV2 -RecipientAddress {routing_address} -StartDate {start_date} "
                 "-EndDate {end_date}"],
         "ask": common.TRACE_STATUS_ASK,
         "choices": common.INBOUND_TRACE_CHOICES},
        {"name": "exo_delivered", "title": "Delivered to the cloud mailbox: look inside the mailbox",
         "hop": "exo",
         "outcome": "our_admin",
         "say": "The whole hybrid path worked: Exchange Online put the message into {recipient}'s mailbox. "
                + common.MAILBOX_FOLDERS + " and check inbox rules and forwarding. If the user reads mail in an "
                "on-premises mailbox by mistake, point their Outlook at the cloud mailbox.",
         "run": [common.INBOX_RULES, common.MAILBOX_FORWARDING],
         "who": "Your admin, together with the user",
         "evidence": [*_TRACE_EVIDENCE, "The inbox rules and forwarding settings of {recipient}"]},
        {"name": "exo_failed", "title": "Why Exchange Online says Failed",
         "codes": ("5.1.10", "5.4.6-5.4.20"),
         "say": "Exchange Online took the message from your on-premises server and then refused to deliver it. "
                "Open it in the trace, or read the detail with its MessageTraceId:",
         "run": [_DETAIL],
         "ask": common.FAIL_EVENT_ASK,
         "choices": {"address": "Recipient not found (5.1.10) or a mail loop (5.4.14 hop count exceeded)",
                     "other": "Something else, or I can't tell"}},
        {"name": "exo_address", "title": "Exchange Online doesn't know the routing address",
         "hop": "exo",
         "outcome": "our_admin",
         "say": "No cloud mailbox carries {routing_address}, so Exchange Online can't deliver it, or sends it back "
                "to your on-premises server, which sends it to the cloud again until the hop count runs out. "
                "In a hybrid set-up the on-premises directory is the source: the remote mailbox must list "
                "{routing_address} among its addresses, directory sync must have copied it, and a mailbox must "
                "really exist in Exchange Online (licensed, move completed).",
         "run": ["Get-RemoteMailbox {recipient} | Format-List RemoteRoutingAddress,EmailAddresses",
                 "Get-Mailbox {recipient} | Format-List RecipientTypeDetails,EmailAddresses",
                 "Get-AcceptedDomain | Format-Table DomainName,DomainType"],
         "evidence": [*_TRACE_EVIDENCE,
                      "Get-RemoteMailbox (on-premises) and Get-Mailbox (Exchange Online) output for {recipient}"]},
        {"name": "exo_pending", "title": "Exchange Online is still retrying",
         "hop": "exo",
         "outcome": "our_admin",
         "say": "Exchange Online holds the message and keeps retrying for about a day. The latest Defer event "
                "says why. Two common reasons in a hybrid set-up: the cloud mailbox is full or busy, or Exchange "
                "Online is sending the message back to your on-premises server (outbound connector) because it "
                "doesn't see {routing_address} on a cloud mailbox, and that server isn't accepting it.",
         "run": [_DETAIL,
                 "Get-MailboxStatistics {recipient} | Format-List TotalItemSize,ItemCount",
                 "Get-OutboundConnector | Format-List Name,Enabled,ConnectorType,RecipientDomains,SmartHosts"],
         "evidence": [*_TRACE_EVIDENCE, "The text of the latest Defer event"]},
        {"name": "exo_quarantined", "title": "Held in quarantine in Exchange Online",
         "hop": "eop",
         "outcome": "our_admin",
         "say": common.QUARANTINE_SAY + " If many wanted messages get caught, check Enhanced Filtering for "
                "Connectors on the inbound connector from on-premises (the 'Filtered as spam' answer explains it).",
         "run": common.QUARANTINE_RUN,
         "who": common.QUARANTINE_WHO,
         "evidence": [*_TRACE_EVIDENCE, common.QUARANTINE_EVIDENCE]},
        {"name": "exo_spam", "title": "Filtered as spam: EOP only sees your on-premises server",
         "hop": "eop",
         "outcome": "our_admin",
         "say": "Ask the user to look in Junk Email and mark the message 'Not junk'. Because the message reaches "
                "EOP from your on-premises server, EOP sees that server's IP instead of the original sender's, "
                "so SPF and reputation checks go wrong. Turn on Enhanced Filtering for Connectors on the inbound "
                "connector from on-premises, so EOP skips your server's IP and judges the real sender.",
         "run": ["Get-InboundConnector | Format-List Name,ConnectorType,EFSkipLastIP,EFSkipIPs,EFUsers",
                 "Set-InboundConnector -Identity \"<inbound connector from on-premises>\" -EFSkipLastIP $true"],
         "evidence": ["The full headers of the message (X-Forefront-Antispam-Report, Authentication-Results)",
                      "The Get-InboundConnector output"]},

        # -- On-premises tracking -------------------------------------------------------------------
        {"name": "tracking", "title": "Message tracking on-premises",
         "say": "Exchange Online never saw it, so go one hop back to your on-premises Exchange. Message "
                "tracking shows whether the message arrived there and where it went next. In the Exchange "
                "Management Shell:",
         "run": ["Get-TransportService | Get-MessageTrackingLog -Recipients {recipient} -Start {start_date} "
                 "-End {end_date} -ResultSize Unlimited | Sort-Object Timestamp | Format-Table Timestamp,"
                 "EventId,Source,ServerHostname,ConnectorId,RecipientStatus -AutoSize"],
         "ask": "What do the tracking events show?",
         "choices": {"none": "No events: it never arrived on-premises",
                     "stuck": "RECEIVE (maybe DEFER), but no SEND to Exchange Online yet",
                     "sent": "A SEND to Exchange Online that was accepted (250)",
                     "local": "DELIVER, FAIL or DSN here, or a SEND to some other place"}},
        {"name": "escalate_cloud", "title": "Handed to Exchange Online but unexplained: open a support case",
         "hop": "exo",
         "outcome": "escalate",
         "say": "Your side did its part, and the message or its result in Exchange Online makes no sense. Open "
                "a case from the Microsoft 365 admin center (Help & support) with the items below.",
         "evidence": [_TRACKING + ", including the SEND event and the reply EOP gave",
                      *_TRACE_EVIDENCE,
                      common.MESSAGE_ID_EVIDENCE]},

        # -- Recipient object on-premises -----------------------------------------------------------
        {"name": "recipient_type", "title": "Recipient type on-premises",
         "codes": ("5.1.1",),
         "say": "What your server does with the message depends on what kind of object {recipient} is "
                "on-premises. For a mailbox moved to Exchange Online it must be a remote mailbox whose remote "
                "routing address is {routing_address}.",
         "run": ["Get-Recipient {recipient} | Format-List Name,RecipientTypeDetails,PrimarySmtpAddress"],
         "ask": "What is the RecipientTypeDetails?",
         "choices": {"remote": "RemoteUserMailbox (or another Remote... type)",
                     "mailbox": "UserMailbox: the mailbox is still on-premises",
                     "mailuser": "MailUser or MailContact",
                     "publicfolder": "PublicFolder (a mail-enabled public folder)",
                     "notfound": "Nothing: no object has this address"}},
        {"name": "rra", "check": {"kind": "routing_domain", "target": "{routing_domain}"},
         "title": "Remote routing address",
         "run": ["Get-RemoteMailbox {recipient} | Format-List RemoteRoutingAddress,EmailAddresses"],
         "ask": "Is the RemoteRoutingAddress exactly {routing_address}?",
         "choices": {"yes": "Yes", "no": "No, it is different or empty"}},
        {"name": "rra_wrong", "title": "Wrong remote routing address",
         "hop": "onprem",
         "outcome": "our_admin",
         "say": "The on-premises server sends the message wherever the remote routing address points, so fix "
                "it to {routing_address}, make sure the cloud mailbox has that address too, and resend once "
                "directory sync has run.",
         "run": ["Set-RemoteMailbox {recipient} -RemoteRoutingAddress {routing_address}"],
         "evidence": ["The Get-RemoteMailbox output before the change", _TRACKING]},
        {"name": "onprem_mailbox", "title": "Mailbox is still on-premises",
         "hop": "onprem",
         "outcome": "our_admin",
         "say": "Your server sees a mailbox of its own, so it delivers there and never sends anything to "
                "Exchange Online. Either the user hasn't been moved yet (then the mail is in the on-premises "
                "mailbox), or the move didn't finish, or someone created a second mailbox in the cloud by "
                "mistake. Check the move in Exchange Online PowerShell and where the mailbox lives on-premises.",
         "run": ["Get-MoveRequest {recipient} | Get-MoveRequestStatistics | Format-List Status,PercentComplete,"
                 "StatusDetail",
                 "Get-Mailbox {recipient} | Format-List Database,ServerName"],
         "evidence": ["The Get-Recipient and Get-Mailbox output on-premises",
                      "The move request status from Exchange Online", _TRACKING]},
        {"name": "external_address", "title": "Recipient is a mail user or mail contact",
         "hop": "onprem",
         "outcome": "our_admin",
         "say": "A mail user or mail contact has no mailbox; your server forwards the message to its "
                "ExternalEmailAddress. If the person's mailbox is in Exchange Online, that address must be "
                "{routing_address}, and really the object should be a remote mailbox. Correct it, then resend.",
         "run": ["Get-MailUser {recipient} | Format-List ExternalEmailAddress",
                 "Get-MailContact {recipient} | Format-List ExternalEmailAddress",
                 "Set-MailUser {recipient} -ExternalEmailAddress {routing_address}"],
         "evidence": ["The Get-MailUser or Get-MailContact output", _TRACKING]},
        {"name": "public_folder", "title": "Recipient is a mail-enabled public folder",
         "hop": "onprem",
         "outcome": "our_admin",
         "say": "The address belongs to a mail-enabled public folder, so the message goes where that folder's "
                "content lives. Check whether your public folders are still on-premises or were moved to "
                "Exchange Online; if they live in the cloud, the on-premises mail-enabled folder objects must "
                "be kept in sync and point there.",
         "run": ["Get-MailPublicFolder {recipient} | Format-List Identity,PrimarySmtpAddress,ExternalEmailAddress",
                 "Get-OrganizationConfig | Format-List PublicFoldersEnabled,RemotePublicFolderMailboxes"],
         "evidence": ["The Get-MailPublicFolder and Get-OrganizationConfig output", _TRACKING]},
        {"name": "recipient_missing", "title": "No recipient with this address on-premises",
         "hop": "onprem",
         "outcome": "our_admin",
         "say": "No object on-premises has this address, so your server refuses or bounces the message "
                "(550 5.1.1). Check the spelling with the sender. If the address should work, add it to the "
                "right remote mailbox on-premises (the on-premises directory is the source in a hybrid set-up), "
                "let it sync, and ask the sender to resend.",
         "run": ["Get-Recipient -Anr {recipient_alias} | Format-Table Name,RecipientTypeDetails,PrimarySmtpAddress",
                 "Set-RemoteMailbox \"<user>\" -EmailAddresses @{{Add=\"{recipient}\"}}"],
         "evidence": [_TRACKING, common.SENDER_BOUNCE]},

        # -- Towards the sender: receive log and firewall -------------------------------------------------
        {"name": "ask_onprem_server", "title": "On-premises server", "fact": "onprem_server",
         "ask": "What is the name of your on-premises Exchange server that the MX record points to?"},
        {"name": "receive_log", "title": "SMTP receive log on-premises",
         "say": "No tracking events means the message never got into Exchange. The SMTP receive protocol log "
                "shows whether the sender connected to {onprem_server} and what your server answered. Only the "
                "'Default Frontend' receive connector logs out of the box; switch any other connector that "
                "takes internet mail to Verbose first (it then logs new attempts only). Find the log folder "
                "and search it for the sender:",
         "run": ["Get-ReceiveConnector | Format-Table Identity,Bindings,RemoteIPRanges,ProtocolLoggingLevel -AutoSize",
                 "Set-ReceiveConnector \"<connector name>\" -ProtocolLoggingLevel Verbose",
                 "Get-FrontendTransportService | Format-List ReceiveProtocolLogPath",
                 "Select-String -Path \"<ReceiveProtocolLogPath>\\RECV*.LOG\" -Pattern \"{sender}\""],
         "ask": "What do the receive logs show for {sender}?",
         "choices": {"refused": "A session from them that our server refused (a 4xx or 5xx reply)",
                     "nothing": "No session from them at all",
                     "off": "Logging wasn't on at the time, so there is nothing to read"}},
        {"name": "logging_off", "title": "Receive logging was off: resend and read the fresh log",
         "hop": "onprem",
         "outcome": "other_admin",
         "say": "With logging now on, ask the sender to send a new test message and note the exact time. "
                "Then search the receive log again and start this case over with the result.",
         "who": "The sender (a new test message), then you (read the fresh receive log)",
         "evidence": ["The time of the sender's new test message",
                      "The receive log lines of that attempt (RECV*.LOG)"]},
        {"name": "onprem_refused", "title": "Your on-premises server refused the sender",
         "hop": "onprem",
         "outcome": "our_admin",
         "say": "The reply code in the log says why. Common causes: the recipient is unknown (recipient "
                "filtering, 5.1.1), the connector doesn't allow anonymous senders, a TLS or certificate demand "
                "the sender doesn't meet, or an anti-spam block on their IP. If the sender delivers over a "
                "dedicated route (fixed IPs or a certificate), a receive connector here must expect exactly "
                "that: their IP in RemoteIPRanges, or TLS with their certificate name.",
         "run": ["Get-ReceiveConnector \"<connector name>\" | Format-List Bindings,RemoteIPRanges,PermissionGroups,"
                 "AuthMechanism,RequireTLS,TlsDomainCapabilities"],
         "evidence": ["The receive log lines (RECV*.LOG) of the refused session",
                      "The Get-ReceiveConnector output for that connector"]},
        {"name": "firewall", "title": "Firewall and reachability",
         "say": "Your server has no record of the sender at all. Either something in front of it (firewall, "
                "NAT rule, a filtering appliance) dropped the connection, or the sender's server never tried. "
                "From outside your network (a home connection, or an online SMTP test), check that the MX "
                "points to {onprem_server} and that it answers on port 25 with a 220 greeting, and look for "
                "the sender's IP in the firewall log:",
         "run": ["Resolve-DnsName -Type MX {recipient_domain}", "Test-NetConnection {onprem_server} -Port 25"],
         "ask": "Does {onprem_server} answer on port 25 from outside?",
         "choices": {"yes": "Yes, it answers with 220", "no": "No, it times out or is refused"}},
        {"name": "firewall_blocked", "title": "Port 25 not reachable from the internet",
         "hop": "onprem",
         "outcome": "our_admin",
         "say": "Outside servers can't reach {onprem_server}, so they can't deliver. Check the MX record, the "
                "firewall rule and NAT for TCP port 25 to your Exchange server, and any appliance in between. "
                "Test again from outside when it is fixed; senders retry for a while, so queued mail may still "
                "arrive.",
         "evidence": ["The Resolve-DnsName and Test-NetConnection results, run from outside",
                      "The firewall log for connections to port 25 at the time of the attempt"]},
        {"name": "sender_never_tried", "title": "No connection attempt: the sender must provide their send log",
         "hop": "sending_server",
         "outcome": "other_admin",
         "say": "Your server is reachable and heard nothing from the sender, so the message probably never left "
                "their side. Only their SMTP send log can show what happened; without it nobody can investigate. "
                "Ask the sender's mail admin for it.",
         "evidence": [common.SENDER_SEND_LOG,
                      common.SENDER_BOUNCE,
                      "Your Test-NetConnection result from outside, proving port 25 answers"]},

        # -- Towards Exchange Online: connector, queue, send log --------------------------------------------
        {"name": "send_connector", "title": "Hybrid send connector",
         "say": "Your server has the message but hasn't passed it to Exchange Online. Mail for {routing_domain} "
                "must leave through " + _HYBRID_SEND + ". It should be enabled, cover the address space "
                "{routing_domain}, use your tenant's EOP host (such as {recipient_eop_host}) as smart host, and "
                "require TLS.",
         "run": ["Get-SendConnector | Format-List Name,Enabled,AddressSpaces,SmartHosts,TlsCertificateName,"
                 "RequireTLS"],
         "ask": "Is there an enabled connector like that?",
         "choices": {"yes": "Yes", "no": "No, it's missing, disabled or different"}},
        {"name": "connector_missing", "title": "Hybrid send connector missing or wrong",
         "hop": "onprem",
         "outcome": "our_admin",
         "say": "Without a working hybrid send connector, mail for cloud mailboxes has no proper way out. The "
                "safest fix is to run the Hybrid Configuration Wizard again: it recreates the connectors on "
                "both sides with settings that fit together. Afterwards, resubmit the waiting messages.",
         "run": ["Retry-Queue -Identity \"<queue identity>\" -Resubmit $true"],
         "evidence": ["The Get-SendConnector output", _TRACKING]},
        {"name": "queue", "title": "On-premises queue",
         "say": "Now find the message in the queues. The hybrid connector's queue has DeliveryType "
                "SmartHostConnectorDelivery and the connector's smart host as NextHopDomain; LastError holds "
                "the last answer from EOP.",
         "run": [common.QUEUES,
                 "Get-Message -Queue \"<queue identity>\" | Format-List FromAddress,Subject,Status,LastError"],
         "ask": "Where is the message waiting?",
         "choices": {"hybrid": "In the hybrid connector's queue (smart host to EOP), retrying",
                     "other": "In another queue: DnsConnectorDelivery, Unreachable, or a different connector"}},
        {"name": "wrong_route", "title": "Message isn't using the hybrid send connector",
         "hop": "onprem",
         "outcome": "our_admin",
         "say": "The message is headed somewhere other than the hybrid connector, so it won't reach Exchange "
                "Online the intended way. Usually the remote routing address doesn't end in @{routing_domain}, "
                "the connector's address space doesn't cover it, or the connector's source servers exclude "
                "this server. Unreachable means no connector matched at all. Fix the route, then resubmit.",
         "run": ["Get-RemoteMailbox {recipient} | Format-List RemoteRoutingAddress",
                 "Get-SendConnector | Format-List Name,Enabled,AddressSpaces,SourceTransportServers",
                 "Retry-Queue -Identity \"<queue identity>\" -Resubmit $true"],
         "evidence": [_QUEUE, "The Get-SendConnector output"]},
        {"name": "send_log", "title": "SMTP send log on-premises",
         "codes": ("4.7.500-4.7.699", "5.7.64", "5.7.606-5.7.649", "4.4.1", "4.4.2"),
         "say": "The queue's LastError often quotes EOP already; the SMTP send protocol log shows the whole "
                "conversation. Switch the hybrid connector to verbose logging if it isn't (use its exact name "
                "from Get-SendConnector), wait for the next retry, and read the SEND logs:",
         "run": ["Set-SendConnector \"Outbound to Office 365\" -ProtocolLoggingLevel Verbose",
                 "Get-TransportService | Format-List Name,SendProtocolLogPath",
                 "Select-String -Path \"<SendProtocolLogPath>\\SEND*.LOG\" -Pattern \"mail.protection.outlook.com\""],
         "ask": "What does EOP answer there?",
         "choices": {"later": "450/451 4.7.500 to 4.7.699 'Access denied, please try again later'",
                     "attribution": "550 5.7.64 TenantAttribution; Relay Access Denied",
                     "tls": "A TLS or certificate error",
                     "blocked": "550 5.7.606 to 5.7.649 'banned sending IP', or 'blocked using Blocklist 1'",
                     "noconnect": "No answer: timeouts, connection refused or dropped (4.4.1, 4.4.2)",
                     "other": "Something else"}},
        {"name": "no_route_out", "title": "Your server can't reach EOP",
         "hop": "onprem",
         "outcome": "our_admin",
         "say": "Your server doesn't get through to EOP at all. Check that your firewall or proxy lets your "
                "Exchange server out on TCP port 25 to Exchange Online Protection's address ranges, and that the "
                "smart host name resolves. Test from the Exchange server itself:",
         "run": ["Resolve-DnsName {recipient_eop_host}", "Test-NetConnection {recipient_eop_host} -Port 25"],
         "evidence": [_QUEUE, "The Test-NetConnection result from the Exchange server", _SEND_LOG]},
        {"name": "connector_match", "title": "Hybrid connectors match",
         "say": "EOP only accepts your on-premises server as your tenant's own if the inbound connector from "
                "on-premises (type OnPremises) in Exchange Online recognises it: by the certificate name the "
                "send connector presents (TlsSenderCertificateName) or by your public IP (SenderIPAddresses). "
                "If nothing matches, EOP treats the server like a stranger and answers with the 4.7.5xx "
                "'try again later' deferral, or 5.7.64. Compare both sides; the certificate must also be valid.",
         "run": ["Get-SendConnector \"Outbound to Office 365\" | Format-List TlsCertificateName,RequireTLS,SmartHosts",
                 "Get-ExchangeCertificate | Format-List Thumbprint,Subject,CertificateDomains,NotAfter,Services",
                 "Get-InboundConnector | Format-List Name,ConnectorType,Enabled,SenderIPAddresses,"
                 "TlsSenderCertificateName,RequireTls"],
         "ask": "Do both sides match, with a valid certificate?",
         "choices": {"yes": "Yes, they match and the certificate is valid",
                     "no": "No, something differs or the certificate has expired"}},
        {"name": "connector_mismatch", "title": "Hybrid connectors don't match",
         "hop": "eop",
         "outcome": "our_admin",
         "say": "Make the two sides agree. If the certificate was renewed, assign the new one to the send "
                "connector and put its name on the inbound connector; if you rely on the IP, list your current "
                "public IP. Running the Hybrid Configuration Wizard again sets both sides at once. Then "
                "resubmit the queue.",
         "run": ["Set-SendConnector \"Outbound to Office 365\" -TlsCertificateName \"<I>issuer name<S>subject name\"",
                 "Set-InboundConnector -Identity \"<inbound connector from on-premises>\" "
                 "-TlsSenderCertificateName <name on the certificate>",
                 "Set-InboundConnector -Identity \"<inbound connector from on-premises>\" "
                 "-SenderIPAddresses <your public IP>",
                 "Retry-Queue -Identity \"<queue identity>\" -Resubmit $true"],
         "evidence": ["The Get-SendConnector, Get-ExchangeCertificate and Get-InboundConnector output",
                      _QUEUE, _SEND_LOG]},
        {"name": "blocklist_check", "title": "Your public IP and the EOP block list",
         "say": "The connectors agree, so check your server's reputation. Enter your on-premises public IP at "
                "https://sender.office.com: the page tells you if EOP has it blocked and lets you request "
                "removal. A public block list check (Spamhaus and similar) is worth doing at the same time.",
         "ask": "Is your public IP on the EOP block list?",
         "choices": {"yes": "Yes, it is listed", "no": "No, it's clean"}},
        {"name": "ip_blocked", "title": "Your on-premises public IP is on the EOP block list",
         "hop": "eop",
         "outcome": "our_admin",
         "say": "EOP refuses mail from your public IP, hybrid mail included. First find and stop whatever sent "
                "junk from it (a hacked account, an open relay, an infected device behind the same NAT), then "
                "request removal at https://sender.office.com. Removal can take up to 24 hours; then resubmit "
                "the queue.",
         "run": ["Retry-Queue -Identity \"<queue identity>\" -Resubmit $true"],
         "evidence": ["The send log or queue line quoting the block and your IP", _QUEUE,
                      "The date the removal was requested"]},
        {"name": "escalate_onprem", "title": "Stuck between on-premises and EOP: open a Microsoft support case",
         "hop": "eop",
         "outcome": "escalate",
         "say": "Everything you can check is in order and EOP still won't take the message. Open a case from "
                "the Microsoft 365 admin center (Help & support). The message is waiting in your own queue, so "
                "support can only investigate with the send protocol log of your on-premises server: collect "
                "it first.",
         "evidence": [_SEND_LOG, _QUEUE,
                      "The Get-SendConnector, Get-ExchangeCertificate and Get-InboundConnector output",
                      "Your on-premises public IP and the time of a failed attempt, in UTC"]},
    ],
    "transitions": [
        {"trigger": "answered", "source": "ask_sender", "dest": "ask_recipient"},
        {"trigger": "answered", "source": "ask_recipient", "dest": "ask_date"},
        {"trigger": "answered", "source": "ask_date", "dest": "ask_tenant"},
        {"trigger": "answered", "source": "ask_tenant", "dest": "exo_trace"},

        {"trigger": "delivered", "source": "exo_trace", "dest": "exo_delivered"},
        {"trigger": "failed", "source": "exo_trace", "dest": "exo_failed"},
        {"trigger": "pending", "source": "exo_trace", "dest": "exo_pending"},
        {"trigger": "quarantined", "source": "exo_trace", "dest": "exo_quarantined"},
        {"trigger": "spam", "source": "exo_trace", "dest": "exo_spam"},
        {"trigger": "none", "source": "exo_trace", "dest": "tracking"},
        {"trigger": "address", "source": "exo_failed", "dest": "exo_address"},
        {"trigger": "other", "source": "exo_failed", "dest": "escalate_cloud"},

        {"trigger": "none", "source": "tracking", "dest": "ask_onprem_server"},
        {"trigger": "stuck", "source": "tracking", "dest": "send_connector"},
        {"trigger": "sent", "source": "tracking", "dest": "escalate_cloud"},
        {"trigger": "local", "source": "tracking", "dest": "recipient_type"},

        {"trigger": "remote", "source": "recipient_type", "dest": "rra"},
        {"trigger": "mailbox", "source": "recipient_type", "dest": "onprem_mailbox"},
        {"trigger": "mailuser", "source": "recipient_type", "dest": "external_address"},
        {"trigger": "publicfolder", "source": "recipient_type", "dest": "public_folder"},
        {"trigger": "notfound", "source": "recipient_type", "dest": "recipient_missing"},
        {"trigger": "yes", "source": "rra", "dest": "send_connector"},
        {"trigger": "no", "source": "rra", "dest": "rra_wrong"},

        {"trigger": "answered", "source": "ask_onprem_server", "dest": "receive_log"},
        {"trigger": "refused", "source": "receive_log", "dest": "onprem_refused"},
        {"trigger": "nothing", "source": "receive_log", "dest": "firewall"},
        {"trigger": "off", "source": "receive_log", "dest": "logging_off"},
        {"trigger": "no", "source": "firewall", "dest": "firewall_blocked"},
        {"trigger": "yes", "source": "firewall", "dest": "sender_never_tried"},

        {"trigger": "yes", "source": "send_connector", "dest": "queue"},
        {"trigger": "no", "source": "send_connector", "dest": "connector_missing"},
        {"trigger": "hybrid", "source": "queue", "dest": "send_log"},
        {"trigger": "other", "source": "queue", "dest": "wrong_route"},
        {"trigger": "later", "source": "send_log", "dest": "connector_match"},
        {"trigger": "attribution", "source": "send_log", "dest": "connector_match"},
        {"trigger": "tls", "source": "send_log", "dest": "connector_match"},
        {"trigger": "blocked", "source": "send_log", "dest": "ip_blocked"},
        {"trigger": "noconnect", "source": "send_log", "dest": "no_route_out"},
        {"trigger": "other", "source": "send_log", "dest": "escalate_onprem"},
        {"trigger": "no", "source": "connector_match", "dest": "connector_mismatch"},
        {"trigger": "yes", "source": "connector_match", "dest": "blocklist_check"},
        {"trigger": "yes", "source": "blocklist_check", "dest": "ip_blocked"},
        {"trigger": "no", "source": "blocklist_check", "dest": "escalate_onprem"},
    ],
}
