"""Formatting for process figures."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def duration(minutes) -> str:
    """Minutes as a person reads them: "45 min", "2 h 5 min", "3 d 1 h" (a day is 24 hours)."""
    if minutes is None or minutes == "":
        return "\u2013"  # an en dash
    total = Decimal(minutes)
    if total < 60:
        return f"{total.normalize():f} min"
    whole = int(total)
    days, rest = divmod(whole, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} d")
    if hours:
        parts.append(f"{hours} h")
    if mins and not days:
        parts.append(f"{mins} min")
    return " ".join(parts) or "0 min"


@register.filter
def plain_number(value) -> str:
    """A Decimal without trailing zeros: 72.00 -> 72, 3.10 -> 3.1; None -> a dash."""
    if value is None or value == "":
        return "\u2013"  # an en dash
    number = Decimal(value)
    text = f"{number.normalize():f}"
    return text


@register.filter
def signed(value) -> str:
    if value is None or value == "":
        return "\u2013"  # an en dash
    number = Decimal(value)
    text = f"{number.normalize():f}"
    return f"+{text}" if number > 0 else text
