"""yousu application layer."""
