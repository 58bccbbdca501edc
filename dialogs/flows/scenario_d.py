"""Case D: hybrid with centralized mail flow; our users' outside mail leaves through on-premises Exchange.

Exchange Online hands every message for outside recipients to the on-premises smart host through the
hybrid outbound connector, and the on-premises server delivers it to the recipient's MX. The steps:
trace by sender, check the send went to the smart host through the hybrid connector, compare the
connector settings on both ends, read the on-premises receive protocol log, then follow the message
on-premises (tracking log, queues, port 25 test from the server, SPF/DKIM/DMARC) and escalate.
"""

from dialogs.flows import common

_CONNECTORS = ("Get-OutboundConnector | Format-List Name,ConnectorType,SmartHosts,RouteAllMessagesViaOnPremises,"
               "TlsSettings,TlsDomain")
_RECEIVE_CONNECTORS = ("Get-ReceiveConnector | Format-List Name,Bindings,RemoteIPRanges,TlsCertificateName,"
                       "AuthMechanism,PermissionGroups")
_CUSTOM_DATA = ("S:Microsoft.Exchange.Hygiene.TenantOutboundConnectorCustomData=Name={connector};"
                "ConnectorType=OnPremises;UseMxRecord=False")
_EXO_ERROR = "The message trace detail (Get-MessageTraceDetailV2) showing the error returned by {onprem_server}"
_RECEIVE_LOG = "The on-premises SMTP receive protocol log for the connection from Exchange Online"
_TRACKING = ("The on-premises message tracking result (Get-MessageTrackingLog) with the SEND or FAIL event and "
             "the recipient server's reply")
_ROUTE_CHOICES = {
    "yes": "To our on-premises smart host, through the connector with the same name",
    "wrongname": "To on-premises, but the connector name or type is different",
    "direct": "Straight to the recipient's own server, with no on-premises hop",
}


def _ask_connector(name: str) -> common.State:
    """The hybrid outbound connector's name, asked on both the Failed/Pending and the Delivered branch."""
    return {"name": name, "fact": "connector", "title": "Hybrid outbound connector",
            "say": "We'll compare the connector Exchange Online used with the one configured. In this list the "
                   "hybrid connector has ConnectorType OnPremises and SmartHosts {onprem_server}:",
            "run": [_CONNECTORS],
            "ask": "What is that connector's Name?"}


