"""Voltstack's domain as OCPI 2.2.1 objects: pure functions from model instances to OCPI dicts.

No queries of their own beyond the related managers (prefetch what you pass
in), no writes, no HTTP: the module endpoints and the pushes call these.
"""
