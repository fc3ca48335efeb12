from django import template

register = template.Library()


@register.filter
def lookup(mapping: dict, key) -> str:
    """mapping[key] in a template, with the key as a string (as form data has it)."""
    return mapping.get(str(key), "") if mapping else ""
