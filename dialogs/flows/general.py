"""How mail normally travels between two organisations: a short guided explanation."""

FLOW = {
    "name": "general",
    "version": 1,
    "title": "How mail normally flows",
    "intro": "Let's follow one message from fabrikam.com to contoso.com, two separate organisations, "
             "each with its own mail server. Five short steps.",
    # The hops this case's mail crosses, in order (dialogs.path); outcomes name theirs with "hop".
    "path": ("client", "sending_server", "recipient_server"),
    "initial": "client",
    "states": [
        {"name": "client", "title": "1. From the app to the sender's server",
         "say": "The sender writes the message in a mail app (Outlook, a web mailbox, Thunderbird...) and "
                "presses Send. The app does not deliver anything itself: it hands the message to its own "
                "organisation's mail server, say server.fabrikam.com.",
         "ask": "Ready for the next step?", "choices": {"next": "Next"}},
        {"name": "queue", "title": "2. The sending server's queue",
         "say": "server.fabrikam.com puts the message in its outgoing queue. It looks up where contoso.com "
                "receives mail (the MX record in DNS, or a connector's smart host) and opens an SMTP "
                "connection to that server. If it cannot connect it keeps retrying for a day or two.",
         "ask": "Next?", "choices": {"next": "Next"}},
        {"name": "decision", "title": "3. The receiving server decides",
         "say": "server.contoso.com now either accepts the message or refuses it. It weighs the connecting IP "
                "address (and its reputation), any connector or certificate it expects from that sender, "
                "the sender's address, and whether the recipient exists.",
         "ask": "Next?", "choices": {"next": "Next"}},
        {"name": "dsn", "title": "4. A refusal comes back as a DSN",
         "say": "A refusal is not silent: server.contoso.com answers with a status code and reason (a "
                "delivery status notification, DSN). It is written to server.fabrikam.com's SMTP send log. "
                "The sending server then tells its own user with a bounce message, the NDR (non-delivery "
                "report).",
         "ask": "Next?", "choices": {"next": "Next"}},
        {"name": "who", "title": "5. Who investigates",
         "say": "The person who receives the NDR should pass it to their own mail admin, who reads the send "
                "logs: was there a network problem on our side, is our IP address on a block list, was our "
                "server unwell at that moment? The code in the NDR usually says which of these it is.",
         "ask": "What would you like to do now?",
         "choices": {"troubleshoot": "Troubleshoot a real problem", "done": "That's all, thanks"}},
        {"name": "finished", "title": "Explained the general mail path", "outcome": "solved",
         "say": "You have seen the whole path: app -> sending server -> queue -> receiving server accepts or "
                "refuses -> DSN -> NDR. Come back with a bounce or a missing message any time."},
        {"name": "to_triage", "handoff": "triage"},
    ],
    "transitions": [
        {"trigger": "next", "source": "client", "dest": "queue"},
        {"trigger": "next", "source": "queue", "dest": "decision"},
        {"trigger": "next", "source": "decision", "dest": "dsn"},
        {"trigger": "next", "source": "dsn", "dest": "who"},
        {"trigger": "troubleshoot", "source": "who", "dest": "to_triage"},
        {"trigger": "done", "source": "who", "dest": "finished"},
    ],
}
