"""Criteria loaded by load_catalogue were saved raw, past AssessmentCriterion.save(), so their
position stayed 0 and criteria within an outcome came back in no defined order. This sets
each position from its number; the loader now does so itself."""

import re

from django.db import migrations

CRITERION_NUMBER = re.compile(r"^(?P<outcome>\d+)\.(?P<position>\d+)$")


def set_positions(apps, schema_editor):
    criterion_model = apps.get_model("criteria", "AssessmentCriterion")
    changed = []
    for criterion in criterion_model.objects.only("pk", "number", "position"):
        match = CRITERION_NUMBER.match(criterion.number)
        if match and criterion.position != int(match["position"]):
            criterion.position = int(match["position"])
            changed.append(criterion)
    criterion_model.objects.bulk_update(changed, ["position"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("criteria", "0001_initial")]

    operations = [migrations.RunPython(set_positions, migrations.RunPython.noop)]