FLOW = {
    "name": "scenario_d",
    "version": 1,
    "title": "D: your users -> outside, through on-premises (centralized mail flow)",
    "intro": "With centralized mail flow, Exchange Online doesn't send to the Internet itself. The hybrid "
             "outbound connector passes every message for outside recipients to our on-premises Exchange "
             "server (the smart host), and that server delivers it to the recipient's MX. We check both hops: "
             "Exchange Online to on-premises first, then on-premises to the recipient.",
    # The hops this case's mail crosses, in order (dialogs.path); outcomes name theirs with "hop".
    "path": ("client", "exo", "eop", "onprem", "recipient_server"),
    "initial": "ask_sender",
    "states": [
        # -- the facts every step needs --------------------------------------------------------------
        *common.outbound_facts(),  # ask_sender, ask_recipient, ask_date
        {"name": "ask_onprem", "fact": "onprem_server", "title": "On-premises smart host",
         "say": "The hybrid outbound connector in Exchange Online names our on-premises server in SmartHosts. "
                "If you're not sure of it, this shows it (Exchange Online PowerShell):",
         "run": [_CONNECTORS],
         "ask": "What is the host name of our on-premises smart host?"},

        # -- 1. message trace by sender ----------------------------------------------------------------
        common.outbound_trace(  # trace: delivered, failed, pending, spam or none
            note="With centralized mail flow a healthy trace shows Exchange Online handing the message to "
                 "{onprem_server}, not to the recipient's server."),
        common.not_in_trace(),  # not_in_trace: found, outbox or sent

        # -- 2. Failed / Pending: did it go to the smart host through the hybrid connector? -------------
        _ask_connector("ask_connector_fail"),
        {"name": "fail_route", "title": "Route of the send attempt",
         "say": "Open the message in the trace, or run the command below, and read the last SEND, DEFER or FAIL "
                "event. The attempt should go to {onprem_server}, and the custom data should name our hybrid "
                "connector, like this:\n" + _CUSTOM_DATA,
         "run": [common.TRACE_DETAIL],
         "ask": "Where did Exchange Online try to send it?",
         "choices": _ROUTE_CHOICES},
        {"name": "fail_reply", "check": {"kind": "smarthost", "target": "{onprem_server}",
                  "answers": {"no-address": "noanswer"}},
         "title": "Answer from our on-premises server",
         "codes": ("5.7.1", "4.4.316", "5.4.316", "4.4.7", "5.4.300", "4.4.1", "4.4.2"),
         "say": "The same event says what went wrong between Exchange Online and {onprem_server}: either our "
                "server answered with an error, or it never answered at all.",
         "ask": "Which is it?",
         "choices": {
             "refused": "Our server answered with an error (for example 5.7.1 relay denied, another 4.x.x or "
                        "5.x.x, or a TLS or certificate problem)",
             "noanswer": "No answer: timed out or connection refused, 4.4.316, or 4.4.7 'message expired'",
         }},
        {"name": "settings_match", "title": "Connector settings on both ends",
         "say": "Exchange Online and {onprem_server} must recognise each other the same way. If the hybrid "
                "connector uses a certificate (TlsSettings DomainValidation or CertificateValidation), its "
                "TlsDomain must match a name on the certificate the on-premises receive connector presents "
                "(TlsCertificateName), and that certificate must be valid and enabled for SMTP. If the receive "
                "connector only accepts certain IPs (RemoteIPRanges), Microsoft 365's sending ranges must be in "
                "it. Run the first and last commands in Exchange Online PowerShell, the middle ones in the "
                "Exchange Management Shell; Validate-OutboundConnector sends a test through the connector to a "
                "mailbox that lives on-premises.",
         "run": ['Get-OutboundConnector -Identity "{connector}" | Format-List Name,ConnectorType,SmartHosts,'
                 'RouteAllMessagesViaOnPremises,TlsSettings,TlsDomain',
                 _RECEIVE_CONNECTORS,
                 "Get-ExchangeCertificate | Format-List Subject,CertificateDomains,NotAfter,Services,Thumbprint",
                 'Validate-OutboundConnector -Identity "{connector}" -Recipients <an on-premises mailbox address>'],
         "ask": "Do the settings match on both ends?",
         "choices": {"yes": "Yes, they match", "no": "No, something differs or the certificate is expired"}},
        {"name": "protocol_logs", "title": "On-premises SMTP receive log",
         "say": "Now look from {onprem_server}'s side: did Exchange Online's connection arrive, and what did our "
                "server answer? SMTP protocol logging is off on most receive connectors (it is on by default "
                "only for 'Default Frontend <server>'), so switch it on for the connector that receives from "
                "Exchange Online and wait for the next retry or send a new test. Then search the files under "
                "%ExchangeInstallPath%TransportRoles\\Logs\\FrontEnd\\ProtocolLog\\SmtpReceive for the sender "
                "address and for connections from Microsoft 365 addresses (40.92.x, 40.107.x, 52.100.x to "
                "52.103.x, 104.47.x).",
         "run": ["Get-ReceiveConnector | Format-Table Name,ProtocolLoggingLevel",
                 'Set-ReceiveConnector "<receive connector name>" -ProtocolLoggingLevel Verbose',
                 'Select-String -Path "$env:ExchangeInstallPath\\TransportRoles\\Logs\\FrontEnd\\ProtocolLog\\'
                 'SmtpReceive\\*.LOG" -Pattern "{sender}"'],
         "ask": "What does the receive log show?",
         "choices": {
             "none": "No connections from Exchange Online at all",
             "rejected": "Connections arrive, but our server rejects them or TLS fails",
             "accepted": "The message was accepted (250 ... Queued mail for delivery)",
             "unclear": "I can't tell, or the log doesn't help",
         }},

        # -- Delivered: it should have been delivered to the smart host --------------------------------
        _ask_connector("ask_connector_ok"),
        {"name": "ok_route", "title": "Route of the delivered message",
         "say": "Here 'Delivered' should mean that {onprem_server} took the message from Exchange Online. Open "
                "the message in the trace, or run the command below, and read the SEND event. It should go to "
                "{onprem_server}, and the custom data should name our hybrid connector, like this:\n"
                + _CUSTOM_DATA,
         "run": [common.TRACE_DETAIL],
         "ask": "Where did Exchange Online deliver it?",
         "choices": _ROUTE_CHOICES},

        # -- 3. on-premises: the second hop, like case C but from our own server -----------------------
        {"name": "onprem_tracking", "title": "Message tracking on-premises",
         "codes": ("5.1.1",),
         "say": "Exchange Online has done its part: {onprem_server} has the message, and from here our own "
                "server must deliver it. In the Exchange Management Shell, search the tracking logs of all "
                "transport servers and read the last events: SEND with a 250 reply means their server took it, "
                "DEFER means it waits in a queue, FAIL or DSN means it bounced.",
         "run": ["Get-TransportService | Get-MessageTrackingLog -Sender {sender} -Recipients {recipient} -Start "
                 "{start_date} -End {end_date} | Sort-Object Timestamp | Format-Table Timestamp,EventId,Source,"
                 "ServerHostname,ConnectorId,RecipientStatus"],
         "ask": "What is the last thing that happened to it?",
         "choices": {
             "sent": "SEND to their server, accepted with a 250 reply",
             "queued": "Waiting in a queue (DEFER events, or no SEND yet)",
             "unknown": "FAIL: their server says the recipient doesn't exist (5.1.1, 5.1.10)",
             "refused": "FAIL: their server refused it for another reason (5.7.x, spam, a block list)",
             "missing": "Nothing about it on any server, although the dates are right",
         }},
        {"name": "onprem_queue", "title": "On-premises queue and port 25 test",
         "say": "Find the queue the message waits in and read its LastError. Then test the next hop from "
                "{onprem_server} itself, because that machine has to reach the recipient: look up their MX, "
                "connect on port 25 and type the first SMTP lines, noting each reply (QUIT ends it without "
                "sending anything). Try one other well-known outside mail server too, to tell 'our outgoing port "
                "25 is blocked' apart from 'their server is down'.",
         "run": [common.QUEUES,
                 "Get-SendConnector | Format-List Name,AddressSpaces,DNSRoutingEnabled,SmartHosts,"
                 "SourceTransportServers",
                 "Resolve-DnsName -Type MX {recipient_domain}",
                 "Test-NetConnection <their MX host> -Port 25",
                 *common.smtp_session("{onprem_server}")],
         "ask": "What does the test from the on-premises server show?",
         "choices": {
             "blocked": "Our server can't reach any outside mail server on port 25",
             "theirs": "Only their server doesn't answer, or it answers 4.x.x 'try later'",
             "unknown": "RCPT TO gets 5.1.1 or 'user unknown'",
             "policy": "MAIL FROM or RCPT TO gets a 5.7.x refusal",
             "fine": "The manual test works, but the queue still doesn't move",
         }},
        {"name": "auth", "title": "SPF, DKIM and DMARC of our domain",
         "codes": ("5.7.23", "5.7.350", "5.7.509", "5.7.515"),
         "say": "Their server refused the message by policy, so rule out our own sender authentication first. "
                "With centralized mail flow the recipient sees the public IP of {onprem_server}, not Microsoft's, "
                "so the SPF record of {sender_domain} must list that IP as well as "
                "include:spf.protection.outlook.com (a 5.7.23 bounce points right at this). "
                + common.DKIM_DMARC_CHECKS + " Anything on-premises that changes the message after signing (a "
                "disclaimer, a footer) breaks the DKIM signature. Also check whether a block list named in the "
                "reply lists our on-premises IP.",
         "run": common.AUTH_LOOKUPS, "ask": common.AUTH_ASK, "choices": common.AUTH_CHOICES},

        # -- outcomes ----------------------------------------------------------------------------------
        common.never_sent(),
        common.trace_gap(),
        {"name": "outbound_spam", "title": "Exchange Online flagged our outgoing message", "outcome": "our_admin",
         "hop": "eop",
         "say": "Exchange Online scans our outgoing mail even when it leaves through on-premises, and it flagged "
                "or held this one. The cause is on our side (spam-judged mail that Exchange Online sends to the "
                "Internet itself goes out through the high risk delivery pool, which many block lists carry). The "
                "trace detail says what acted. Restricted sender: treat the account as compromised ("
                + common.SECURE_ACCOUNT + "), then release it at " + common.RESTRICTED_ENTITIES + ". Our own "
                "rule, DLP policy or malware filter: change it if the block isn't intended. Spam-like content "
                "(mass mailing, odd links): fix it and send a fresh message.",
         "run": [common.TRACE_DETAIL, *common.OUTBOUND_SPAM_CHECKS],
         "evidence": ["The message trace detail (Get-MessageTraceDetailV2) showing the spam verdict, rule or "
                      "policy that acted",
                      "The output of Get-BlockedSenderAddress -SenderAddress {sender}",
                      "The bounce the sender got, if any (for example 5.1.8 'bad outbound sender')"]},
        {"name": "connector_mismatch", "title": "The message didn't use the expected hybrid connector",
         "hop": "exo",
         "outcome": "our_admin",
         "say": "Exchange Online sent the message to on-premises, but not through the connector you expected, or "
                "that connector isn't of type OnPremises. An old, duplicate or hand-made connector may be taking "
                "the traffic. Compare the Name in the trace's TenantOutboundConnectorCustomData with the list "
                "below. Keep the connector the Hybrid Configuration Wizard created (ConnectorType OnPremises, "
                "UseMxRecord False, SmartHosts {onprem_server}, RouteAllMessagesViaOnPremises True) and disable "
                "or remove the extra one.",
         "run": ["Get-OutboundConnector | Format-List Name,Enabled,ConnectorType,SmartHosts,"
                 "RouteAllMessagesViaOnPremises,UseMxRecord,RecipientDomains,IsTransportRuleScoped"],
         "evidence": ["The message trace detail (Get-MessageTraceDetailV2) with the "
                      "TenantOutboundConnectorCustomData line",
                      "The output of Get-OutboundConnector | Format-List",
                      "The name of the connector you expected: {connector}"]},
        {"name": "cmt_off", "title": "Centralized mail flow wasn't used for this message", "outcome": "our_admin",
         "hop": "exo",
         "say": "Exchange Online delivered straight to the recipient's server and skipped {onprem_server}. Either "
                "centralized mail flow is off (RouteAllMessagesViaOnPremises False, or the hybrid connector "
                "disabled), or it was never meant to be on. If it should be on, fix the hybrid connector or run "
                "the Hybrid Configuration Wizard again with centralized mail transport selected. If direct "
                "sending is intended, this is case C: start a new case and choose 'Our Office 365 users -> an "
                "outside recipient'.",
         "run": ["Get-OutboundConnector | Format-List Name,Enabled,ConnectorType,SmartHosts,"
                 "RouteAllMessagesViaOnPremises"],
         "evidence": ["The message trace detail (Get-MessageTraceDetailV2) showing the SEND to the recipient's "
                      "own server",
                      "The output of Get-OutboundConnector | Format-List"]},
        {"name": "connector_settings", "title": "The connector settings don't match on both ends",
         "hop": "onprem",
         "outcome": "our_admin",
         "say": "Make both ends agree. The cleanest fix is to run the Hybrid Configuration Wizard again: it "
                "rewrites the Exchange Online connectors and the on-premises receive connector together. By hand: "
                "give the hybrid outbound connector the TlsDomain that matches the certificate on "
                "{onprem_server}, renew the certificate or enable it for SMTP if needed, and add Microsoft 365's "
                "ranges to RemoteIPRanges if that connector filters by IP. Then run Validate-OutboundConnector "
                "again and send a test message.",
         "run": ["Enable-ExchangeCertificate -Thumbprint <thumbprint of the new certificate> -Services SMTP"],
         "evidence": ['The output of Get-OutboundConnector -Identity "{connector}" | Format-List',
                      "The output of " + _RECEIVE_CONNECTORS,
                      "The certificate details from Get-ExchangeCertificate (names, expiry date, services)",
                      _EXO_ERROR]},
        {"name": "firewall", "title": "Exchange Online can't reach our on-premises server", "outcome": "our_admin",
         "hop": "onprem",
         "say": "Nothing from Exchange Online reaches {onprem_server}, so something stops the connection before "
                "Exchange sees it: a firewall or NAT rule, a filtering appliance, or a DNS name that points to "
                "the wrong address. Allow inbound TCP port 25 to the server from Microsoft 365's published "
                "Exchange Online ranges (for example 40.92.0.0/15, 40.107.0.0/16, 52.100.0.0/14 and "
                "104.47.0.0/17, plus the IPv6 ranges; take the current list from Microsoft's 'Microsoft 365 URLs "
                "and IP address ranges' page). From a machine outside our network, check that {onprem_server} "
                "resolves to the right public IP and answers on port 25. "
                "Exchange Online keeps retrying for a while, so waiting messages go out once the path is open.",
         "run": ["Resolve-DnsName {onprem_server}", "Test-NetConnection {onprem_server} -Port 25"],
         "evidence": ["The message trace detail (Get-MessageTraceDetailV2) showing the timeouts, 4.4.316 or "
                      "4.4.7 towards {onprem_server}",
                      "The on-premises SMTP receive protocol log for the time of the attempts, showing no "
                      "connection from Exchange Online",
                      "The firewall log for port 25 traffic from Microsoft 365 addresses",
                      "The output of Resolve-DnsName {onprem_server}"]},
        {"name": "onprem_rejects", "title": "Our on-premises server refuses Exchange Online", "outcome": "our_admin",
         "hop": "onprem",
         "say": "The connection arrives, but {onprem_server} turns it down. The last lines of that session in the "
                "receive log give the reason. A TLS failure or a missing certificate points at the certificate "
                "and TlsCertificateName of the receive connector. '5.7.1 Unable to relay' or 'not authenticated' "
                "means the receive connector doesn't trust Exchange Online; in hybrid the wizard sets "
                "TlsDomainCapabilities mail.protection.outlook.com:AcceptCloudServicesMail on it. Fix the receive "
                "connector, or run the Hybrid Configuration Wizard again, then watch the log on the next retry.",
         "run": [_RECEIVE_CONNECTORS + ",TlsDomainCapabilities"],
         "evidence": [_RECEIVE_LOG + ", including the rejection",
                      "The output of " + _RECEIVE_CONNECTORS,
                      _EXO_ERROR]},
        {"name": "remote_delivered", "title": "Their server accepted it from our on-premises server",
         "hop": "recipient_server",
         "outcome": "other_admin",
         "say": "Both hops worked: Exchange Online passed the message to {onprem_server} through the hybrid "
                "connector, and our server handed it to the recipient's server, which said yes. "
                + common.AFTER_THEIR_YES,
         "evidence": ["The on-premises message tracking result (Get-MessageTrackingLog) with the SEND event and "
                      "their server's 250 reply",
                      "The message trace in Exchange Online showing delivery to {onprem_server}",
                      "The Message-ID, sender {sender}, recipient {recipient} and the subject line"]},
        {"name": "onprem_outbound", "title": "Our on-premises server can't send out", "outcome": "our_admin",
         "hop": "onprem",
         "say": "The problem is in our own outgoing path on-premises. If no outside server answers on port 25, "
                "our firewall or Internet provider blocks outgoing SMTP from {onprem_server}: open TCP 25 "
                "outbound for it. If the manual test works but the queue is stuck, check the Internet send "
                "connector (AddressSpaces, DNS routing or a working smart host, the source servers), that the "
                "server's DNS resolves outside MX records, and the SMTP send protocol log (off by default). "
                "Once fixed, retry the queue.",
         "run": ['Set-SendConnector "<Internet send connector name>" -ProtocolLoggingLevel Verbose',
                 'Retry-Queue -Identity "<queue identity from Get-Queue>"'],
         "evidence": ["The output of " + common.QUEUES,
                      "Your port 25 tests from {onprem_server}, to their MX and to another outside server",
                      "The output of Get-SendConnector | Format-List",
                      "The on-premises SMTP send protocol log for the attempts"]},
        {"name": "remote_unreachable", "title": "Their server doesn't take our mail yet", "outcome": "other_admin",
         "hop": "recipient_server",
         "say": "Our server reaches the Internet, but the mail server of {recipient_domain} doesn't answer, or "
                "keeps saying 'try later' (4.x.x). Exchange on-premises retries by itself, by default for two "
                "days, before it bounces. Their admin has to fix their server, firewall or MX record, or explain "
                "why they defer our mail; the 4.x.x text usually gives the reason.",
         "evidence": ["The queue's LastError from Get-Queue",
                      "Your port 25 test from {onprem_server} to their MX, with the time",
                      common.MX_LOOKUP_EVIDENCE]},
        common.bad_address(evidence=[_TRACKING + ", or the transcript of your port 25 test", common.SENDER_BOUNCE]),
        {"name": "remote_refused", "title": "The recipient's server refused the message", "outcome": "other_admin",
         "hop": "recipient_server",
         "say": "Our server delivered the message normally, our sender authentication is in order, and their "
                "server still said no. Only their mail admin can say why or make an exception, for example by "
                "allowing {sender_domain} or the public IP of {onprem_server}. " + common.REPLY_TO_THEIR_ADMIN,
         "evidence": [_TRACKING + ", or the transcript of your port 25 test",
                      "The public IP address of {onprem_server}",
                      common.AUTH_PASSES]},
        common.fix_auth(spf="include:spf.protection.outlook.com and an ip4: entry for the public IP of {onprem_server}",
                        note="Stop on-premises disclaimers from changing signed messages.",
                        more_evidence=("The public IP address of {onprem_server}",)),
        {"name": "support", "title": "Open a case with Microsoft support", "outcome": "escalate",
         "hop": "exo",
         "say": "The connector settings look right and the logs don't show the cause. Open a case with Microsoft "
                "support (Microsoft 365 admin center > Support > Help & support) with the evidence below. They "
                "will check the hybrid settings in Exchange Online and against {onprem_server}; if those are "
                "right, they will hand the case back to us to look further on-premises.",
         "evidence": [common.FULL_TRACE_EVIDENCE,
                      'The output of Get-OutboundConnector -Identity "{connector}" | Format-List',
                      "The output of " + _RECEIVE_CONNECTORS,
                      _RECEIVE_LOG + ", for the time of the attempts",
                      common.CASE_FACTS]},
    ],
    "transitions": [
        {"trigger": "answered", "source": "ask_sender", "dest": "ask_recipient"},
        {"trigger": "answered", "source": "ask_recipient", "dest": "ask_date"},
        {"trigger": "answered", "source": "ask_date", "dest": "ask_onprem"},
        {"trigger": "skip", "source": "ask_date", "dest": "ask_onprem"},
        {"trigger": "answered", "source": "ask_onprem", "dest": "trace"},
        {"trigger": "skip", "source": "ask_onprem", "dest": "trace"},

        {"trigger": "delivered", "source": "trace", "dest": "ask_connector_ok"},
        {"trigger": "failed", "source": "trace", "dest": "ask_connector_fail"},
        {"trigger": "pending", "source": "trace", "dest": "ask_connector_fail"},
        {"trigger": "spam", "source": "trace", "dest": "outbound_spam"},
        {"trigger": "none", "source": "trace", "dest": "not_in_trace"},

        {"trigger": "found", "source": "not_in_trace", "dest": "trace"},
        {"trigger": "outbox", "source": "not_in_trace", "dest": "never_sent"},
        {"trigger": "sent", "source": "not_in_trace", "dest": "trace_gap"},

        {"trigger": "answered", "source": "ask_connector_fail", "dest": "fail_route"},
        {"trigger": "skip", "source": "ask_connector_fail", "dest": "fail_route"},
        {"trigger": "yes", "source": "fail_route", "dest": "fail_reply"},
        {"trigger": "wrongname", "source": "fail_route", "dest": "connector_mismatch"},
        {"trigger": "direct", "source": "fail_route", "dest": "cmt_off"},
        {"trigger": "refused", "source": "fail_reply", "dest": "settings_match"},
        {"trigger": "noanswer", "source": "fail_reply", "dest": "protocol_logs"},
        {"trigger": "yes", "source": "settings_match", "dest": "protocol_logs"},
        {"trigger": "no", "source": "settings_match", "dest": "connector_settings"},
        {"trigger": "none", "source": "protocol_logs", "dest": "firewall"},
        {"trigger": "rejected", "source": "protocol_logs", "dest": "onprem_rejects"},
        {"trigger": "accepted", "source": "protocol_logs", "dest": "onprem_tracking"},
        {"trigger": "unclear", "source": "protocol_logs", "dest": "support"},

        {"trigger": "answered", "source": "ask_connector_ok", "dest": "ok_route"},
        {"trigger": "skip", "source": "ask_connector_ok", "dest": "ok_route"},
        {"trigger": "yes", "source": "ok_route", "dest": "onprem_tracking"},
        {"trigger": "wrongname", "source": "ok_route", "dest": "connector_mismatch"},
        {"trigger": "direct", "source": "ok_route", "dest": "cmt_off"},

        {"trigger": "sent", "source": "onprem_tracking", "dest": "remote_delivered"},
        {"trigger": "queued", "source": "onprem_tracking", "dest": "onprem_queue"},
        {"trigger": "unknown", "source": "onprem_tracking", "dest": "bad_address"},
        {"trigger": "refused", "source": "onprem_tracking", "dest": "auth"},
        {"trigger": "missing", "source": "onprem_tracking", "dest": "protocol_logs"},

        {"trigger": "blocked", "source": "onprem_queue", "dest": "onprem_outbound"},
        {"trigger": "theirs", "source": "onprem_queue", "dest": "remote_unreachable"},
        {"trigger": "unknown", "source": "onprem_queue", "dest": "bad_address"},
        {"trigger": "policy", "source": "onprem_queue", "dest": "auth"},
        {"trigger": "fine", "source": "onprem_queue", "dest": "onprem_outbound"},

        {"trigger": "yes", "source": "auth", "dest": "remote_refused"},
        {"trigger": "no", "source": "auth", "dest": "fix_auth"},
    ],
}
