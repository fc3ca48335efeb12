"""The narrative of an evidence item is formatted text (reflective accounts are often only
text). It comes from the editor as HTML and is sanitised by nh3 before it is stored, so what is
stored is safe to show as it is."""

import nh3

ALLOWED_TAGS = {
    "p", "div", "br", "strong", "b", "em", "i", "u", "del", "s",
    "h1", "h2", "h3", "h4", "blockquote", "pre", "ul", "ol", "li", "a",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def sanitise_narrative(html: str) -> str:
    """Keep formatting, drop everything else (scripts, styles, event handlers, images)."""
    cleaned = nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return cleaned.strip()


def narrative_is_blank(html: str) -> bool:
    return not nh3.clean(html or "", tags=set()).strip()
