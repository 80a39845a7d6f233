from billing.admin import tariffs  # noqa: F401  (split by concept in the next commit)
