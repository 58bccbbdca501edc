"""How the message authenticated: Authentication-Results (RFC 8601), the results an earlier hop recorded before
Exchange re-stamped them (Authentication-Results-Original), and Received-SPF (RFC 7208 §9.1), which is what
non-Microsoft receivers often write instead and fills in SPF when Authentication-Results has none."""

from __future__ import annotations

import re
from email.message import Message
from typing import Any

from mailflow import headers_codes as codes
from mailflow.headers_parse import AuthResult, address_domain, parse_auth_results, parse_received_spf, unfold
from mailflow.headers_report import HeaderReport
from mailflow.smtp_findings import Finding
from mailflow.verdict import Verdict

BAD = {"fail", "softfail", "permerror", "temperror"}
# Which property names the domain each method checked (RFC 8601 §2.7 ptypes).
_DOMAIN_KEYS = {"spf": ("smtp.mailfrom", "smtp.helo"), "dkim": ("header.d", "header.i"), "dmarc": ("header.from",)}
# Exchange passes its inbound results on under this name when it relays the message onward (hybrid, outbound).
_AR_HEADERS = ("Authentication-Results", "X-MS-Exchange-Authentication-Results")


def result_domain(result: AuthResult) -> str | None:
    """The domain a result is about; EOP writes header.d=none when unsigned, others write user@domain."""
    for key in _DOMAIN_KEYS.get(result.method, ()):
        if domain := address_domain(result.props.get(key)):
            return domain
    return None


def result_dict(result: AuthResult) -> dict[str, Any]:
    """The {result, domain, detail} shape the JSON has always used for spf/dkim/dmarc."""
    return {"result": result.result, "domain": result_domain(result), "detail": result.comment}


def short(results: dict[str, dict[str, Any]]) -> str:
    """"spf=pass (a.example), dkim=pass (a.example)" for a finding."""
    return ", ".join(f"{m}={r['result']}" + (f" ({r['domain']})" if r.get("domain") else "")
                     for m, r in results.items())


def by_method(results: list[AuthResult]) -> dict[str, AuthResult]:
    """First result per method: RFC 8601 allows several, the first is the one the receiver acted on."""
    chosen: dict[str, AuthResult] = {}
    for res in results:
        chosen.setdefault(res.method, res)
    return chosen


def decode_auth(msg: Message, report: HeaderReport) -> None:
    """Authentication-Results first, because Received-SPF only fills in what it lacks."""
    _authentication_results(msg, report)
    _original(msg, report)
    _received_spf(msg, report)


def _authentication_results(msg: Message, report: HeaderReport) -> None:
    """Use the topmost Authentication-Results: it was added last, by the receiving org (Exchange Online)."""
    name = next((n for n in _AR_HEADERS if msg.get_all(n)), None)
    headers = msg.get_all(name) if name else []
    parsed = [parse_auth_results(v) for v in headers or []]
    chosen = next(((sid, res) for sid, res in parsed if res), None)
    if chosen is None or name is None:
        return
    authserv, results = chosen
    if name != "Authentication-Results":
        report.findings.append(Finding("auth", Verdict.OK, f"Results read from {name}: Exchange's own results, "
                                       "carried on when it relayed the message onward."))
    if len(headers or []) > 1:
        report.findings.append(Finding("auth", Verdict.OK, f"Used the topmost of {len(headers or [])} "
                                       f"{name} headers (the one the receiving organisation added)."))
    methods = by_method(results)
    if spf := methods.get("spf"):
        report.spf, report.spf_source = result_dict(spf), name
    if dkim := methods.get("dkim"):
        report.dkim = result_dict(dkim)
    if dmarc := methods.get("dmarc"):
        action = dmarc.props.get("action")
        report.dmarc = result_dict(dmarc) | {"action": action,
                                             "action_meaning": codes.DMARC_ACTION.get((action or "").lower())}
    if comp := methods.get("compauth"):
        reason = comp.props.get("reason")
        report.compauth = {"result": comp.result, "reason": reason, "meaning": codes.compauth_meaning(reason)}
    for method in ("spf", "dkim", "dmarc"):
        data = getattr(report, method)
        if data:
            report.findings.append(_auth_finding(method, data))
    if report.compauth:
        c = report.compauth
        report.findings.append(Finding("auth", Verdict.ERROR if c["result"] == "fail" else Verdict.OK,
                                       f"Composite authentication {c['result']}, reason {c['reason'] or '?'}: "
                                       f"{c['meaning'] or 'unknown reason code'}"))
    if authserv:
        report.findings.append(Finding("auth", Verdict.OK, f"Authentication results stamped by {authserv}."))


