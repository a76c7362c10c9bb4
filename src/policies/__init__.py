"""yousu policies layer."""
