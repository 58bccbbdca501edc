"""The ARC chain (RFC 8617): who sealed each instance i=1..n, the cv= each seal claims, the oldest authentication
results it preserves (what SPF/DKIM/DMARC looked like before a forwarder changed the message), and whether Exchange
Online accepted the chain (arc=pass with oda=1 in its own ARC-Authentication-Results, per Microsoft's "Configure
trusted ARC sealers"). Signatures are not verified here: the chain is judged by its structure and by what the
sealers and Exchange Online recorded."""

from __future__ import annotations

import re
from email.message import Message
from typing import Any

from mailflow.headers_auth import by_method, result_dict, short
from mailflow.headers_codes_exchange import ARC_CV, MICROSOFT_SEALERS
from mailflow.headers_parse import parse_arc_aar, tag_list
from mailflow.headers_report import HeaderReport, int_or_none
from mailflow.smtp_findings import Finding
from mailflow.verdict import Verdict

MAX_INSTANCE = 50  # RFC 8617 §4.2.1: i is 1..50
_PARTS = (("ARC-Seal", "seal"), ("ARC-Message-Signature", "ams"), ("ARC-Authentication-Results", "aar"))


def _collect(msg: Message) -> dict[int, dict[str, Any]]:
    """ARC header sets grouped by instance (RFC 8617 §4.2); the first header of each kind per instance wins."""
    sets: dict[int, dict[str, Any]] = {}
    for name, part in _PARTS:
        for value in msg.get_all(name) or []:
            if part == "aar":
                instance, authserv, results = parse_arc_aar(value)
                content: Any = {"authserv_id": authserv, "results": by_method(results)}
            else:
                content = tag_list(value)
                instance = int_or_none(content.get("i"))
            if instance is not None and 1 <= instance <= MAX_INSTANCE:
                sets.setdefault(instance, {}).setdefault(part, content)
    return sets


def _instance(i: int, parts: dict[str, Any]) -> dict[str, Any]:
    """One ARC set as the report shows it; d= from the seal, else from the message signature."""
    seal, ams, aar = parts.get("seal", {}), parts.get("ams", {}), parts.get("aar")
    results = {m: result_dict(r) for m, r in (aar or {}).get("results", {}).items()}
    return {"i": i, "sealer": (seal.get("d") or ams.get("d") or "").lower() or None,
            "selector": seal.get("s") or ams.get("s"), "cv": (seal.get("cv") or "").lower() or None,
            "authserv_id": (aar or {}).get("authserv_id"), "results": results,
            "complete": all(p in parts for p in ("seal", "ams", "aar"))}


def _chain_state(instances: list[dict[str, Any]]) -> tuple[str, str]:
    """RFC 8617 §5.2 checks that need no cryptography: instances 1..n without gaps, each set complete, cv=none
    on i=1 and cv=pass above it. Returns ("pass"|"fail", why)."""
    numbers = [inst["i"] for inst in instances]
    if numbers != list(range(1, len(numbers) + 1)):
        return "fail", f"instances {numbers} are not 1..{len(numbers)} without gaps"
    if broken := [inst["i"] for inst in instances if not inst["complete"]]:
        return "fail", f"set(s) {broken} lack one of ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results"
    if instances[-1]["cv"] == "fail":
        return "fail", f"the newest seal (i={instances[-1]['i']}) says cv=fail"
    wrong = [inst["i"] for inst in instances if inst["cv"] != ("none" if inst["i"] == 1 else "pass")]
    if wrong:
        return "fail", f"cv= is not what RFC 8617 expects on set(s) {wrong}"
    return "pass", "structure intact (signatures not checked here)"


def _microsoft_check(instances: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Exchange Online's own ARC-Authentication-Results: arc=pass plus oda=1 means the previous sealer is trusted
    and its pass may override a DMARC failure (Microsoft "Configure trusted ARC sealers")."""
    for inst in reversed(instances):
        arc = inst["results"].get("arc")
        if inst["sealer"] in MICROSOFT_SEALERS and arc:
            oda = re.search(r"\boda=(\d)", arc.get("detail") or "")
            return {"i": inst["i"], "result": arc["result"], "oda": bool(oda and oda.group(1) == "1")}
    return None


def decode_arc(msg: Message, report: HeaderReport) -> None:
    """Summarise the chain; the forwarder is the newest sealer that is not Exchange Online itself."""
    sets = _collect(msg)
    if not sets:
        return
    instances = [_instance(i, sets[i]) for i in sorted(sets)]
    chain, why = _chain_state(instances)
    outside = [inst for inst in instances if inst["sealer"] and inst["sealer"] not in MICROSOFT_SEALERS]
    forwarder = outside[-1]["sealer"] if outside else None
    check = _microsoft_check(instances)
    oldest = instances[0]
    report.arc = {"count": len(instances), "chain": chain, "chain_detail": why, "instances": instances,
                  "sealers": [inst["sealer"] for inst in instances], "forwarder": forwarder,
                  "oldest": {"i": oldest["i"], "sealer": oldest["sealer"], "authserv_id": oldest["authserv_id"],
                             "results": oldest["results"]},
                  "microsoft_check": check, "trusted": bool(check and check["result"] == "pass" and check["oda"])}
    sealed = "; ".join(f"i={inst['i']} sealed by {inst['sealer'] or '?'} (cv={inst['cv'] or '?'}: "
                       f"{ARC_CV.get(inst['cv'] or '', 'unknown cv value')})" for inst in instances)
    report.findings.append(Finding("arc", Verdict.OK if chain == "pass" else Verdict.WARNING,
                                   f"ARC chain of {len(instances)} set(s): {sealed}. Chain {chain}: {why}."))
    if oldest["results"]:
        by = oldest["authserv_id"] or oldest["sealer"] or "?"
        report.findings.append(Finding("arc", Verdict.OK, f"Oldest results the chain preserves (i={oldest['i']}, "
                                       f"recorded by {by} before the message was passed on): "
                                       f"{short(oldest['results'])}."))
    if check:
        if report.arc["trusted"]:
            text = ("Exchange Online checked the chain: arc=pass with oda=1, so it trusts the sealer "
                    f"{forwarder or ''} and may use the preserved results to override a DMARC failure.")
        elif check["result"] == "pass":
            text = ("Exchange Online found the chain valid (arc=pass) but without oda=1: the sealer "
                    f"{forwarder or ''} is not trusted, so its results can't rescue a DMARC failure. If it is a "
                    "service you use, add it as a trusted ARC sealer (Set-ArcConfig -ArcTrustedSealers).")
        elif check["result"] == "none":
            text = "Exchange Online found no earlier ARC chain to check (arc=none); it sealed the message itself."
        else:
            text = f"Exchange Online's ARC check: arc={check['result']}: the chain it received did not validate."
        calm = report.arc["trusted"] or check["result"] == "none"
        report.findings.append(Finding("arc", Verdict.OK if calm else Verdict.WARNING, re.sub(r"\s+", " ", text)))
