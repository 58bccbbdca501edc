"""What Exchange Online's filters decided: X-Forefront-Antispam-Report field by field, X-Microsoft-Antispam BCL,
X-MS-Exchange-Organization-SCL, X-CustomSpam (an Advanced Spam Filter setting), and where the mailbox finally put
the message (X-Microsoft-Antispam-Mailbox-Delivery). Unknown fields are kept and shown raw."""

from __future__ import annotations

from email.message import Message

from mailflow import headers_codes as codes
from mailflow.headers_codes_exchange import MAILBOX_DEST, MAILBOX_FIELDS, MAILBOX_OFR
from mailflow.headers_parse import semicolon_fields, unfold
from mailflow.headers_report import HeaderReport, int_or_none
from mailflow.smtp_findings import Finding
from mailflow.verdict import Verdict

_TABLES: dict[str, dict[str, str]] = {"SFV": codes.SFV, "CAT": codes.CAT, "IPV": codes.IPV, "EFV": codes.IPV,
                                      "SFTY": codes.SFTY, "DIR": codes.DIR}


def _decode_field(key: str, value: str) -> str:
    """Meaning of one X-Forefront-Antispam-Report field, down to the value where the value is a code."""
    if key in _TABLES:
        return _TABLES[key].get(value.upper(), f"{codes.FOREFRONT_FIELDS[key]}: unrecognised value {value!r}")
    if key == "SCL" and (scl := int_or_none(value)) is not None:
        return f"spam confidence level {scl}: {codes.scl_meaning(scl)}"
    if key == "SRV" and value.upper() == "BULK":
        return "identified as bulk mail (BCL at or above the policy's bulk threshold); marked as spam by default"
    return f"{codes.FOREFRONT_FIELDS[key]}: {value or '(empty)'}"


def decode_antispam(msg: Message, report: HeaderReport) -> None:
    """Mailbox placement first: where the message landed reads before the field-by-field filter detail."""
    _mailbox_delivery(msg, report)  # first: where it landed reads before the field-by-field filter detail
    _forefront(msg, report)
    _scores(msg, report)


def _forefront(msg: Message, report: HeaderReport) -> None:
    """Every field is kept, decoded when documented, raw otherwise; Exchange on-premises writes the same fields
    under X-MS-Exchange-Organization-Antispam-Report."""
    raw = msg.get("X-Forefront-Antispam-Report") or msg.get("X-MS-Exchange-Organization-Antispam-Report")
    fields = semicolon_fields(raw) if raw else {}
    for key, value in fields.items():
        known = key in codes.FOREFRONT_FIELDS
        meaning = _decode_field(key, value) if known else None
        report.antispam.append({"field": key, "value": value, "meaning": meaning})
        report.findings.append(Finding("antispam", Verdict.OK,
                                       f"{key}:{value} - {meaning}" if known else f"{key}:{value} (not a documented "
                                       "field; shown as is)"))
    report.sfv = fields.get("SFV", "").upper() or None
    report.scl = int_or_none(fields.get("SCL"))


def _scores(msg: Message, report: HeaderReport) -> None:
    """SCL as transport stamped it (header firewall page: 0..9, -1 bypass), BCL, and any ASF match."""
    org = msg["X-MS-Exchange-Organization-SCL"]
    org_scl = int_or_none(unfold(org)) if org else None
    if report.scl is None:
        report.scl = org_scl
    if org_scl is not None:
        report.findings.append(Finding("antispam", Verdict.OK, f"X-MS-Exchange-Organization-SCL {org_scl}: "
                                       f"{codes.scl_meaning(org_scl)}"))
    if ms := msg.get("X-Microsoft-Antispam"):
        report.bcl = int_or_none(semicolon_fields(ms).get("BCL"))
        if report.bcl is not None:
            report.findings.append(Finding("antispam", Verdict.OK,
                                           f"BCL {report.bcl}: {codes.bcl_meaning(report.bcl)}"))
    if custom := msg.get("X-CustomSpam"):
        report.custom_spam = unfold(custom) or None
        if report.custom_spam:
            report.findings.append(Finding("antispam", Verdict.WARNING, f"X-CustomSpam: {report.custom_spam} - an "
                                           "Advanced Spam Filter (ASF) setting in the anti-spam policy matched."))


def _mailbox_delivery(msg: Message, report: HeaderReport) -> None:
    """X-Microsoft-Antispam-Mailbox-Delivery is stamped at mailbox delivery, so dest: is where the message landed.
    Microsoft does not document it; see headers_codes_exchange for what each field is taken to mean."""
    raw = msg.get("X-Microsoft-Antispam-Mailbox-Delivery")
    if not raw:
        return
    fields = {k.lower(): v for k, v in semicolon_fields(raw).items()}
    dest, ofr = fields.get("dest", "").upper(), fields.get("ofr")
    folder = MAILBOX_DEST.get(dest)
    report.destination = folder[0] if folder else None
    decoded = []
    for key, value in fields.items():
        if key == "dest":
            meaning = f"delivered to {folder[1]}" if folder else f"unrecognised destination {value!r}"
        elif key == "ofr":
            meaning = MAILBOX_OFR.get(value, "unrecognised reason; shown as is")
        else:
            meaning = MAILBOX_FIELDS.get(key)
        decoded.append({"field": key, "value": value, "meaning": meaning})
    report.mailbox_delivery = {"dest": dest or None, "folder": report.destination, "ofr": ofr,
                               "ofr_meaning": MAILBOX_OFR.get(ofr or ""), "ucf": fields.get("ucf"),
                               "fields": decoded}
    if folder:
        why = f"; OFR:{ofr} - {MAILBOX_OFR.get(ofr, 'unrecognised reason')}" if ofr else ""
        report.findings.append(Finding("delivery", Verdict.WARNING if dest == "J" else Verdict.OK,
                                       f"Mailbox delivery dest:{dest} - the message was put in {folder[1]}{why}."))
    others = [f"{d['field']}:{d['value']}" for d in decoded
              if d["field"] not in {"dest", "ofr", "eng"} and d["value"] not in {"", "0"}]
    if others:
        report.findings.append(Finding("delivery", Verdict.OK, "Other mailbox delivery flags set (undocumented, "
                                       f"shown as is): {', '.join(others)}."))
