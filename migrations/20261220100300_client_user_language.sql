-- Issue 18, item 8: e-mail to a client's user in its own language. The `access` read model keeps
-- the language a user chose (`ClientUserPreferencesSet`), NULL until it chooses one, so that the
-- notifier writes the password reset e-mail in it (else in the client's language, else English).
-- The projection's version goes up with this column, so it is rebuilt and fills it from the log.
ALTER TABLE client_users ADD COLUMN language text;
