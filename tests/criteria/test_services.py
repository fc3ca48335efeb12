"""The catalogue loader (criteria/services.py: catalogue_load)."""

import shutil
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from criteria.models import (
    AssessmentCriterion,
    AwardingOrganisation,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
)
from criteria.services import CATALOGUE_MODELS, CatalogueLoadError, catalogue_load

pytestmark = pytest.mark.django_db

UNIT_FILE = "catalogue/units/design-business-processes.yaml"


def snapshot() -> dict:
    """Every catalogue row, with its primary key, as plain values."""
    return {
        model._meta.label: sorted(model._default_manager.values_list(), key=lambda row: row[0])
        for model in CATALOGUE_MODELS
    }


@pytest.fixture
def fixture_copy(tmp_path, fixtures_dir) -> Path:
    """A private copy of fixtures/ that a test may edit."""
    copy = tmp_path / "fixtures"
    shutil.copytree(fixtures_dir, copy)
    return copy


def edit_records(path: Path, edit) -> None:
    records = yaml.safe_load(path.read_text())
    edit(records)
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False))


def test_first_load_creates_everything(fixtures_dir):
    report = catalogue_load(paths=[fixtures_dir], complete=True)

    assert report.changed
    assert report.created["units"] == Unit.objects.count() == 4
    assert report.created["assessment criteria"] == AssessmentCriterion.objects.count()
    assert sum(report.updated.values()) == 0
    assert report.not_in_fixtures == {}


def test_second_load_changes_nothing(fixtures_dir):
    catalogue_load(paths=[fixtures_dir], complete=True)
    before = snapshot()

    report = catalogue_load(paths=[fixtures_dir], complete=True)

    assert not report.changed
    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    assert sum(report.unchanged.values()) == sum(len(rows) for rows in before.values())
    assert snapshot() == before


def test_edited_fixture_updates_records_in_place(fixture_copy):
    catalogue_load(paths=[fixture_copy])
    criterion = AssessmentCriterion.objects.get_by_natural_key("design-business-processes", "2.1")
    unit_pk = criterion.outcome.unit_id

    def reword(records):
        records[0]["fields"]["title"] = "Design business processes (revised)"
        for record in records:
            if record["fields"].get("number") == "2.1":
                record["fields"]["text"] = "Develop a revised business process."

    edit_records(fixture_copy / UNIT_FILE, reword)
    report = catalogue_load(paths=[fixture_copy])

    assert report.updated["units"] == 1
    assert report.updated["assessment criteria"] == 1
    assert sum(report.created.values()) == 0
    criterion.refresh_from_db()
    assert criterion.text == "Develop a revised business process."
    assert Unit.objects.get(pk=unit_pk).title == "Design business processes (revised)"


def test_records_load_whatever_the_primary_keys(fixtures_dir):
    """Natural keys: rows that already occupy the first ids do not disturb the links."""
    for n in range(5):
        AwardingOrganisation.objects.create(code=f"other-{n}", name=f"Other {n}")
        Unit.objects.create(code=f"other-unit-{n}", title=f"Other unit {n}")

    catalogue_load(paths=[fixtures_dir])

    link = QualificationUnit.objects.get_by_natural_key(
        "pearson-edexcel-l3-nvq-diploma-customer-service-qcf",
        "review-and-re-engineer-customer-service-processes",
    )
    assert link.qualification.awarding_organisation.code == "pearson"
    assert link.unit.title == "Review and re-engineer customer service processes"


