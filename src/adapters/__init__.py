"""Storage behind the application's ports: the event store's recorders and the accounts tables.

Every SQL statement that ``application`` needs is here; ``application`` names only the ports
(``application.accounts.AccountStore``) and the recorder topics (``application.persistence``).
"""
