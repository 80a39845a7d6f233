"""Billing's models, one module per concept; Django finds an app's models in `billing.models`, so each is imported here.

money      the Decimal amounts and currency codes every model stores
tariffs    tariffs (OCPI 2.2.1), their elements and price components, where they apply
cdrs       charge detail records: a finished session priced once
accounts   how a driver pays (card or monthly invoice), whom invoices address
payments   the Stripe customer, a session's Payment, refunds, Stripe's webhook events
invoices   the issuer and its counter, invoices, their lines and billed CDRs
"""

from billing.models.accounts import BillingAccount
from billing.models.cdrs import ChargeDetailRecord
from billing.models.invoices import Invoice, InvoiceCounter, InvoicedRecord, InvoiceIssuer, InvoiceLine
from billing.models.payments import Payment, PaymentCustomer, Refund, StripeEvent
from billing.models.tariffs import PriceComponent, Tariff, TariffAssignment, TariffElement

__all__ = [
    "BillingAccount",
    "ChargeDetailRecord",
    "Invoice",
    "InvoiceCounter",
    "InvoiceIssuer",
    "InvoiceLine",
    "InvoicedRecord",
    "Payment",
    "PaymentCustomer",
    "PriceComponent",
    "Refund",
    "StripeEvent",
    "Tariff",
    "TariffAssignment",
    "TariffElement",
]
