"""Case C: one of our Office 365 users writes to an outside recipient; Exchange Online delivers directly.

No outbound connector is involved: Exchange Online looks up the recipient domain's MX record and hands
the message to that server. The steps: trace the message by sender, read its status and the remote
server's reply, test the remote server on port 25, check our SPF/DKIM/DMARC, then escalate.
"""

from dialogs.flows import common

_REPLY = ("The message trace detail (Get-MessageTraceDetailV2) showing the remote server's reply: the code, "
          "its text and the host that gave it")
_AUTH_CHECKS = ("For {sender_domain} check three things. SPF: exactly one TXT record starting with v=spf1, and it "
                "contains include:spf.protection.outlook.com. " + common.DKIM_DMARC_CHECKS)

FLOW = {
    "name": "scenario_c",
    "version": 1,
    "title": "C: your Office 365 users -> an outside recipient",
    "intro": "In this case the message leaves straight from Exchange Online: no connector is involved, so "
             "Microsoft looks up the MX record of the recipient's domain and hands the message to that outside "
             "server. The message trace tells us whether their server took it, refused it or couldn't be "
             "reached, and that decides who has to act.",
    # The hops this case's mail crosses, in order (dialogs.path); outcomes name theirs with "hop".
    "path": ("client", "exo", "eop", "recipient_server"),
    "initial": "ask_sender",
    "states": [
        # -- the facts every step needs --------------------------------------------------------------
        *common.outbound_facts(),  # ask_sender, ask_recipient, ask_date

        # -- 1. message trace by sender ----------------------------------------------------------------
        common.outbound_trace(),  # trace: delivered, failed, pending, spam or none
        common.not_in_trace(),  # not_in_trace: found, outbox or sent

        # -- 2. Failed / Pending: read the reply in the trace detail ------------------------------------
        {"name": "detail", "title": "Reply in the trace detail",
         "codes": ("5.1.8", "5.1.90", "5.7.501-5.7.503", "5.7.703", "5.7.705", "5.7.708", "5.4.310", "5.4.312"),
         "say": "Open the message in the trace to see its events, or run the command below with the "
                "MessageTraceId from the trace. Read the last SEND, DEFER or FAIL event: its detail holds the "
                "answer the receiving side gave (a code such as 550 5.7.1 plus some text) and which host said it.",
         "run": [common.TRACE_DETAIL],
         "ask": "What does the detail say?",
         "choices": {
             "remote": "Their server refused it: the reply comes from their host (for example 550 5.1.1 or "
                       "550 5.7.1)",
             "noanswer": "Their server couldn't be reached or kept saying 'try later' (timeouts, 4.x.x, 4.4.7 or "
                         "5.4.300 expired)",
             "dns": "Their domain or its MX record couldn't be found (5.4.310, 5.4.312)",
             "restricted": "Our side stopped the sender: 5.1.8 'bad outbound sender' or a sending limit",
             "policy": "One of our own mail flow rules, DLP policies or block entries stopped it (for example "
                       "5.7.703)",
             "tenant": "5.7.705 or 5.7.708: our whole tenant is blocked from sending",
         }},
        {"name": "pool_check", "title": "Spam verdict and outbound pool",
         "codes": ("5.7.1", "5.7.350", "4.7.650"),
         "say": "Before we blame their side, check how Exchange Online sent it. In the same detail look at the "
                "spam filter data (S:SFA=...) and the OutboundIpPoolName. A spam verdict, DI=SO, or a pool name "
                "that mentions high risk means the message left through the high risk delivery pool (HRDP). "
                "Outside block lists often carry those IP addresses, so in that case the refusal comes from our "
                "spam verdict, not from a problem at the recipient.",
         "ask": "Was it judged as spam or sent through the high risk delivery pool?",
         "choices": {"yes": "Yes", "no": "No, it went out normally"}},
        {"name": "remote_code", "title": "Kind of refusal",
         "codes": ("5.1.1", "5.1.10", "5.1.351", "5.5.0"),
         "say": "The message left Exchange Online normally, so refusing it was their server's decision. The code "
                "in the reply tells us what kind of decision.",
         "ask": "Which kind of refusal is it?",
         "choices": {
             "unknown": "Recipient unknown: 5.1.1, 5.1.10, 'user unknown' or 'mailbox unavailable'",
             "policy": "Refused by policy: 5.7.x, spam, a block list, 'access denied' or an SPF/DMARC complaint",
             "other": "Something else (mailbox full, message too big, other text)",
         }},

        # -- FilteredAsSpam / Quarantined / high risk delivery pool ------------------------------------
        {"name": "hrdp", "title": "Spam verdict on our outgoing mail",
         "say": "Exchange Online treated this outgoing message as spam, or held it. Such mail is either stopped "
                "or sent from the high risk delivery pool, whose addresses many receivers refuse. The cause is on "
                "our side. Check whether the sender has been restricted for sending spam ("
                + common.RESTRICTED_ENTITIES + "), look at the outbound spam policy limits, and read the trace "
                "detail to see what acted: the spam filter, a mail flow rule, DLP or the malware filter.",
         "run": [*common.OUTBOUND_SPAM_CHECKS, common.TRACE_DETAIL],
         "ask": "What did you find?",
         "choices": {
             "restricted": "The sender is on the restricted list (blocked from sending)",
             "content": "Not restricted, but the message looked like spam (mass mailing, odd links or "
                        "attachments)",
             "rule": "One of our mail flow rules, a DLP policy or the malware filter held it",
             "unclear": "None of these, I can't tell why",
         }},

        # -- Delivered: to which server? --------------------------------------------------------------
        {"name": "delivered_where", "title": "Server that accepted the message",
         "say": "'Delivered' only means that some server took the message from Exchange Online. In the detail, "
                "the SEND event shows that host or IP address (also ToIP in the trace) and its answer, normally "
                "250 with a queue id. Compare it with the MX record of {recipient_domain}.",
         "run": [common.TRACE_DETAIL, "Resolve-DnsName -Type MX {recipient_domain}"],
         "ask": "Who accepted it?",
         "choices": {
             "their": "Their mail server (it matches their MX), and no bounce came back",
             "bounce": "Their mail server, but later a bounce came back from their side",
             "onprem": "Our own on-premises Exchange server",
             "other": "Some other host (a partner connector or a filtering service)",
         }},

        # -- 3. port 25 test --------------------------------------------------------------------------
        {"name": "port25", "check": {"kind": "smtp", "target": "{recipient_domain}",
                  "answers": {"accepted": "ok", "deferred": "temp", "unknown-recipient": "unknown",
                              "policy": "policy"}},
         "title": "Port 25 test to their server",
         "codes": ("4.4.316", "5.4.316", "4.4.7", "5.4.300"),
         "say": "Now talk to their server yourself, the way Exchange Online does. Use a machine that is allowed "
                "to open outgoing port 25: many office networks, home providers and cloud providers block it. "
                "Find their mail host and connect to it on port 25; test our own MX {sender_eop_host} the same "
                "way, to prove your network isn't the blocker. In the telnet session (on Windows, add the Telnet "
                "Client feature first) type the SMTP lines one by one and note every reply; QUIT ends the "
                "session without sending anything.",
         "run": ["Resolve-DnsName -Type MX {recipient_domain}",
                 "Test-NetConnection <their MX host> -Port 25",
                 "Test-NetConnection {sender_eop_host} -Port 25",
                 *common.smtp_session("{sender_domain}")],
         "ask": "What happened?",
         "choices": {
             "noconnect": "I couldn't connect to their server (timeout or refused), but our MX answered",
             "blocked": "I couldn't connect anywhere: port 25 is blocked where I am",
             "temp": "Connected, but got a 4.x.x reply ('try again later')",
             "unknown": "RCPT TO got 5.1.1 or 'user unknown'",
             "policy": "MAIL FROM or RCPT TO got a 5.7.x refusal",
             "ok": "Every step got a 2xx reply (220, 250)",
         }},

        # -- 4. SPF / DKIM / DMARC of our domain -------------------------------------------------------
        {"name": "auth", "title": "SPF, DKIM and DMARC of our domain",
         "codes": ("5.7.23", "5.7.509", "5.7.515"),
         "say": "Receivers often refuse mail whose sender domain fails authentication, so rule out our side "
                "before pointing at theirs. " + _AUTH_CHECKS + " If the 5.7.x came from your own port 25 test, it "
                "may be about the IP address you tested from; the reply in the trace detail counts more.",
         "run": common.AUTH_LOOKUPS, "ask": common.AUTH_ASK, "choices": common.AUTH_CHOICES},
        {"name": "auth_final", "title": "SPF, DKIM and DMARC before escalating",
         "say": "Nothing so far shows the cause. Before handing this to Microsoft, rule out our own sender "
                "authentication. " + _AUTH_CHECKS,
         "run": common.AUTH_LOOKUPS, "ask": common.AUTH_ASK, "choices": common.AUTH_CHOICES},

        # -- outcomes ----------------------------------------------------------------------------------
        common.never_sent(),
        common.trace_gap(),
        {"name": "recipient_dns", "title": "The recipient's domain can't be found in DNS", "outcome": "other_admin",
         "hop": "recipient_server",
         "say": "Exchange Online couldn't find where {recipient_domain} receives mail. Check the spelling first: "
                "a typo such as .con or a missing letter is the usual cause, and resending to the right address "
                "fixes it. If the spelling is right, look the domain up yourself. A missing or broken MX record "
                "has to be fixed by their admin or their DNS provider.",
         "run": ["Resolve-DnsName -Type MX {recipient_domain}", "nslookup -type=mx {recipient_domain}"],
         "evidence": ["The message trace detail (Get-MessageTraceDetailV2) with the DNS error",
                      common.MX_LOOKUP_EVIDENCE,
                      common.TRACE_ID]},
        common.bad_address(evidence=[_REPLY, common.TRACE_ID]),
        {"name": "remote_refused", "title": "The recipient's server refused the message", "outcome": "other_admin",
         "hop": "recipient_server",
         "say": "Exchange Online sent the message normally and their server said no. Only their mail admin can "
                "tell why or make an exception, for example by allowing {sender_domain} or lifting a block on "
                "Microsoft 365's sending addresses. " + common.REPLY_TO_THEIR_ADMIN,
         "evidence": [_REPLY, common.TRACE_ID, common.AUTH_PASSES]},
        {"name": "remote_tempfail", "title": "Their server keeps deferring our mail", "outcome": "other_admin",
         "hop": "recipient_server",
         "say": "Their server takes the connection but answers 4.x.x, 'try again later' (busy, greylisting, rate "
                "limits). Exchange Online keeps retrying by itself for a while before it gives up with a bounce, "
                "so there is nothing to fix on our side. Ask their admin why they defer mail from Microsoft 365; "
                "the reply text usually gives the reason.",
         "evidence": ["The 4.x.x reply from the message trace detail (Get-MessageTraceDetailV2) or from your "
                      "port 25 test", common.TRACE_ID]},
        {"name": "remote_unreachable", "title": "Their mail server can't be reached", "outcome": "other_admin",
         "hop": "recipient_server",
         "say": "Nothing answers on port 25 at the mail server of {recipient_domain}, while other mail servers "
                "answer from the same place. Their server is down, their firewall drops the connections, or "
                "their MX record points to the wrong host. Their admin has to fix it. Exchange Online sends the "
                "waiting message by itself once the server answers, unless it has already given up.",
         "evidence": [common.MX_LOOKUP_EVIDENCE,
                      "Your failed Test-NetConnection or telnet attempt, with the time and the network you tested "
                      "from",
                      "The message trace detail (Get-MessageTraceDetailV2) showing the timeouts or the expiry"]},
        {"name": "restricted_sender", "title": "The sender is blocked for sending spam", "outcome": "our_admin",
         "hop": "eop",
         "say": "Microsoft 365 blocks a user from sending outside when the account sends too much, or spam-like, "
                "mail. Very often that means the account is compromised, so treat it as a security incident "
                "first: " + common.SECURE_ACCOUNT + ". Then release the user at " + common.RESTRICTED_ENTITIES
                + ", or with Remove-BlockedSenderAddress. For genuine mass mailings use a bulk mail service instead.",
         "run": ["Get-InboxRule -Mailbox {sender} | Format-List Name,Enabled,ForwardTo,ForwardAsAttachmentTo,"
                 "RedirectTo,DeleteMessage",
                 "Remove-BlockedSenderAddress -SenderAddress {sender}"],
         "evidence": ["The output of Get-BlockedSenderAddress -SenderAddress {sender}",
                      "The bounce the sender got (5.1.8 'bad outbound sender') or the message trace detail",
                      "The sender's recent sign-ins and inbox rules",
                      "The outbound spam alert e-mail, if one was sent"]},
        {"name": "hrdp_content", "title": "Our message looked like spam to Exchange Online", "outcome": "our_admin",
         "hop": "eop",
         "say": "The sender isn't restricted, but this message got a spam verdict, so it was stopped or left "
                "through the high risk pool. Look for what made it look like spam: many outside recipients at "
                "once, a newsletter sent from a normal mailbox, link shorteners, odd attachments. Also make sure "
                "{sender_domain} has an MX or an A record in public DNS; mail from a domain with neither always "
                "goes out through the high risk pool. Fix the cause and send a fresh message; send newsletters "
                "through a bulk mail service.",
         "run": ["Resolve-DnsName -Type MX {sender_domain}", "Resolve-DnsName -Type A {sender_domain}"],
         "evidence": ["The message trace detail (Get-MessageTraceDetailV2) showing the spam verdict (S:SFA, DI=SO)"
                      " or the OutboundIpPoolName",
                      "A copy of the message and the number of its recipients",
                      "The MX and A lookups for {sender_domain}"]},
        {"name": "own_policy", "title": "One of our own policies stopped the message", "outcome": "our_admin",
         "hop": "exo",
         "say": "The message was stopped inside our tenant, before any outside server saw it. The trace detail "
                "names what acted: a mail flow rule, a DLP policy, the malware filter, or a block entry for "
                "{recipient_domain} in the Tenant Allow/Block List. Decide whether that block is intended; if not, "
                "change the rule or policy or remove the entry, then ask the sender to send again.",
         "run": ["Get-TransportRule | Format-Table Name,State,Priority",
                 "Get-TenantAllowBlockListItems -ListType Sender -Block"],
         "evidence": ["The message trace detail (Get-MessageTraceDetailV2) naming the rule, policy or block entry",
                      "The bounce the sender got, if any (for example 5.7.703)",
                      "The name and settings of the rule or policy that acted"]},
        {"name": "tenant_limited", "title": "Our whole tenant is blocked from sending", "outcome": "escalate",
         "hop": "eop",
         "say": "5.7.705 and 5.7.708 mean Microsoft limits outgoing mail for the whole tenant, usually after a "
                "burst of spam from compromised accounts, or for a new tenant with no sending reputation yet. "
                "Secure any compromised accounts first (check the restricted entities and unusual sending "
                "volumes). Only Microsoft can lift the block: open a support case with the evidence below.",
         "evidence": ["The bounce or message trace detail showing 5.7.705 or 5.7.708",
                      "The output of Get-BlockedSenderAddress (restricted users)",
                      "What you found and fixed on compromised accounts"]},
        {"name": "delivered_silent", "title": "Their server accepted it: the rest is on their side",
         "hop": "recipient_server",
         "outcome": "other_admin",
         "say": "Exchange Online handed the message to their server and got a yes, and we can't see or do more "
                "from Office 365. " + common.AFTER_THEIR_YES,
         "evidence": ["The message trace detail (Get-MessageTraceDetailV2) with the SEND event: the host or IP "
                      "that accepted it and its 250 reply",
                      common.TRACE_ID,
                      "Sender {sender}, recipient {recipient} and the subject line"]},
        {"name": "delivered_bounced", "title": "Accepted, then bounced by their system", "outcome": "other_admin",
         "hop": "recipient_server",
         "say": "Their server first accepted the message and sent its own bounce later, so the refusal comes from "
                "inside their system (a filter, a full mailbox, a forward that failed). The bounce names the "
                "server that wrote it and the reason. Pass it to their mail admin.",
         "evidence": ["The bounce message, attached with its headers",
                      "The message trace detail (Get-MessageTraceDetailV2) showing the accepted SEND to their "
                      "server",
                      common.TRACE_ID]},
        {"name": "unexpected_route", "title": "Sent to an unexpected host", "outcome": "our_admin",
         "hop": "exo",
         "say": "Exchange Online didn't use the MX record of {recipient_domain}: an outbound connector sent the "
                "message somewhere else. The trace detail names that connector (TenantOutboundConnectorCustomData "
                "Name=...). If the route is intended, for example a partner's gateway or a filtering service, "
                "that host's owner must look further. If not, correct or disable the connector.",
         "run": ["Get-OutboundConnector | Format-List Name,Enabled,ConnectorType,RecipientDomains,SmartHosts,"
                 "UseMxRecord,IsTransportRuleScoped"],
         "evidence": ["The message trace detail (Get-MessageTraceDetailV2) with the SEND event and the connector "
                      "data",
                      "The output of Get-OutboundConnector | Format-List",
                      "The MX record of {recipient_domain}"]},
        common.fix_auth(spf="include:spf.protection.outlook.com"),
        {"name": "support", "title": "Open a case with Microsoft support", "outcome": "escalate",
         "hop": "exo",
         "say": "Our settings check out and the tests don't show the cause. Open a case with Microsoft support "
                "(Microsoft 365 admin center > Support > Help & support) with the evidence below. They will repeat "
                "these checks, and if Exchange Online did its part they will send you to the recipient's mail "
                "admin, so it pays to contact that admin at the same time.",
         "evidence": [common.FULL_TRACE_EVIDENCE,
                      "The remote server's reply text, if there is one",
                      "The transcript of your port 25 test, with the time and the network you tested from",
                      "Your SPF, DKIM and DMARC lookups for {sender_domain}",
                      common.CASE_FACTS]},
        {"name": "go_d", "handoff": "scenario_d"},
    ],
    "transitions": [
        {"trigger": "answered", "source": "ask_sender", "dest": "ask_recipient"},
        {"trigger": "answered", "source": "ask_recipient", "dest": "ask_date"},
        {"trigger": "answered", "source": "ask_date", "dest": "trace"},
        {"trigger": "skip", "source": "ask_date", "dest": "trace"},

        {"trigger": "delivered", "source": "trace", "dest": "delivered_where"},
        {"trigger": "failed", "source": "trace", "dest": "detail"},
        {"trigger": "pending", "source": "trace", "dest": "detail"},
        {"trigger": "spam", "source": "trace", "dest": "hrdp"},
        {"trigger": "none", "source": "trace", "dest": "not_in_trace"},

        {"trigger": "found", "source": "not_in_trace", "dest": "trace"},
        {"trigger": "outbox", "source": "not_in_trace", "dest": "never_sent"},
        {"trigger": "sent", "source": "not_in_trace", "dest": "trace_gap"},

        {"trigger": "remote", "source": "detail", "dest": "pool_check"},
        {"trigger": "noanswer", "source": "detail", "dest": "port25"},
        {"trigger": "dns", "source": "detail", "dest": "recipient_dns"},
        {"trigger": "restricted", "source": "detail", "dest": "restricted_sender"},
        {"trigger": "policy", "source": "detail", "dest": "own_policy"},
        {"trigger": "tenant", "source": "detail", "dest": "tenant_limited"},

        {"trigger": "yes", "source": "pool_check", "dest": "hrdp"},
        {"trigger": "no", "source": "pool_check", "dest": "remote_code"},

        {"trigger": "unknown", "source": "remote_code", "dest": "bad_address"},
        {"trigger": "policy", "source": "remote_code", "dest": "auth"},
        {"trigger": "other", "source": "remote_code", "dest": "remote_refused"},

        {"trigger": "restricted", "source": "hrdp", "dest": "restricted_sender"},
        {"trigger": "content", "source": "hrdp", "dest": "hrdp_content"},
        {"trigger": "rule", "source": "hrdp", "dest": "own_policy"},
        {"trigger": "unclear", "source": "hrdp", "dest": "auth_final"},

        {"trigger": "their", "source": "delivered_where", "dest": "delivered_silent"},
        {"trigger": "bounce", "source": "delivered_where", "dest": "delivered_bounced"},
        {"trigger": "onprem", "source": "delivered_where", "dest": "go_d"},
        {"trigger": "other", "source": "delivered_where", "dest": "unexpected_route"},

        {"trigger": "noconnect", "source": "port25", "dest": "remote_unreachable"},
        {"trigger": "blocked", "source": "port25", "dest": "auth_final"},
        {"trigger": "temp", "source": "port25", "dest": "remote_tempfail"},
        {"trigger": "unknown", "source": "port25", "dest": "bad_address"},
        {"trigger": "policy", "source": "port25", "dest": "auth"},
        {"trigger": "ok", "source": "port25", "dest": "auth_final"},

        {"trigger": "yes", "source": "auth", "dest": "remote_refused"},
        {"trigger": "no", "source": "auth", "dest": "fix_auth"},
        {"trigger": "yes", "source": "auth_final", "dest": "support"},
        {"trigger": "no", "source": "auth_final", "dest": "fix_auth"},
    ],
}