def test_dumpdata_with_natural_keys_loads_back(tmp_path, fixtures_dir):
    """What admins edit can be written back as a fixture: dumpdata's output is loadable."""
    catalogue_load(paths=[fixtures_dir])
    expected = {
        model._meta.label: sorted(
            str(natural) for natural in (obj.natural_key() for obj in model._default_manager.all())
        )
        for model in CATALOGUE_MODELS
    }
    dump = tmp_path / "dump.yaml"
    call_command(
        "dumpdata",
        "criteria",
        natural_foreign=True,
        natural_primary=True,
        format="yaml",
        output=str(dump),
        verbosity=0,
    )
    for model in reversed(CATALOGUE_MODELS):
        model._default_manager.all().delete()

    catalogue_load(paths=[dump])

    assert {
        model._meta.label: sorted(str(obj.natural_key()) for obj in model._default_manager.all())
        for model in CATALOGUE_MODELS
    } == expected


def test_fixtures_never_name_primary_keys(fixtures_dir):
    for path in fixtures_dir.rglob("*.yaml"):
        for record in yaml.safe_load(path.read_text()):
            assert "pk" not in record, f"{path} names a primary key"


BROKEN_RECORDS = {
    "missing parent": (
        {
            "model": "criteria.assessmentcriterion",
            "fields": {"outcome": ["no-such-unit", 1], "number": "1.1", "text": "x"},
        },
        "that is in no fixture or the database",
    ),
    "criterion under the wrong outcome": (
        {
            "model": "criteria.assessmentcriterion",
            "fields": {"outcome": ["design-business-processes", 1], "number": "2.9", "text": "x"},
        },
        "must start with its outcome's number",
    ),
    "malformed criterion number": (
        {
            "model": "criteria.assessmentcriterion",
            "fields": {"outcome": ["design-business-processes", 1], "number": "one", "text": "x"},
        },
        'looks like "2.3"',
    ),
    "level out of range": (
        {"model": "criteria.unit", "fields": {"code": "too-high", "title": "x", "level": 12}},
        "level",
    ),
    "unknown field": (
        {"model": "criteria.unit", "fields": {"code": "odd", "title": "x", "colour": "red"}},
        "colour",
    ),
    "not a catalogue model": (
        {"model": "accounts.user", "fields": {"username": "mallory"}},
        "is not a catalogue model",
    ),
    "primary key given": (
        {"model": "criteria.unit", "pk": 7, "fields": {"code": "pk-unit", "title": "x"}},
        "remove 'pk'",
    ),
    "duplicate natural key": (
        {"model": "criteria.unit", "fields": {"code": "design-business-processes", "title": "x"}},
        "is already defined at",
    ),
    "no fields": ({"model": "criteria.unit"}, "needs 'model' and a mapping of 'fields'"),
}


@pytest.mark.parametrize("case", BROKEN_RECORDS, ids=list(BROKEN_RECORDS))
def test_broken_record_loads_nothing_and_names_file_and_record(fixture_copy, case):
    record, expected_message = BROKEN_RECORDS[case]
    broken = fixture_copy / "zz-broken.yaml"
    broken.write_text(
        yaml.safe_dump(
            [
                {
                    "model": "criteria.awardingorganisation",
                    "fields": {"code": "fine", "name": "Fine Ltd"},
                },
                record,
            ]
        )
    )

    with pytest.raises(CatalogueLoadError) as caught:
        catalogue_load(paths=[fixture_copy])

    message = str(caught.value)
    assert str(broken) in message
    assert "record 2" in message
    assert expected_message in message
    assert all(not model._default_manager.exists() for model in CATALOGUE_MODELS)


def test_broken_edit_leaves_loaded_catalogue_untouched(fixture_copy):
    catalogue_load(paths=[fixture_copy])
    before = snapshot()

    def break_unit_file(records):
        records[0]["fields"]["title"] = "A change that must not land"
        records[-1]["fields"]["number"] = "9.9"  # a criterion under outcome 3

    edit_records(fixture_copy / UNIT_FILE, break_unit_file)
    with pytest.raises(CatalogueLoadError, match=r"design-business-processes\.yaml, record 16"):
        catalogue_load(paths=[fixture_copy])

    assert snapshot() == before


