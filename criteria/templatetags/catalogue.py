from django import template
from django.utils.html import format_html, format_html_join

from criteria.models import bullet_points

register = template.Library()

# "Term: explanation" points read better with the term in bold; longer prefixes are sentences.
_MAX_TERM_LENGTH = 60


@register.filter
def term_point(point: str) -> str:
    """'Complaint handling: Using ...' becomes '<strong>Complaint handling</strong>: Using ...'."""
    term, separator, rest = point.partition(": ")
    if separator and len(term) <= _MAX_TERM_LENGTH:
        return format_html("<strong>{}</strong>: {}", term, rest)
    return point


@register.filter
def paragraphs(text: str) -> str:
    """Catalogue texts keep one paragraph per line; each becomes a <p>."""
    return format_html_join("", "<p>{}</p>", ((line,) for line in bullet_points(text)))


@register.filter
def or_not_given(value) -> str:
    """Catalogue fields the source documents leave empty are shown as such, not as blanks."""
    return "Not given" if value in (None, "") else value
