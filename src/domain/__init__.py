"""The pure domain: the Complaint aggregate and its rules, centres, duty roster, working-day calendar (no I/O)."""
