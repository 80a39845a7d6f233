from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Driver accounts"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        from accounts.services import close_sockets_of_deactivated

        post_save.connect(
            lambda instance, **kwargs: close_sockets_of_deactivated(user=instance),
            sender=get_user_model(),
            weak=False,
            dispatch_uid="accounts.close_sockets_of_deactivated",
        )
