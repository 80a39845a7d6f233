"""The sealed cost of every session billed before the cost was kept on its transaction: the drivers'
history shows the stored cost, so it is copied from each charge detail record."""

from django.db import migrations


def copy_sealed_costs(apps, schema_editor):
    ChargeDetailRecord = apps.get_model("billing", "ChargeDetailRecord")
    Transaction = apps.get_model("charging", "Transaction")
    for record in ChargeDetailRecord.objects.filter(transaction__cost_final=False).iterator():
        Transaction.objects.filter(pk=record.transaction_id).update(
            cost_currency=record.currency,
            cost_excl_vat=record.total_cost_excl_vat,
            cost_incl_vat=record.total_cost_incl_vat,
            cost_priced_at=record.created_at,
            cost_final=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_billing_invoice_parties"),
        ("charging", "0005_transaction_cost"),
    ]

    operations = [migrations.RunPython(copy_sealed_costs, migrations.RunPython.noop)]
