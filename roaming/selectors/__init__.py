"""Reads for the OCPI sender modules: what partners may see, in the shape the mapping wants prefetched."""
