"""The DNS world the mailflow tests run against: one zone-file text per origin.

Addresses are RFC 5737 / RFC 3849 documentation ranges; contoso.com, fabrikam.com, outlook.com,
google.com and the block-list zones exist only inside the loopback test server.
"""

from __future__ import annotations

DKIM_KEY = '"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1TESTKEY"'

WORLD: dict[str, str] = {
    # -- Microsoft's side ---------------------------------------------------------------------------
    "outlook.com": """
contoso-com.mail.protection   A 192.0.2.10
contoso.mail.protection       A 192.0.2.10
xn--bcher-kva-example.mail.protection A 192.0.2.11
twoeop-example.mail.protection A 192.0.2.12
hybridcorp.mail.protection    A 192.0.2.13
twoeop-example.mail.eo        A 192.0.2.14
spf.protection  TXT "v=spf1 ip4:198.51.100.0/25 ip6:2001:db8:e0::/48 include:spfd.protection.outlook.com -all"
spfd.protection TXT "v=spf1 ip4:198.51.100.128/26 -all"
autodiscover    A 192.0.2.20
""",
    "onmicrosoft.com": f"""
selector1-contoso-com._domainkey.contoso TXT {DKIM_KEY}
selector2-contoso-com._domainkey.contoso TXT {DKIM_KEY}
contoso.mail MX 0 contoso.mail.protection.outlook.com.
selector1-hybrid-example._domainkey.hybridcorp TXT {DKIM_KEY}
selector2-hybrid-example._domainkey.hybridcorp TXT {DKIM_KEY}
hybridcorp.mail MX 0 hybridcorp.mail.protection.outlook.com.
selector1-hybrid2-example._domainkey.brokenhybrid TXT {DKIM_KEY}
selector2-hybrid2-example._domainkey.brokenhybrid TXT {DKIM_KEY}
selector1-filtered-example._domainkey.filtered TXT {DKIM_KEY}
selector2-filtered-example._domainkey.filtered TXT {DKIM_KEY}
""",
    "mx.microsoft": "fabrikam-com.o-v1 A 192.0.2.30\n",
    "dkim.mail.microsoft": f"""
selector1-fabrikam-com._domainkey.fabrikam.o-v1 TXT {DKIM_KEY}
selector2-fabrikam-com._domainkey.fabrikam.o-v1 TXT {DKIM_KEY}
""",
    # -- Exchange Online customers ------------------------------------------------------------------
    "contoso.com": """
@ MX 0 contoso-com.mail.protection.outlook.com.
@ TXT "v=spf1 include:spf.protection.outlook.com -all"
@ TXT "MS=ms12345678"
_dmarc TXT "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@contoso.com"
selector1._domainkey CNAME selector1-contoso-com._domainkey.contoso.onmicrosoft.com.
selector2._domainkey CNAME selector2-contoso-com._domainkey.contoso.onmicrosoft.com.
autodiscover CNAME autodiscover.outlook.com.
_mta-sts TXT "v=STSv1; id=20250101T000000"
mta-sts A 192.0.2.40
_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@contoso.com"
mail A 192.0.2.25
mail AAAA 2001:db8::25
sub A 192.0.2.41
""",
    "fabrikam.com": """
@ MX 0 fabrikam-com.o-v1.mx.microsoft.
@ TXT "v=spf1 include:spf.protection.outlook.com -all"
_dmarc TXT "v=DMARC1; p=quarantine; pct=100"
selector1._domainkey CNAME selector1-fabrikam-com._domainkey.fabrikam.o-v1.dkim.mail.microsoft.
selector2._domainkey CNAME selector2-fabrikam-com._domainkey.fabrikam.o-v1.dkim.mail.microsoft.
autodiscover CNAME autodiscover.outlook.com.
host A 192.0.2.67
""",
    "xn--bcher-kva.example": """
@ MX 0 xn--bcher-kva-example.mail.protection.outlook.com.
@ TXT "v=spf1 include:spf.protection.outlook.com -all"
_dmarc TXT "v=DMARC1; p=reject"
""",
    # -- hybrid and filtered ------------------------------------------------------------------------
    "hybrid.example": """
@ MX 10 mail.hybrid.example.
mail A 203.0.113.10
@ TXT "v=spf1 ip4:203.0.113.10 include:spf.protection.outlook.com -all"
_dmarc TXT "v=DMARC1; p=quarantine"
selector1._domainkey CNAME selector1-hybrid-example._domainkey.hybridcorp.onmicrosoft.com.
selector2._domainkey CNAME selector2-hybrid-example._domainkey.hybridcorp.onmicrosoft.com.
autodiscover CNAME mail.hybrid.example.
""",
    "hybrid2.example": """
@ MX 10 mx.hybrid2.example.
mx A 203.0.113.20
@ TXT "v=spf1 mx include:spf.protection.outlook.com -all"
selector1._domainkey CNAME selector1-hybrid2-example._domainkey.brokenhybrid.onmicrosoft.com.
selector2._domainkey CNAME selector2-hybrid2-example._domainkey.brokenhybrid.onmicrosoft.com.
""",
    "filtered.example": """
@ MX 10 eu-smtp-inbound-1.mimecast.com.
@ MX 10 eu-smtp-inbound-2.mimecast.com.
@ TXT "v=spf1 include:spf.protection.outlook.com -all"
_dmarc TXT "v=DMARC1; p=reject"
selector1._domainkey CNAME selector1-filtered-example._domainkey.filtered.onmicrosoft.com.
selector2._domainkey CNAME selector2-filtered-example._domainkey.filtered.onmicrosoft.com.
autodiscover CNAME autodiscover.outlook.com.
""",
    "mimecast.com": "eu-smtp-inbound-1 A 198.51.100.201\neu-smtp-inbound-2 A 198.51.100.202\n",
    # -- other providers ----------------------------------------------------------------------------
    "google.example": """
@ MX 1 aspmx.l.google.com.
@ MX 5 alt1.aspmx.l.google.com.
@ TXT "v=spf1 include:_spf.google.com ~all"
_dmarc TXT "v=DMARC1; p=none; rua=mailto:dmarc@google.example"
""",
    "google.com": """
aspmx.l A 192.0.2.50
alt1.aspmx.l A 192.0.2.51
_spf TXT "v=spf1 ip4:198.51.100.64/26 ~all"
""",
    # -- one-off cases, all under .example ----------------------------------------------------------
    "example": """
nullmx MX 0 .
nullmx TXT "v=spf1 -all"
nomx A 192.0.2.80
twoeop MX 10 twoeop-example.mail.protection.outlook.com.
twoeop MX 20 twoeop-example.mail.eo.outlook.com.
mxalias MX 10 mx.mxalias.example.
mx.mxalias CNAME real.mxalias.example.
real.mxalias A 192.0.2.90
deadmx MX 10 gone.deadmx.example.
spf-many TXT ( "v=spf1 mx include:s1.spf-many.example include:s2.spf-many.example "
                "include:s3.spf-many.example include:s4.spf-many.example "
                "include:s5.spf-many.example include:s6.spf-many.example -all" )
spf-many MX 10 nomx.example.
s1.spf-many TXT "v=spf1 a mx include:s7.spf-many.example -all"
s2.spf-many TXT "v=spf1 ip4:192.0.2.2 -all"
s3.spf-many TXT "v=spf1 ip4:192.0.2.3 -all"
s4.spf-many TXT "v=spf1 ip4:192.0.2.4 -all"
s5.spf-many TXT "v=spf1 ip4:192.0.2.5 -all"
s6.spf-many TXT "v=spf1 ip4:192.0.2.6 include:s7.spf-many.example -all"
s7.spf-many TXT "v=spf1 ip4:192.0.2.7 -all"
s1.spf-many A 192.0.2.1
s1.spf-many MX 10 nomx.example.
spf-nested TXT "v=spf1 include:_spf.spf-nested.example -all"
_spf.spf-nested TXT "v=spf1 include:spf.protection.outlook.com mx -all"
spf-nested MX 10 nomx.example.
spf-loop TXT "v=spf1 include:a.spf-loop.example -all"
a.spf-loop TXT "v=spf1 include:spf-loop.example -all"
spf-two TXT "v=spf1 -all"
spf-two TXT "v=spf1 include:spf.protection.outlook.com -all"
spf-plusall TXT "v=spf1 +all"
spf-neutral TXT "v=spf1 ip4:192.0.2.0/24 ?all"
spf-noall TXT "v=spf1 ip4:192.0.2.0/24"
spf-void TXT "v=spf1 include:gone1.spf-void.example include:gone2.spf-void.example a:gone3.spf-void.example -all"
spf-syntax TXT "v=spf1 ip4:999.1.1.1 foo:bar -all"
spf-openinclude TXT "v=spf1 include:open.spf-openinclude.example -all"
open.spf-openinclude TXT "v=spf1 +all"
spf-redirect TXT "v=spf1 redirect=_spf.spf-redirect.example"
_spf.spf-redirect TXT "v=spf1 include:spf.protection.outlook.com ~all"
_dmarc.dmarc-bad TXT "v=DMARC1; p=maybe; pct=150"
_dmarc.dmarc-two TXT "v=DMARC1; p=none"
_dmarc.dmarc-two TXT "v=DMARC1; p=reject"
_dmarc.dmarc-pct TXT "v=DMARC1; p=quarantine; pct=50"
_dmarc.dmarc-cname CNAME dmarc.reports.test.
_mta-sts.sts-badid TXT "v=STSv1; id=not-valid!"
_mta-sts.sts-nohost TXT "v=STSv1; id=abc123"
_smtp._tls.tlsrpt-norua TXT "v=TLSRPTv1;"
www.chain CNAME alias.chain.example.
alias.chain CNAME host.chain.test.
loop1 CNAME loop2.example.
loop2 CNAME loop1.example.
tc TXT "a record that only arrives over TCP"
""",
    "test": """
host.chain A 192.0.2.7
dmarc.reports TXT "v=DMARC1; p=reject; rua=mailto:dmarc@reports.test"
""",
    # -- reverse DNS (RFC 5737 / RFC 3849 ranges) ---------------------------------------------------
    "2.0.192.in-addr.arpa": """
25 PTR mail.contoso.com.
66 PTR host.fabrikam.com.
99 PTR spammer.example.
""",
    "113.0.203.in-addr.arpa": "10 PTR mail.hybrid.example.\n254 PTR relay.hybrid.example.\n",
    "8.b.d.0.1.0.0.2.ip6.arpa": "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR mail.contoso.com.\n",
    # -- block lists (RFC 5782) ---------------------------------------------------------------------
    "zen.spamhaus.org": """
2.0.0.127 A 127.0.0.2
99.2.0.192 A 127.0.0.2
99.2.0.192 A 127.0.0.4
99.2.0.192 TXT "https://check.spamhaus.org/sbl/query/SBL000000"
254.113.0.203 A 127.255.255.254
9.9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2 A 127.0.0.3
""",
    "bl.spamcop.net": """
99.2.0.192 A 127.0.0.2
99.2.0.192 TXT "Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.99"
""",
    "b.barracudacentral.org": "",
    "psbl.surriel.com": "",
    "bl.mailspike.net": "25.2.0.192 A 127.0.0.18\n",
    "dnsbl.test": """
25.2.0.192.hijack A 192.0.2.200
25.2.0.192.refusing A 127.0.0.1
""",
}

BEHAVIOURS: dict[str, str] = {
    "servfail.example": "servfail",
    "refused.example": "refused",
    "slow.example": "drop",
    "tc.example": "truncate",
    "slow.dnsbl.test": "drop",
}
