"""Invoices: numbered once, built from sealed charge detail records, rendered to PDF and e-mailed.

    per_session  a card-paying driver's invoice for each session
    monthly      a month's invoice for drivers who pay by invoice; a period closed early; last month's run
    issuing      writing one invoice: number, lines, VAT table, the CDRs it bills, the parties copied
    numbering    gap-free numbers per issuer and year, and the default issuer
    lines        a CDR's lines, shared out to its total by the largest-remainder method
    vat          the VAT rate per dimension, the table per rate
    delivery     the PDF stored once, the e-mail to the driver
    pdf          the PDF document (fpdf2)
    errors       why an invoice cannot be issued

A CDR is billed at most once (InvoicedRecord is one-to-one with it), and
both the session and the monthly services are idempotent, even under races
(see numbering).
"""