def test_unreadable_yaml_names_the_file(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("- model: criteria.unit\n  fields: {code: [unclosed\n")

    with pytest.raises(CatalogueLoadError, match=r"broken\.yaml: cannot be read as a fixture"):
        catalogue_load(paths=[broken])


def test_missing_path_is_reported(tmp_path):
    with pytest.raises(CatalogueLoadError, match="no such file or folder"):
        catalogue_load(paths=[tmp_path / "nowhere.yaml"])


def test_records_load_in_dependency_order_across_files(tmp_path):
    """A qualification file sorted before the unit file it refers to still loads."""
    (tmp_path / "a-qualification.yaml").write_text(
        yaml.safe_dump(
            [
                {
                    "model": "criteria.qualificationunit",
                    "fields": {"qualification": ["q"], "unit": ["u"], "requirement": "mandatory"},
                },
                {
                    "model": "criteria.qualification",
                    "fields": {
                        "code": "q",
                        "title": "Q",
                        "awarding_organisation": ["ao"],
                        "level": 2,
                        "framework": "RQF",
                    },
                },
            ]
        )
    )
    (tmp_path / "b-units.json").write_text(
        '[{"model": "criteria.unit", "fields": {"code": "u", "title": "U"}},'
        ' {"model": "criteria.awardingorganisation", "fields": {"code": "ao", "name": "AO"}},'
        ' {"model": "criteria.learningoutcome",'
        '  "fields": {"unit": ["u"], "number": 1, "text": "O"}}]'
    )

    catalogue_load(paths=[tmp_path])

    assert QualificationUnit.objects.get().unit.code == "u"
    assert LearningOutcome.objects.get().unit.code == "u"
    assert Qualification.objects.get().awarding_organisation.code == "ao"


def test_complete_load_reports_records_no_fixture_mentions(fixtures_dir):
    catalogue_load(paths=[fixtures_dir])
    Unit.objects.create(code="added-in-admin", title="Added in admin")

    report = catalogue_load(paths=[fixtures_dir], complete=True)

    assert report.not_in_fixtures == {"criteria.unit": [("added-in-admin",)]}
    assert Unit.objects.filter(code="added-in-admin").exists()


def test_command_reports_counts_and_refuses_broken_files(tmp_path, capsys):
    call_command("load_catalogue")
    assert "already up to date" not in capsys.readouterr().out

    call_command("load_catalogue")
    output = capsys.readouterr().out
    assert "Catalogue already up to date from 8 file(s)." in output
    assert "assessment criteria: 0 created, 0 updated, 24 unchanged" in output

    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump([{"model": "criteria.unit", "fields": {"code": "x"}}]))
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=r"Nothing was loaded\. .*broken\.yaml, record 1"):
        call_command("load_catalogue", str(broken))


def test_loaded_criteria_sort_by_their_number(tmp_path):
    """The loader saves rows raw (past the model's save()), so it derives each criterion's
    position itself: 1.10 follows 1.9, and a row stored without its position is corrected."""
    criteria = [
        {
            "model": "criteria.assessmentcriterion",
            "fields": {"outcome": ["u", 1], "number": number, "text": f"Criterion {number}"},
        }
        for number in ("1.10", "1.2", "1.9", "1.1")
    ]
    (tmp_path / "unit.yaml").write_text(
        yaml.safe_dump(
            [
                {"model": "criteria.unit", "fields": {"code": "u", "title": "U"}},
                {
                    "model": "criteria.learningoutcome",
                    "fields": {"unit": ["u"], "number": 1, "text": "O"},
                },
                *criteria,
            ]
        )
    )

    catalogue_load(paths=[tmp_path])
    outcome = LearningOutcome.objects.get()
    assert [c.number for c in outcome.criteria.all()] == ["1.1", "1.2", "1.9", "1.10"]

    AssessmentCriterion.objects.update(position=0)
    report = catalogue_load(paths=[tmp_path])
    assert report.updated["assessment criteria"] == 4
    assert [c.position for c in outcome.criteria.all()] == [1, 2, 9, 10]
