"""yousu api layer."""
