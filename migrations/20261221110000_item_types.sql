-- The item types staff defined (issue 19): one row per code, as its last ItemTypeDefined says.
-- Built-in types staff never edited have no row; their settings are the domain's.
CREATE TABLE item_types (
    code text PRIMARY KEY,
    name text NOT NULL,
    deletion_delay_days integer NOT NULL,
    suspension text NOT NULL,
    grace_days integer NOT NULL,
    auto_prolong boolean NOT NULL,
    position bigint NOT NULL
);
