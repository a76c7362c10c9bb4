"""Creating the event store's tables on PostgreSQL, one process at a time."""

from __future__ import annotations

import zlib

from eventsourcing.postgres import PostgresApplicationRecorder

# advisory lock key serialising the store's DDL across processes (the views use their own key)
STORE_SETUP_LOCK = zlib.crc32(b"yousu store setup")


class SerialisedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The stock recorder, but ``create_table`` holds a PostgreSQL advisory lock.

    ``CREATE TABLE IF NOT EXISTS`` is not safe against itself: two sessions creating the same table
    at once both pass the check and one fails on ``pg_type_typname_nsp_index``. Under the lock the
    second process finds the table and creating it again is a no-op.
    """

    def create_table(self) -> None:
        """Create tables and indexes if missing, holding the store's setup lock."""
        with self.datastore.get_connection() as conn:
            # session-level lock, committed at once: an idle open transaction would be ended by
            # the datastore's idle_in_transaction_session_timeout while the DDL runs elsewhere
            conn.execute("SELECT pg_advisory_lock(%s)", [STORE_SETUP_LOCK])
            conn.commit()
            try:
                super().create_table()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", [STORE_SETUP_LOCK])
                conn.commit()
