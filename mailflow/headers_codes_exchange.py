"""Meanings of Exchange transport stamps (X-MS-Exchange-Organization-*, X-MS-Exchange-CrossTenant-*) and of
X-Microsoft-Antispam-Mailbox-Delivery, in our own words.

Sources:
  [FW]   Exchange "Header firewall" (OfficeDocs-Exchange ExchangeServer2013/header-firewall-exchange-2013-help.md):
         AuthAs values, AuthSource, SCL, OriginalArrivalTime.
  [JNK]  "Configure junk email settings on Exchange Online mailboxes" (defender-docs): the safelist collection, and
         that cloud mailboxes are routed to Junk by a delivery agent, not by the mailbox junk email rule.
  [OBS]  Not documented by Microsoft; meaning inferred from real Exchange Online headers and community write-ups
         (MicrosoftDocs/microsoft-365-docs issues #1682, #7857, #13101; microsoft/MHA issue #299; University of Oxford
         IT "Examine junk mail delivery" for dest:J/I/C and OFR:CustomRules/SpamFilterAuthJ). Treat as best reading.
"""

from __future__ import annotations

# X-MS-Exchange-Organization-AuthAs / X-MS-Exchange-CrossTenant-AuthAs values [FW]; wording ours.
AUTH_AS: dict[str, str] = {
    "Anonymous": "not authenticated (an ordinary internet sender or an anonymous connector)",
    "Internal": "authenticated as part of the organisation (a mailbox user or a trusted on-premises server)",
    "External": "authenticated, but as a sender outside the organisation",
    "Partner": "authenticated as a partner organisation (for example Domain Secure / partner connector)",
}

# X-MS-Exchange-Organization-MessageDirectionality [OBS].
DIRECTIONALITY: dict[str, str] = {
    "Incoming": "received from outside the organisation",
    "Originating": "sent by the organisation (its mailboxes, or its on-premises servers through a connector)",
}

# X-MS-Exchange-CrossTenant-FromEntityHeader [OBS].
FROM_ENTITY: dict[str, str] = {
    "Internet": "the tenant received it from the internet",
    "Hosted": "it was sent from a mailbox or service hosted in the tenant (Exchange Online)",
    "HybridOnPrem": "it came from the organisation's on-premises servers through an inbound connector (hybrid)",
}

# X-MS-Exchange-CrossTenant-* and X-MS-Exchange-Transport-CrossTenantHeadersStamped field names [OBS].
CROSS_TENANT_FIELDS: dict[str, str] = {
    "id": "tenant ID of the Microsoft 365 organisation that stamped these headers",
    "authas": "how that tenant authenticated the sender",
    "authsource": "Exchange Online server that evaluated the authentication",
    "fromentityheader": "where that tenant got the message from",
    "network-message-id": "Network Message ID (the ID message trace and Threat Explorer use)",
    "originalarrivaltime": "when the message first arrived in that tenant",
    "originalattributedtenantconnectingip": "tenant the connection was attributed to (by connector), with the "
    "connecting IP and HELO",
    "mailboxtype": "type of the recipient mailbox",
    "userprincipalname": "user principal name of the mailbox",
}

# X-Microsoft-Antispam-Mailbox-Delivery dest: [OBS] (Oxford IT page).
MAILBOX_DEST: dict[str, tuple[str, str]] = {
    "I": ("inbox", "the Inbox"),
    "J": ("junk", "the Junk Email folder"),
    "C": ("folder", "a folder chosen by the recipient's own inbox rule"),
}

# X-Microsoft-Antispam-Mailbox-Delivery OFR: [OBS]; TrustedSenderList seen with wl:1 and dest:I.
MAILBOX_OFR: dict[str, str] = {
    "SpamFilterAuthJ": "placed following the spam filter's verdict",
    "CustomRules": "placed by the recipient's own inbox rule",
    "TrustedSenderList": "the recipient's Safe Senders list kept it out of Junk",
}

# Other X-Microsoft-Antispam-Mailbox-Delivery fields [OBS]; anything else is shown raw. jmr refers to the mailbox
# junk email rule, which [JNK] says no longer decides junk placement in Exchange Online.
MAILBOX_FIELDS: dict[str, str] = {
    "ucf": "recipient's custom filter (inbox rule) involved",
    "jmr": "mailbox junk email rule flag (no effect on cloud mailboxes)",
    "auth": "sender authentication flag",
    "rf": "folder the message was routed to",
    "eng": "internal filter engine rule IDs",
}

# ARC-Seal cv= per RFC 8617 §4.1.3.
ARC_CV: dict[str, str] = {
    "none": "first set, nothing before it",
    "pass": "the sealer found the chain before it intact",
    "fail": "the sealer found the chain before it broken",
}

# d= values Exchange Online seals with (real EXO ARC-Seal headers: d=microsoft.com, s=arcselector...).
MICROSOFT_SEALERS = {"microsoft.com"}
