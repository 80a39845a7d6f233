"""The OCPI parties a partner speaks for (Partner.parties(): its first role's and every role's), as the domain
names a token's issuer, and the partner speaking for an issuer.

A hub or a multi-country eMSP has several; the credentials handshake keeps them on the Partner. Tokens are
owned by one of them ("CC*PID" on the IdTag), and sessions and CDRs go back to the partner owning it.
"""

from roaming.mapping.tokens import issuer_party
from roaming.models import Partner


def issuer_parties(partner: Partner) -> list[str]:
    """The partner's parties as the domain names a token's issuer ("CC*PID"), sorted."""
    return sorted(issuer_party(country_code=cc, party_id=pid) for cc, pid in partner.parties() if cc and pid)


def party_pair(issuer: str) -> tuple[str, str] | None:
    """ "CC*PID" as the (country_code, party_id) an OCPI-to-* header names; None for "" (our own, unknown)."""
    country_code, _, party_id = issuer.partition("*")
    return (country_code, party_id) if country_code and party_id else None


def issuing_partner(*, issuer: str) -> Partner | None:
    """The registered partner speaking for the token issuer "CC*PID" (None for our own tokens)."""
    if not issuer:
        return None
    partners = Partner.objects.filter(status=Partner.Status.REGISTERED).exclude(their_token_encrypted="")
    return next((p for p in partners.order_by("pk") if issuer.upper() in issuer_parties(p)), None)