def _auth_finding(method: str, data: dict[str, Any]) -> Finding:
    """A failed DMARC is an error (it decides delivery); a failed SPF or DKIM alone is only a warning."""
    bad = data["result"] in BAD
    text = f"{method.upper()} {data['result']}" + (f" for {data['domain']}" if data["domain"] else "")
    text += f" ({data['detail']})" if data.get("detail") else ""
    if method == "dmarc" and data.get("action"):
        text += f"; action={data['action']}: {data['action_meaning'] or 'unknown action'}"
    severity = Verdict.ERROR if bad and method == "dmarc" else Verdict.WARNING if bad else Verdict.OK
    return Finding("auth", severity, text)


def _original(msg: Message, report: HeaderReport) -> None:
    """Authentication-Results-Original: results an earlier hop (a gateway, or Exchange itself on an earlier pass)
    recorded before Exchange wrote its own; same RFC 8601 syntax, shown as history, never as the current result."""
    for value in msg.get_all("Authentication-Results-Original") or []:
        authserv, results = parse_auth_results(value)
        if not results:
            continue
        decoded = {m: result_dict(r) for m, r in by_method(results).items()}
        report.auth_original.append({"authserv_id": authserv, "results": decoded})
        by = f" by {authserv}" if authserv else ""
        report.findings.append(Finding("auth", Verdict.OK, f"Earlier results{by}, before Exchange re-stamped them "
                                       f"(Authentication-Results-Original): {short(decoded)}."))
        now = {m: getattr(report, m) for m in ("spf", "dmarc")}
        flipped = [m for m, cur in now.items() if cur and cur["result"] in BAD | {"none"}
                   and decoded.get(m, {}).get("result") == "pass"]
        if flipped:
            report.findings.append(Finding("auth", Verdict.WARNING, f"{' and '.join(m.upper() for m in flipped)} "
                                           f"passed at the earlier hop{by} but not at Exchange Online: the message "
                                           "came through a gateway or forwarder first. If that hop is yours, point "
                                           "Enhanced Filtering for Connectors at it; if it seals ARC, trust it."))


_SPF_COMMENT = (re.compile(r"domain of (?:transitioning )?\"?(?:[^@\s\"]+@)?([^\s\"]+?)\"? "
                           r"(?:designates|does not designate|discourages)", re.I),
                re.compile(r"^([^\s:]+\.[^\s:]+) does not designate permitted sender hosts", re.I))


def _spf_domain(props: dict[str, str], comment: str | None) -> str | None:
    """envelope-from's domain, else helo when that was the identity checked, else the receiver's comment."""
    if props.get("identity", "").lower() == "helo":
        return address_domain(props.get("helo"))
    if domain := address_domain(props.get("envelope-from")):
        return domain
    text = (comment or "").split(": ", 1)[-1]  # "protection.outlook.com: domain of x ..." -> "domain of x ..."
    for pattern in _SPF_COMMENT:
        if match := pattern.search(text):
            return address_domain(match.group(1))
    return None


def _received_spf(msg: Message, report: HeaderReport) -> None:
    """Topmost Received-SPF (the last receiver's check); fills report.spf only when no Authentication-Results did."""
    for value in msg.get_all("Received-SPF") or []:
        parsed = parse_received_spf(value)
        if parsed is None:
            continue
        props = parsed.props
        data = {"result": parsed.result, "domain": _spf_domain(props, parsed.comment),
                "client_ip": props.get("client-ip"), "envelope_from": props.get("envelope-from"),
                "helo": props.get("helo"), "receiver": props.get("receiver"), "detail": parsed.comment,
                "meaning": codes.SPF_RESULT[parsed.result]}
        report.received_spf = data
        if report.spf and report.spf["result"] == parsed.result:
            return  # same verdict as Authentication-Results: kept in received_spf, not repeated as a finding
        text = f"Received-SPF {parsed.result}" + (f" for {data['domain']}" if data["domain"] else "")
        text += f" from {data['client_ip']}" if data["client_ip"] else ""
        text += f" (HELO {data['helo']})" if data["helo"] else ""
        text += f", checked by {data['receiver']}" if data["receiver"] else ""
        report.findings.append(Finding("auth", Verdict.WARNING if parsed.result in BAD else Verdict.OK,
                                       f"{text}: {data['meaning']}."))
        if report.spf is None:
            report.spf = {"result": parsed.result, "domain": data["domain"], "detail": parsed.comment}
            report.spf_source = "Received-SPF"
        else:
            report.findings.append(Finding("auth", Verdict.OK, f"Received-SPF says {parsed.result} but "
                                           f"{report.spf_source} says {report.spf['result']}; the latter is used."))
        return
    for value in msg.get_all("Received-SPF") or []:
        if unfold(value):
            report.findings.append(Finding("auth", Verdict.OK, "Received-SPF present but not in RFC 7208 form; "
                                           f"shown as is: {unfold(value)[:200]}"))
            return
