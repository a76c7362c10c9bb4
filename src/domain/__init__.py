"""The pure domain: the Complaint aggregate, its rules and the working-day calendar (no I/O)."""
