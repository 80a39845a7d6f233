from billing.invoices.lines import *  # noqa: F403  (split by concept in the next commit)
