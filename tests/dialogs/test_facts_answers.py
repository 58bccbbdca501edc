from __future__ import annotations

import datetime as dt

import pytest

from dialogs.answers import clean, match_choice
from dialogs.facts import fill, parse_date, template_values
from mailflow.addresses import InvalidName

TODAY = dt.date(2026, 11, 28)
CHOICES = {"yes": "Yes, it's in the trace", "no": "No, nothing found"}
STATUSES = {"delivered": "Delivered", "failed": "Failed", "pending": "Pending or Deferred",
            "quarantined": "Quarantined", "spam": "FilteredAsSpam"}


@pytest.mark.parametrize(("text", "expected"), [
    ("1", "yes"), ("2", "no"), ("3", None), ("y", "yes"), ("Yeah", "yes"), ("nope", "no"), ("N", "no"),
    ("yes, it's in the trace", "yes"), ("no nothing found", "no"), ("", None), ("🙂", None), ("maybe", None),
])
def test_yes_no_answers(text, expected):
    assert match_choice(text, CHOICES) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("delivered", "delivered"), ("Pending", "pending"), ("deferred", "pending"), ("quarantine", "quarantined"),
    ("FilteredAsSpam", "spam"), ("filtered as spam", "spam"), ("faild", "failed"), ("3", "pending"),
])
def test_labels_prefixes_and_typos(text, expected):
    assert match_choice(text, STATUSES) == expected


def test_clean_strips_control_characters_and_bounds_length():
    assert clean("  a\x00b\x1b[31m  c\u200b ") == "a b [31m c"
    assert len(clean("x" * 100_000)) == 2000
    assert clean(None) == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("today", "2026-11-28"), ("yesterday", "2026-11-27"), ("3 days ago", "2026-11-25"),
    ("2026-11-20", "2026-11-20"), ("2026-11-20T10:00", "2026-11-20"), ("20 Nov", "2026-11-20"),
    ("Dec 3", "2025-12-03"), ("November 2, 2026", "2026-11-02"),
])
def test_dates(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["soon", "2026-02-30", "31 feb", "sometime last week"])
def test_bad_dates(text):
    with pytest.raises(InvalidName):
        parse_date(text, TODAY)


def test_template_values_derive_what_commands_need():
    values = template_values({"sender": "bob@fabrikam.com", "recipient": "alice@contoso.com",
                              "date": "2026-11-27", "tenant": "contoso", "connector": ""})
    assert fill("Get-MessageTraceV2 -RecipientAddress {recipient} -StartDate {start_date} -EndDate {end_date}",
                values) == "Get-MessageTraceV2 -RecipientAddress alice@contoso.com -StartDate 2026-11-26 " \
                           "-EndDate 2026-11-29"
    assert values["recipient_eop_host"] == "contoso-com.mail.protection.outlook.com"
    assert values["routing_address"] == "alice@contoso.mail.onmicrosoft.com"
    assert fill("{connector} / {sending_ip}", values) == "<outbound connector name> / <sending server's public IP>"


@pytest.mark.parametrize(("text", "expected"), [
    ("A", "a"), ("scenario C", "c"), ("case d", "d"), ("option 2", "a"), ("#3", "b"), ("no. 4", "c"),
    ("I dont know", "unsure"), ("dunno", "unsure"), ("not sure", "unsure"), ("number", None), ("nope", None),
])
def test_menu_answers_people_type(text, expected):
    from dialogs.flows.triage import FLOW

    menu = next(s for s in FLOW["states"] if s["name"] == "menu")
    assert match_choice(text, menu["choices"]) == expected
