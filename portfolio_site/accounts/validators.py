"""The Unique Learner Number (ULN) check digit, as the Learning Records Service publishes it.

A ULN is ten digits. Multiply the first nine by 10, 9, 8 ... 2 and add the products; the
remainder of the sum divided by 11 must not be 0, and the tenth digit is 10 minus that
remainder. (The same rule as the ESFA's ILR validation, derived data rule 01.)
"""

from django.core.exceptions import ValidationError

ULN_LENGTH = 10


def uln_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no valid ULN starts with them."""
    weights = range(10, 1, -1)
    total = sum(int(digit) * weight for digit, weight in zip(first_nine[:9], weights, strict=True))
    remainder = total % 11
    if remainder == 0:
        return None
    return 10 - remainder


def uln_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a ULN, in words for the person who typed it, or None."""
    if len(value) != ULN_LENGTH or not value.isascii() or not value.isdigit():
        return f"A ULN is {ULN_LENGTH} digits; {value!r} is not."
    if uln_check_digit(value[:9]) != int(value[9]):
        return (
            f"{value} is not a valid ULN: its last digit does not fit the others "
            "(check for a typing slip)."
        )
    return None


def validate_uln(value: str) -> None:
    if value and (problem := uln_problem(value)):
        raise ValidationError(problem, code="invalid_uln")
