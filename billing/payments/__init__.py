"""Card payments through Stripe: the only package that knows the Stripe SDK.

    client      the SDK client from settings; SDK failures become ProviderUnavailable
    amounts     Decimal money as Stripe counts it (cents, whole yen) and back
    cards       the driver's Stripe customer and saved cards
    holds       money held on the card before a remote start (the start guard)
    settlement  the session's exact cost taken once at the end
    refunds     money given back, ours or the dashboard's
    events      Stripe's signed webhook events, verified
    errors      what callers see instead of an SDK type

Double billing is prevented twice over: every Stripe write carries an
idempotency key derived from our own ids (a retried request gets the first
answer back), and our Payment row records each step, so a settlement run
again finds nothing left to do.
"""
