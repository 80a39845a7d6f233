"""Why an invoice cannot be issued: the errors its callers (the tasks, the admin) catch and report."""


class InvoiceError(Exception):
    """Base of the reasons an invoice cannot be issued; the caller logs it and goes on with the next."""


class PaysByCard(InvoiceError):
    """A driver paying by card has each session invoiced on its own: there is no period to close."""


class NoDriver(InvoiceError):
    """The session's id tag belongs to no user (roaming or anonymous): there is no one to address."""


class AmbiguousVat(InvoiceError):
    """One billed dimension was priced at several VAT rates; the CDR totals cannot say how much at each."""


class MixedCurrencies(InvoiceError):
    """A monthly invoice has one currency; CDRs priced in several cannot share it."""
