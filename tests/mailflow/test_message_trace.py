"""Message trace parsing: every supported export layout, encodings, delimiters, dates and garbage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailflow.message_trace import NOT_A_TRACE, TraceReport, parse_trace
from mailflow.trace_decode import decode_custom_data, decode_mep_xml, parse_date

TRACES = Path(__file__).parent / "traces"


def load(name: str) -> TraceReport:
    """Parse a fixture from its bytes, the way an uploaded file arrives."""
    return parse_trace((TRACES / name).read_bytes())


def by_recipient(report: TraceReport) -> dict[str, dict]:
    return {m["recipient"]: m for m in json.loads(report.to_json())["messages"]}


def test_get_messagetrace_classic_with_type_line_and_us_dates() -> None:
    report = load("get_messagetrace.csv")
    assert report.layout == "Get-MessageTrace"
    msgs = by_recipient(report)
    assert set(msgs) == {"bob@fabrikam.com", "carol@tailspin.example"}
    bob = msgs["bob@fabrikam.com"]
    assert bob["status"] == "Delivered"
    assert bob["received"] == "2026-11-27T15:04:05"
    assert bob["message_id"] == "<AM0PR01MB1234@eurprd01.prod.outlook.com>"
    assert bob["sender"] == "alice@contoso.com"
    assert msgs["carol@tailspin.example"]["status"] == "Failed"
    assert msgs["carol@tailspin.example"]["scenario"] is None  # no detail: a bare Failed proves nothing


def test_get_messagetrace_v2_iso_z_dates_and_eop_held() -> None:
    report = load("get_messagetracev2.csv")
    assert report.layout == "Get-MessageTraceV2"
    msgs = by_recipient(report)
    assert msgs["bob@contoso.com"]["received"] == "2026-11-27T15:04:05.123000+00:00"
    assert msgs["bob@contoso.com"]["status"] == "FilteredAsSpam"
    assert "EOP held it" in msgs["bob@contoso.com"]["verdict"]
    assert "EOP held it (Quarantined)" in msgs["frank@contoso.com"]["verdict"]
    assert msgs["erin@fabrikam.com"]["verdict"] == "Delivered"


def test_utf16_export_from_windows_powershell() -> None:
    text = (TRACES / "get_messagetracev2.csv").read_text(encoding="utf-8")
    report = parse_trace(text.encode("utf-16"))
    assert report.layout == "Get-MessageTraceV2"
    assert len(report.messages) == 3
    bom_less = parse_trace(text.encode("utf-16-le"))
    assert bom_less.layout == "Get-MessageTraceV2" and len(bom_less.messages) == 3


def test_detail_centralized_connector_from_data_xml() -> None:
    report = load("get_messagetracedetail.csv")
    assert report.layout == "Get-MessageTraceDetail"
    bob = by_recipient(report)["bob@fabrikam.com"]
    assert bob["connector"] == {"name": "Outbound to OnPrem", "type": "OnPremises", "use_mx_record": False}
    assert bob["pool"] == "RegularRelayOutboundPool"
    assert bob["external_send_latency"] == pytest.approx(1.949)
    assert bob["scenario"] == "D"
    assert "centralized mail flow" in bob["verdict"]
    assert bob["status"] == "Delivered"
    assert [e["event"] for e in bob["events"]] == ["Receive", "Send external"]
    assert bob["events"][0]["data"] == {"ConnectorId": "AM0PR01MB1234\\Client Submission", "ClientIP": "10.0.0.5"}
    assert bob["events"][1]["date"] == "2026-11-27T15:04:07"


def test_detail_hrdp_remote_refusal_quoted_newline_and_bad_xml() -> None:
    report = load("get_messagetracedetail.csv")
    carol = by_recipient(report)["carol@tailspin.example"]
    assert carol["status"] == "Failed"
    assert carol["scenario"] == "C"
    assert "high-risk delivery pool" in carol["verdict"]
    assert "the recipient side refused it (550 5.7.1" in carol["verdict"]
    assert carol["spam"]["DI"] == "SO" and carol["spam"]["SCL"] == "5"
    fail = carol["events"][-1]
    assert fail["event"] == "Fail"
    assert "\nOutboundProxyTargetIP: 192.0.2.10" in fail["detail"]  # quoted newline kept inside one field
    assert fail["data"] == '<root><MEP Name="bad"</root>'
    assert any(f.startswith("row 6: malformed Data XML ignored") for f in report.findings)


def test_eac_summary_semicolon_localised_dates_and_raw_date_kept() -> None:
    report = load("eac_summary_semicolon.csv")
    assert report.layout == "EAC summary"
    msgs = by_recipient(report)
    bob_ext = msgs["bob@fabrikam.com"]
    assert bob_ext["received"] == "2026-11-27T15:04:05"
    assert bob_ext["subject"] == "Angebot; Version 2"
    assert msgs["bob@contoso.com"]["status"] == "FilteredAsSpam"
    assert msgs["y@contoso.com"]["received"] == "gestern"
    assert msgs["y@contoso.com"]["status"] == "GettingStatus"
    assert "1 dates in an unrecognised format were kept as raw text" in report.findings


def test_enhanced_summary_bom_recipient_status_and_di_so() -> None:
    raw = (TRACES / "eac_enhanced_summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    report = parse_trace(raw)
    assert report.layout == "EAC enhanced summary"
    msgs = by_recipient(report)
    assert set(msgs) == {"bob@fabrikam.com", "carol@tailspin.example", "dave@contoso.com"}
    bob = msgs["bob@fabrikam.com"]
    assert [e["event"] for e in bob["events"]] == ["Receive", "Send"]
    assert bob["status"] == "Delivered"
    assert bob["scenario"] == "C"
    assert "sent through the high-risk delivery pool" in bob["verdict"]
    assert msgs["carol@tailspin.example"]["status"] == "Failed"
    assert msgs["dave@contoso.com"]["scenario"] is None
    assert msgs["dave@contoso.com"]["spam"]["SFV"] == "NSPM"
    # the BOM must not leak into the first column name, or the date would be lost
    assert bob["received"] == "2026-11-27T15:04:05"
    # the same text given as str with the BOM still attached
    assert parse_trace(raw.decode("utf-8")).layout == "EAC enhanced summary"


def test_extended_report_malware_transport_rule_quarantine() -> None:
    report = load("eac_extended.csv")
    assert report.layout == "EAC extended"
    (eve,) = json.loads(report.to_json())["messages"]
    assert eve["recipient"] == "eve@contoso.com"
    assert [e["event"] for e in eve["events"]] == ["RECEIVE", "AGENTINFO", "QUARANTINE"]
    assert eve["status"] == "Quarantined"
    assert eve["malware"]["action"] == "r"
    assert eve["transport_rules"][0]["ruleId"] == "0b6e5b6c-aaaa-4bbb-8ccc-000000000001"
    assert eve["transport_rules"][0]["action"] == "SetSCL"
    assert eve["spam"]["DI"] == "SQ"
    assert "EOP held it" in eve["verdict"]
    assert eve["received"] == "2026-11-27T15:04:05.100000+00:00"


@pytest.mark.parametrize("junk", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "name,age\nbob,42\n",
    "",
    "just some words a user pasted",
    '"unterminated,"quote\n\x00\x00',
])
def test_garbage_is_not_a_trace(junk: str | bytes) -> None:
    report = parse_trace(junk)
    data = json.loads(report.to_json())
    assert data["kind"] == "trace"
    assert data["messages"] == []
    assert data["layout"] is None
    assert any(f.startswith(NOT_A_TRACE) for f in data["findings"])


def test_header_only_export_is_a_trace_without_messages() -> None:
    report = parse_trace("Received,SenderAddress,RecipientAddress,Subject,Status,MessageId,MessageTraceId\n")
    assert report.layout == "Get-MessageTraceV2"
    assert report.messages == []
    assert "the export has trace columns but no rows" in report.findings


@pytest.mark.parametrize(("raw", "expected"), [
    ("2026-11-27 15:04:05", "2026-11-27T15:04:05"),
    ("11/27/2026 3:04:05 PM", "2026-11-27T15:04:05"),
    ("27.11.2026 15:04:05", "2026-11-27T15:04:05"),
    ("2026-11-27T15:04:05.123Z", "2026-11-27T15:04:05.123000+00:00"),
    ("27/11/2026 15:04:05", "2026-11-27T15:04:05"),
])
def test_parse_date_formats(raw: str, expected: str) -> None:
    assert parse_date(raw) == (expected, True)


def test_parse_date_unknown_kept_raw() -> None:
    assert parse_date(" 27 nov. ") == ("27 nov.", False)


def test_decode_custom_data_connector_with_inner_semicolons() -> None:
    data = decode_custom_data("S:Microsoft.Exchange.Hygiene.TenantOutboundConnectorCustomData=Name=To Partner;"
                              "ConnectorType=Partner;UseMxRecord=True;S:ExternalSendLatency=0.5;S:SFA=SUM|SFV=SKI|DI=SN")
    assert data.connector == {"name": "To Partner", "type": "Partner", "use_mx_record": True}
    assert data.latency == 0.5
    assert data.spam["SFV"] == "SKI"


def test_mep_xml_entities_refused() -> None:
    evil = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><root><MEP Name="a" String="&x;"/></root>'
    entries, _, error = decode_mep_xml(evil)
    assert entries == {} and error and "DOCTYPE" in error
    entries, data, error = decode_mep_xml('<root><MEP Name="OutboundIpPoolName" String="HighRiskRelayOutboundPool"/>'
                                          '<MEP Name="SequenceNumber" Long="3"/></root>')
    assert error is None and data.pool == "HighRiskRelayOutboundPool" and entries["SequenceNumber"] == "3"
