"""Formatting for process figures."""

from decimal import Decimal, InvalidOperation

from django import template

from processes.render.value_stream import duration as render_duration

register = template.Library()


@register.filter
def duration(minutes) -> str:
    """Minutes as a person reads them, exactly as the diagrams write them ("2 d 1 h 25 min")."""
    if minutes is None or minutes == "":
        return "\u2013"  # an en dash
    try:
        return render_duration(Decimal(minutes))
    except (InvalidOperation, ValueError):
        return str(minutes)  # what was typed, unsaved and not a number: shown as it is


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
