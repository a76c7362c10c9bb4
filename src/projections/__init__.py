"""yousu projections layer."""
