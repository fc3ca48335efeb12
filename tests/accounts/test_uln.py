"""The ULN check digit, as the Learning Records Service publishes it (and the ESFA's ILR
validation applies): weights 10..2 on the first nine digits, remainder by 11 not 0, tenth digit
10 minus the remainder."""

import pytest
from django.core.exceptions import ValidationError

from portfolio_site.accounts.validators import uln_check_digit, uln_problem, validate_uln


@pytest.mark.parametrize(
    ("first_nine", "check"),
    [
        ("000000004", 2),  # 4*2 = 8; 10 - 8
        ("123456789", 9),  # 210 % 11 = 1; 10 - 1
        ("999999999", 8),  # 486 % 11 = 2
        ("100000000", 0),  # 10 % 11 = 10; 10 - 10
        ("000000000", None),  # remainder 0: no valid ULN starts so
        ("200000001", None),  # 2*10 + 1*2 = 22, remainder 0
    ],
)
def test_check_digit(first_nine, check):
    assert uln_check_digit(first_nine) == check


@pytest.mark.parametrize("uln", ["0000000042", "1234567899", "9999999998", "1000000000"])
def test_valid_ulns_pass(uln):
    assert uln_problem(uln) is None
    validate_uln(uln)


@pytest.mark.parametrize(
    ("uln", "message"),
    [
        ("0000000043", "its last digit does not fit the others"),
        ("1234567890", "its last digit does not fit the others"),
        ("0000000000", "its last digit does not fit the others"),  # remainder 0
        ("2000000010", "its last digit does not fit the others"),  # remainder 0
        ("12345", "A ULN is 10 digits"),
        ("12345678901", "A ULN is 10 digits"),
        ("12345a7890", "A ULN is 10 digits"),
        ("١٢٣٤٥٦٧٨٩٩", "A ULN is 10 digits"),  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_invalid_ulns_say_why(uln, message):
    assert message in uln_problem(uln)
    with pytest.raises(ValidationError, match=message):
        validate_uln(uln)


def test_blank_is_allowed_the_uln_is_optional():
    validate_uln("")
