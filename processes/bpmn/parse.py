"""Reading untrusted XML safely: size, DTD, entities, depth and element count are all checked.

The upload comes from a learner's computer, so it is treated as hostile. defusedxml refuses
DTDs (which is where entity-expansion "billion laughs" and external-entity attacks live) and
never fetches anything; the size is checked before parsing starts, and depth and element
count while it runs, so a hostile file costs a bounded amount of time and memory.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml import ElementTree as SafeET

MAX_BPMN_BYTES = 5 * 1024 * 1024
# Files from modelling tools nest about ten deep (a few more per sub-process) and have a few
# dozen XML elements per step, so these limits leave plenty of room for real diagrams.
MAX_XML_DEPTH = 100
MAX_XML_ELEMENTS = 100_000

_EXPORT_AGAIN = "Export the diagram again from your modelling tool and upload that file."


class BpmnImportError(ValueError):
    """The file cannot be imported; the message says why, in words a learner understands."""


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word break when one is near, with
    an ellipsis to show the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    word_break = cut.rfind(" ")
    if word_break >= limit - 20:
        cut = cut[:word_break]
    return cut.rstrip() + "\u2026"


def quoted(text: str, limit: int = 60) -> str:
    """``text`` in single quotes, whitespace collapsed and cut short, for a message."""
    return f"'{shorten(' '.join(str(text).split()), limit)}'"


def parse_xml(raw: bytes) -> ET.Element:
    """The root element of ``raw``; raises BpmnImportError for anything unsafe or not XML."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError("parse_xml needs the file's bytes")
    size = len(raw)
    if size == 0:
        raise BpmnImportError("The file is empty. " + _EXPORT_AGAIN)
    if size > MAX_BPMN_BYTES:
        raise BpmnImportError(
            f"The file is {size / 1024 / 1024:.1f} MB; the largest BPMN file we accept is "
            f"{MAX_BPMN_BYTES // 1024 // 1024} MB. A process map exported from a modelling "
            "tool is far smaller than that: check that you chose the right file."
        )
    root = None
    depth = 0
    count = 0
    try:
        events = SafeET.iterparse(
            io.BytesIO(bytes(raw)),
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
        for event, element in events:
            if event == "end":
                depth -= 1
                continue
            depth += 1
            count += 1
            if root is None:
                root = element
            if depth > MAX_XML_DEPTH:
                raise BpmnImportError(
                    f"The file's XML is nested more than {MAX_XML_DEPTH} levels deep. BPMN "
                    "files from modelling tools never are, so it was refused. " + _EXPORT_AGAIN
                )
            if count > MAX_XML_ELEMENTS:
                raise BpmnImportError(
                    f"The file has more than {MAX_XML_ELEMENTS:,} XML elements, far more than "
                    "a process map needs, so it was refused."
                )
    except DTDForbidden as error:
        raise BpmnImportError(_explain_dtd(raw, error)) from None
    except EntitiesForbidden as error:  # pragma: no cover - forbid_dtd stops these first
        raise BpmnImportError(_explain_entity(error)) from None
    except DefusedXmlException:  # pragma: no cover - external references need a DTD
        raise BpmnImportError(
            "The file refers to something outside itself, which we never open. " + _EXPORT_AGAIN
        ) from None
    except ET.ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise BpmnImportError(
            "The file is not XML, so it cannot be a BPMN file (the XML reader stopped at "
            f"line {line}, column {column + 1}). " + _EXPORT_AGAIN
        ) from None
    except BpmnImportError:
        raise  # a ValueError too, but one of ours, already in words for the learner
    except (LookupError, ValueError):
        # An encoding declaration Python does not know (LookupError), bytes that do not match
        # it (UnicodeError), or one that expat cannot read at all: "UTF-7" and other multi-byte
        # encodings other than UTF-8 and UTF-16 (a plain ValueError).
        raise BpmnImportError(_encoding_refused(raw)) from None
    if root is None:  # pragma: no cover - expat reports a missing root as a ParseError
        raise BpmnImportError("The file has no XML elements. " + _EXPORT_AGAIN)
    return root


_DECLARED_ENCODING = re.compile(
    rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']"""
)


def _encoding_refused(raw: bytes) -> str:
    declared = _DECLARED_ENCODING.match(bytes(raw[:300]))
    named = f" (it declares {declared.group(1).decode('ascii')})" if declared else ""
    return (
        f"The file's text encoding cannot be read{named}, so it cannot be imported. BPMN "
        "files are saved as UTF-8. " + _EXPORT_AGAIN
    )


_DTD_REFUSED = (
    "BPMN files never need a DTD, and it is how entity-expansion and external-file attacks "
    "work, so the file was refused. " + _EXPORT_AGAIN
)


def _explain_dtd(raw: bytes, error: DTDForbidden) -> str:
    if error.sysid or error.pubid:
        return (
            "The file refers to an outside document type definition (DTD) at "
            f"{quoted(error.sysid or error.pubid)}. We never open files or web addresses "
            "named in an upload. " + _DTD_REFUSED
        )
    # Say which declaration the DTD holds: read it again with the DTD allowed but entity
    # declarations and external references still refused. The reader stops at the first
    # declaration, before anything could be expanded, and at the root element at the latest.
    try:
        events = SafeET.iterparse(
            io.BytesIO(bytes(raw)),
            events=("start",),
            forbid_dtd=False,
            forbid_entities=True,
            forbid_external=True,
        )
        next(iter(events), None)
    except EntitiesForbidden as entity_error:
        return _explain_entity(entity_error)
    except (DefusedXmlException, ET.ParseError, LookupError, ValueError):
        pass
    return "The file has a document type declaration (<!DOCTYPE ...>). " + _DTD_REFUSED


def _explain_entity(error: EntitiesForbidden) -> str:
    if error.sysid or error.pubid:
        return (
            f"The file declares an external entity ({quoted(error.name)}) that would read "
            f"{quoted(error.sysid or error.pubid)}. Reading files or web addresses named in "
            "an upload is a known attack, so the file was refused. " + _EXPORT_AGAIN
        )
    return (
        f"The file declares XML entities ({quoted(error.name)}). Entities can make a small "
        'file expand to gigabytes in memory (the "billion laughs" attack), so files that '
        "declare them are refused. " + _EXPORT_AGAIN
    )
