from decimal import Decimal

from django.db import migrations


def add_plans(apps, schema_editor):
    Plan = apps.get_model("licensing", "Plan")
    for slug, name, days, seats, price, trial in [
        ("home-1y", "lanward Home, 1 year", 365, 3, Decimal("39.00"), False),
        ("home-2y", "lanward Home, 2 years", 730, 3, Decimal("69.00"), False),
        ("family-1y", "lanward Family, 1 year", 365, 10, Decimal("59.00"), False),
        ("trial-30d", "lanward Home, 30-day trial", 30, 1, Decimal("0.00"), True),
    ]:
        Plan.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "duration_days": days, "seats": seats, "renewal_price": price,
                      "is_trial": trial, "renewable": not trial},
        )


class Migration(migrations.Migration):
    dependencies = [("licensing", "0001_initial")]
    operations = [migrations.RunPython(add_plans, migrations.RunPython.noop)]
