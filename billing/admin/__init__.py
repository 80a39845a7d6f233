"""Billing's admin, one module per concept; importing each registers its admins.

tariffs     tariffs with their elements and prices, where they apply, a preview
cdrs        charge detail records, read only
accounts    billing accounts; closing a period early
invoices    the issuer, issued invoices with their PDF, sending again
payments    card payments and their refunds
read_only   the base of the admins for records of money
"""

from billing.admin import accounts, cdrs, invoices, payments, tariffs  # noqa: F401 (registers the admins)
