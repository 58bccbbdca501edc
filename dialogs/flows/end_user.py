"""For people who are not mail admins: what they can check themselves, then a ticket for the helpdesk."""

_TICKET_EVIDENCE = [
    "The bounce message itself, forwarded as an attachment (not just a screenshot) if there was one",
    "Sender and recipient addresses: {sender} -> {recipient}",
    "When it was sent: {date}, with your time zone",
    "The subject line, so the admin can find it in a message trace",
]

FLOW = {
    "name": "end_user",
    "version": 1,
    "title": "Helpdesk ticket for a missing or bounced email",
    "intro": "No problem, you don't need admin rights for this. I'll help you check the few things you can "
             "see yourself and then write a ticket your helpdesk can act on straight away.",
    "initial": "what",
    "states": [
        {"name": "what", "title": "What happened",
         "ask": "Which of these matches what happened?",
         "choices": {"bounce": "I sent an email and got a bounce (a 'couldn't be delivered' message) back",
                     "silent": "I sent an email, got no bounce, but the other person says it never arrived",
                     "incoming": "Someone sent me an email and it never arrived"}},
        {"name": "code", "fact": "ndr_code",
         "ask": "Open the bounce. Near the top or under 'Diagnostic information' there is a code like 5.1.1, "
                "550 5.7.606 or 4.4.7. Type or paste that code (with the text next to it if you like)."},
        {"name": "address", "title": "Recipient address checked",
         "say": "The most common cause of a bounce is a small typo in the address. Compare the address in the "
                "bounce with the one the person gave you, letter by letter (dots, hyphens, .com vs .co).",
         "ask": "Was the address exactly right?",
         "choices": {"yes": "Yes, it's correct", "no": "No, there was a mistake"}},
        {"name": "typo", "title": "Address had a typo", "outcome": "solved",
         "say": "Send the message again to the corrected address. If Outlook suggests the old address as you "
                "type, remove that suggestion (the X next to it) so it doesn't come back."},
        {"name": "sent_items", "title": "Message in Sent Items",
         "ask": "Is the message in your Sent Items folder (and not stuck in the Outbox)?",
         "choices": {"yes": "Yes, it's in Sent Items", "no": "No, it's in the Outbox or nowhere"}},
        {"name": "outbox", "title": "Message never left the mail app",
         "outcome": "helpdesk",
         "say": "The message never left your mail app, so nothing has gone wrong on the mail servers yet. "
                "Check you are online, remove large attachments (over 20-25 MB) and press Send again. If it "
                "stays in the Outbox, send the ticket below to the helpdesk.",
         "evidence": ["A screenshot of the Outbox showing the message", *_TICKET_EVIDENCE[1:]]},
        {"name": "junk", "title": "Junk folder checked",
         "say": "Ask the recipient (or, if it is your inbox, look yourself) in the Junk Email folder. In "
                "Microsoft 365 a message can also be held in quarantine: "
                "https://security.microsoft.com/quarantine shows messages held for you.",
         "ask": "Was it there?",
         "choices": {"yes": "Yes, found it", "no": "No, it's not there"}},
        {"name": "found_in_junk", "title": "Message was in junk or quarantine", "outcome": "solved",
         "say": "Mark it as 'Not junk' (or release it from quarantine) so future messages from that sender "
                "arrive in the inbox. If this keeps happening, tell the helpdesk which sender is affected."},
        {"name": "ask_sender", "fact": "sender", "ask": "Which address was the message sent from?"},
        {"name": "ask_recipient", "fact": "recipient", "ask": "Which address was it sent to?"},
        {"name": "ask_date", "fact": "date", "ask": "When was it sent?"},
        {"name": "ask_subject", "fact": "subject", "ask": "What was the subject line?"},
        {"name": "ticket", "title": "Ticket ready for the helpdesk", "outcome": "helpdesk",
         "say": "You have done what can be done without admin rights. Copy the summary below into a helpdesk "
                "ticket (or send it to your IT contact). With these details an admin can trace the message "
                "in a few minutes, so please don't resend it many times meanwhile.",
         "evidence": _TICKET_EVIDENCE},
    ],
    "transitions": [
        {"trigger": "bounce", "source": "what", "dest": "code"},
        {"trigger": "silent", "source": "what", "dest": "sent_items"},
        {"trigger": "incoming", "source": "what", "dest": "junk"},
        {"trigger": "answered", "source": "code", "dest": "address"},
        {"trigger": "no", "source": "address", "dest": "typo"},
        {"trigger": "yes", "source": "address", "dest": "ask_sender"},
        {"trigger": "yes", "source": "sent_items", "dest": "junk"},
        {"trigger": "no", "source": "sent_items", "dest": "outbox"},
        {"trigger": "yes", "source": "junk", "dest": "found_in_junk"},
        {"trigger": "no", "source": "junk", "dest": "ask_sender"},
        {"trigger": "answered", "source": "ask_sender", "dest": "ask_recipient"},
        {"trigger": "answered", "source": "ask_recipient", "dest": "ask_date"},
        {"trigger": "answered", "source": "ask_date", "dest": "ask_subject"},
        {"trigger": "answered", "source": "ask_subject", "dest": "ticket"},
    ],
}
