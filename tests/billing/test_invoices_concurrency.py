"""Invoices created at the same moment from several threads (own connections): no number twice, none skipped.

Meant for PostgreSQL, where select_for_update really makes the threads wait;
on SQLite the same test holds because its writers take turns.
"""

import threading

import pytest
from django.db import connections

from billing.invoices import monthly, per_session
from billing.models import BillingAccount, Invoice, InvoiceCounter
from tests.billing.test_invoices import MIXED_VAT, driver, invoice_dir, priced, session_cdr, utc  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cdrs(priced, session_cdr):
    """Six sealed sessions of one driver, all ending in March 2026."""
    priced(*MIXED_VAT)
    return [session_cdr(start=utc(2026, 3, 5, n, 0)) for n in range(6)]


def together(work, args: list) -> list:
    """Run work(arg) for every arg on its own thread, released at once; the results in args' order."""
    barrier = threading.Barrier(len(args))
    results: list = [None] * len(args)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(args[index])
        except Exception as error:  # re-raised below, on the test's thread
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(args))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


def test_concurrent_invoices_get_consecutive_unique_numbers(cdrs):
    made = together(lambda cdr: per_session.invoice_session(cdr=cdr), cdrs)
    year = made[0].issued_at.year
    assert sorted(i.number for i in made) == [f"VS-{year}-{n:06d}" for n in range(1, 7)]
    assert InvoiceCounter.objects.get().last_number == 6


def test_the_same_cdr_invoiced_twice_at_once_is_one_invoice(cdrs):
    made = together(lambda cdr: per_session.invoice_session(cdr=cdr), [cdrs[0]] * 4)
    assert len({i.pk for i in made}) == 1 and Invoice.objects.count() == 1
    assert InvoiceCounter.objects.get().last_number == 1


def test_the_same_month_invoiced_twice_at_once_is_one_invoice(cdrs):
    driver = cdrs[0].transaction.id_tag.owner
    BillingAccount.objects.create(driver=driver, pays_by_invoice=True)
    made = together(lambda _: monthly.invoice_month(driver=driver, year=2026, month=3), [0, 1])
    assert made[0].pk == made[1].pk and made[0].charge_detail_records.count() == 6
    assert Invoice.objects.get().number.endswith("-000001")


def test_a_month_and_its_sessions_at_once_bill_each_cdr_once(cdrs):
    driver = cdrs[0].transaction.id_tag.owner
    work = [lambda: monthly.invoice_month(driver=driver, year=2026, month=3)] + [
        lambda cdr=cdr: per_session.invoice_session(cdr=cdr) for cdr in cdrs[:3]
    ]
    together(lambda job: job(), work)
    billed = [cdr.invoices.count() for cdr in cdrs]
    assert billed == [1] * 6
    assert sorted(Invoice.objects.values_list("number", flat=True))[-1].endswith(f"-{Invoice.objects.count():06d}")
