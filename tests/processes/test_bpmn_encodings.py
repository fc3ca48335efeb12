"""A BPMN upload in an encoding the XML reader cannot read is refused with a message, not a 500.

Python's expat reads UTF-8, UTF-16 and single-byte encodings; any other multi-byte encoding it
is told about ("UTF-7", "UTF-32", "Shift_JIS") raised a bare ValueError from the parser.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from processes.bpmn import BpmnImportError, import_bpmn
from processes.diagram import map_data_for


def declaring(encoding: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        '<process id="p"><task id="t" name="Answer the call"/></process></definitions>'
    ).encode("ascii")


@pytest.mark.parametrize("encoding", ["UTF-7", "UTF-32", "Shift_JIS", "EUC-JP", "GB18030"])
def test_multi_byte_encoding_is_refused_with_its_name(encoding):
    with pytest.raises(
        BpmnImportError, match=rf"encoding cannot be read \(it declares {encoding}\)"
    ):
        import_bpmn(declaring(encoding))


def test_utf7_upload_is_refused_on_the_page_and_changes_nothing(learner_client, version):
    before = map_data_for(version)

    response = learner_client.post(
        reverse("processes:version-import", args=[version.pk]),
        {"revision": version.revision, "file": SimpleUploadedFile("map.bpmn", declaring("UTF-7"))},
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "The file could not be imported" in page
    assert "encoding cannot be read (it declares UTF-7)" in page
    assert map_data_for(version) == before
