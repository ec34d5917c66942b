from __future__ import annotations

import pytest

from inolink_tui.domain.enums import ErrorClass
from inolink_tui.domain.errors import RULES, ErrorFacts, Service, classify, normalize_code

QB, DV = Service.QUICKBOOKS, Service.DATAVERSE


def test_6240_is_a_duplicate_with_the_name_in_the_hint() -> None:
    c = classify(
        ErrorFacts(
            QB,
            400,
            "6240",
            "Duplicate Name Exists Error",
            "The name supplied already exists. : null",
            subject="Acme Ltd",
        )
    )
    assert c.error_class is ErrorClass.DUPLICATE and not c.retryable
    assert c.hint == (
        'A customer, vendor or employee named "Acme Ltd" already exists in QuickBooks (it may be inactive): '
        "rename the record or link it to the existing one"
    )


def test_hint_templates_do_not_interpret_user_text() -> None:
    c = classify(ErrorFacts(QB, 400, "6240", subject="{missing} {0} %s"))
    assert '"{missing} {0} %s"' in c.hint


@pytest.mark.parametrize(
    ("facts", "expected", "retryable"),
    [
        (ErrorFacts(QB, 400, "5010", "Stale Object Error"), ErrorClass.CONFLICT, False),
        (ErrorFacts(QB, 400, "610", "Object Not Found"), ErrorClass.REFERENCE, False),
        (ErrorFacts(QB, 400, "2500", "Invalid Reference Id"), ErrorClass.REFERENCE, False),
        (ErrorFacts(QB, 429, "3001", "message=ThrottleExceeded"), ErrorClass.TRANSIENT, True),
        (ErrorFacts(QB, 429, None, ""), ErrorClass.TRANSIENT, True),
        (ErrorFacts(QB, 500, "10000", "System Failure Error"), ErrorClass.TRANSIENT, True),
        (ErrorFacts(QB, 503, None, "Service Unavailable"), ErrorClass.TRANSIENT, True),
        (ErrorFacts(QB, 401, "3200", "AuthenticationFailed"), ErrorClass.AUTH, False),
        (ErrorFacts(QB, 400, "invalid_grant", "Token invalid"), ErrorClass.AUTH, False),
        (ErrorFacts(QB, 400, "2020", "Required param missing", element="Line"), ErrorClass.VALIDATION, False),
        (ErrorFacts(QB, 400, "6070", "Amount calculation incorrect"), ErrorClass.VALIDATION, False),
        (ErrorFacts(QB, 400, "4000", "Error parsing query"), ErrorClass.VALIDATION, False),
        (ErrorFacts(QB, 400, "6140", "Duplicate Document Number Error"), ErrorClass.DUPLICATE, False),
        (ErrorFacts(QB, None, "timeout", "timed out"), ErrorClass.TRANSIENT, True),
        (ErrorFacts(QB, None, "connection", "refused"), ErrorClass.TRANSIENT, True),
        (ErrorFacts(DV, 412, "0x80060882", "version mismatch"), ErrorClass.CONFLICT, False),
        (ErrorFacts(DV, 412, "0x80040237", "matching key"), ErrorClass.DUPLICATE, False),
        (
            ErrorFacts(DV, 404, "0x80040217", "Entity 'account' With Id = abc Does Not Exist"),
            ErrorClass.REFERENCE,
            False,
        ),
        (ErrorFacts(DV, 429, "0x80072322", "Number of requests exceeded"), ErrorClass.TRANSIENT, True),
        (ErrorFacts(DV, 429, "0x80072326", ""), ErrorClass.TRANSIENT, True),
        (ErrorFacts(DV, 503, None, ""), ErrorClass.TRANSIENT, True),
        (ErrorFacts(DV, 401, None, ""), ErrorClass.AUTH, False),
        (ErrorFacts(DV, 403, "0x80040220", "missing prvCreateAccount"), ErrorClass.AUTH, False),
        (ErrorFacts(DV, None, "AADSTS7000215", "Invalid client secret"), ErrorClass.AUTH, False),
        (ErrorFacts(DV, 400, "0x80044331", "A validation error occurred."), ErrorClass.VALIDATION, False),
        (ErrorFacts(DV, 400, "0x80060888", "URL was not parsed"), ErrorClass.VALIDATION, False),
    ],
)
def test_classification_table(facts: ErrorFacts, expected: ErrorClass, retryable: bool) -> None:
    c = classify(facts)
    assert c.error_class is expected
    assert c.retryable is retryable
    assert c.hint


def test_reference_hints_name_the_missing_object() -> None:
    assert classify(ErrorFacts(QB, 400, "610", "Object Not Found", element="ItemRef")).hint.startswith("ItemRef ")
    dv = classify(ErrorFacts(DV, 404, "0x80040217", "Entity 'account' With Id = 1234-ab Does Not Exist"))
    assert dv.hint.startswith("account 1234-ab does not exist in CRM")
    from_detail = classify(ErrorFacts(QB, 400, "2500", "Invalid Reference Id", "Invalid Reference Id : CustomerRef 42"))
    assert "CustomerRef" in from_detail.hint


def test_unknown_errors_keep_the_raw_message() -> None:
    c = classify(ErrorFacts(QB, 400, "9999", "Something odd", "Something odd: with details"))
    assert c.error_class is ErrorClass.UNKNOWN
    assert c.hint == "Something odd: with details"
    assert classify(ErrorFacts(QB, 418, None, "")).hint == "HTTP 418"


def test_invalid_grant_says_reauthorize() -> None:
    assert "auth quickbooks" in classify(ErrorFacts(QB, 400, "invalid_grant", "Token invalid")).hint


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0x80040217", "0x80040217"),
        ("0X8004A100", "0x8004a100"),
        (-2147220969, "0x80040217"),
        ("-2147220969", "0x80040217"),
        (2147746327, "0x80040217"),
        ("6240", "6240"),
        ("", None),
        (None, None),
        ("AADSTS7000215", "aadsts7000215"),
    ],
)
def test_codes_are_normalized(raw: str | int | None, expected: str | None) -> None:
    assert normalize_code(raw) == expected


def test_every_rule_is_reachable_and_renders() -> None:
    for rule in RULES:
        c = classify(ErrorFacts(rule.service, rule.status, rule.code, "msg", "detail", "Elem", "Name"))
        assert c.error_class is rule.error_class, rule
        assert "{" not in c.hint, rule


def test_a_choice_value_the_org_lacks_points_at_crm_setup() -> None:
    message = "The value 100000004 of 'ino_invoicestatus' on record of type 'invoice' is outside the valid range."
    c = classify(ErrorFacts(DV, 400, "0x8004431A", message))
    assert c.error_class is ErrorClass.VALIDATION and not c.retryable
    assert "inolink-tui crm setup" in c.hint and "100000004" in c.hint
