from django.urls import path

from roaming.views import credentials, tokens, versions

app_name = "roaming"

urlpatterns = [
    path("versions", versions.versions, name="versions"),
    path("2.2.1", versions.version_details, name="version-details"),
    path("2.2.1/credentials", credentials.credentials, name="credentials"),
    path("2.2.1/tokens", tokens.endpoint, name="tokens"),
    path("2.2.1/tokens/<str:country_code>/<str:party_id>/<str:uid>", tokens.token, name="token"),
]
