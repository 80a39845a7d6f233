from billing.models.tariffs import *  # noqa: F403  (split by concept in the next commit)
