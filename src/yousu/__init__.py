"""yousu yousu layer."""
