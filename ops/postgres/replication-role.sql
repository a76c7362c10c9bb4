-- yousu: the role the hot standby connects with. It can replicate and log in, nothing else:
-- not a superuser, creates no databases or roles, and is granted no table (it never reads rows
-- through SQL; streaming replication ships the WAL, which holds the events as ciphertext).
CREATE ROLE yousu_replicator WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT
    CONNECTION LIMIT 5 PASSWORD :'replicator_password';
