"""Writes to the catalogue: loading it from fixtures.

Fixtures are Django's serialisation format (YAML or JSON) with natural keys and no primary
keys, so ``manage.py dumpdata criteria --natural-foreign --natural-primary --format yaml``
writes files this loader reads back. What the loader adds to ``loaddata``: records are
ordered by model dependency whatever file they are in; every record is validated
(``full_clean``) before it is saved; an unchanged record is not written at all; the report
says what was created, updated and left alone; and any error names the file and the record
while the whole load is rolled back.
"""

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, models, transaction

from criteria.models import (
    AssessmentCriterion,
    AwardingOrganisation,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
)

# Parents before children: a record's natural foreign keys must resolve when it is loaded.
CATALOGUE_MODELS: tuple[type[models.Model], ...] = (
    AwardingOrganisation,
    Unit,
    LearningOutcome,
    AssessmentCriterion,
    Qualification,
    QualificationUnit,
)
_MODEL_BY_LABEL = {model._meta.label_lower: model for model in CATALOGUE_MODELS}
FIXTURE_SUFFIXES = (".yaml", ".yml", ".json")
# What each model's natural_key() reads, fetched in one query when listing a whole table.
_NATURAL_KEY_RELATIONS = {
    LearningOutcome: ["unit"],
    AssessmentCriterion: ["outcome__unit"],
    QualificationUnit: ["qualification", "unit"],
}


class CatalogueLoadError(Exception):
    """A fixture could not be loaded. The message names the file and the record."""


@dataclass(frozen=True)
class _SourceRecord:
    path: Path
    index: int  # 1-based position in its file
    data: dict

    @property
    def model_label(self) -> str:
        return str(self.data.get("model", "")).lower()

    def describe(self) -> str:
        fields = self.data.get("fields") or {}
        identity = [
            f"{name}={fields[name]!r}"
            for name in ("code", "qualification", "unit", "outcome", "number")
            if name in fields
        ]
        label = self.data.get("model", "?")
        return f"{self.path}, record {self.index} ({label} {', '.join(identity)})".replace(
            " )", ")"
        )


@dataclass
class LoadReport:
    files: list[Path] = field(default_factory=list)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    # Natural keys present in the database but in no fixture (only for a complete load).
    not_in_fixtures: dict[str, list[tuple]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def summary_lines(self) -> list[str]:
        lines = []
        for model in CATALOGUE_MODELS:
            label = model._meta.verbose_name_plural
            created, updated = self.created[label], self.updated[label]
            unchanged = self.unchanged[label]
            if created or updated or unchanged:
                lines.append(
                    f"{label}: {created} created, {updated} updated, {unchanged} unchanged"
                )
        return lines


def fixture_files(paths: Iterable[Path]) -> list[Path]:
    """The fixture files named, with folders expanded recursively, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in FIXTURE_SUFFIXES)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise CatalogueLoadError(f"{path}: no such file or folder.")
    return found


def _read_records(path: Path) -> list[_SourceRecord]:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        raise CatalogueLoadError(f"{path}: cannot be read as a fixture: {error}") from error
    if data is None:
        return []
    if not isinstance(data, list):
        raise CatalogueLoadError(f"{path}: a fixture file must hold a list of records.")

    records = []
    for index, item in enumerate(data, start=1):
        record = _SourceRecord(path=path, index=index, data=item if isinstance(item, dict) else {})
        if not isinstance(item, dict) or not isinstance(item.get("fields"), dict):
            raise CatalogueLoadError(
                f"{record.describe()}: a record needs 'model' and a mapping of 'fields'."
            )
        if record.model_label not in _MODEL_BY_LABEL:
            allowed = ", ".join(_MODEL_BY_LABEL)
            raise CatalogueLoadError(
                f"{record.describe()}: {item.get('model')!r} is not a catalogue model "
                f"(expected one of: {allowed})."
            )
        if "pk" in item:
            raise CatalogueLoadError(
                f"{record.describe()}: catalogue fixtures name records by natural key; remove 'pk'."
            )
        records.append(record)
    return records


def _differs(existing: models.Model, incoming: models.Model) -> bool:
    for model_field in incoming._meta.concrete_fields:
        if model_field.primary_key:
            continue
        if getattr(existing, model_field.attname) != getattr(incoming, model_field.attname):
            return True
    return False


def _load_record(record: _SourceRecord, report: LoadReport, seen: dict) -> tuple:
    model = _MODEL_BY_LABEL[record.model_label]
    deserialized = next(iter(serializers.deserialize("python", [record.data])))
    instance = deserialized.object
    natural_key = instance.natural_key()

    label = model._meta.label_lower
    if (label, natural_key) in seen:
        raise CatalogueLoadError(
            f"{record.describe()}: {label} {natural_key} is already defined at "
            f"{seen[label, natural_key].describe()}."
        )
    seen[label, natural_key] = record

    # The deserializer found the existing row by natural key and set its pk; say so, or
    # full_clean's uniqueness checks would count the row as a clash with itself.
    instance._state.adding = instance.pk is None
    instance.full_clean()  # also derives fields that save() would (saving raw skips save())
    verbose = model._meta.verbose_name_plural
    if instance.pk is None:
        deserialized.save()
        report.created[verbose] += 1
    elif _differs(model._default_manager.get(pk=instance.pk), instance):
        deserialized.save()
        report.updated[verbose] += 1
    else:
        report.unchanged[verbose] += 1
    return natural_key


def catalogue_load(*, paths: Sequence[Path], complete: bool = False) -> LoadReport:
    """Load catalogue fixtures in one transaction: all of them, or nothing.

    ``complete`` says the files are the whole catalogue, so that records in the database that
    no fixture mentions are reported (never deleted: evidence may point at them).
    """
    report = LoadReport(files=fixture_files(paths))
    records = [record for path in report.files for record in _read_records(path)]
    # Stable sort: within a model, records keep their file order.
    order = {model._meta.label_lower: rank for rank, model in enumerate(CATALOGUE_MODELS)}
    records.sort(key=lambda record: order[record.model_label])

    seen: dict[tuple[str, tuple], _SourceRecord] = {}
    with transaction.atomic():
        for record in records:
            try:
                _load_record(record, report, seen)
            except CatalogueLoadError:
                raise
            except ValidationError as error:
                problems = "; ".join(
                    f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
                    for name, messages in error.message_dict.items()
                )
                raise CatalogueLoadError(f"{record.describe()}: {problems}") from error
            except (
                DeserializationError,
                FieldDoesNotExist,
                ObjectDoesNotExist,
                DatabaseError,
                ValueError,
                TypeError,
                LookupError,
            ) as error:
                # The deserializer wraps a failed natural-key lookup; name what is missing.
                cause = error.__cause__ or error.__context__ or error
                if isinstance(cause, ObjectDoesNotExist):
                    missing = type(cause).__qualname__.removesuffix(".DoesNotExist")
                    detail = f"it refers to a {missing} that is in no fixture or the database"
                else:
                    detail = str(error)
                raise CatalogueLoadError(f"{record.describe()}: {detail}") from error

    if complete:
        for model in CATALOGUE_MODELS:
            label = model._meta.label_lower
            missing = [
                obj.natural_key()
                for obj in model._default_manager.select_related(
                    *_NATURAL_KEY_RELATIONS.get(model, [])
                )
                if (label, obj.natural_key()) not in seen
            ]
            if missing:
                report.not_in_fixtures[label] = missing
    return report
