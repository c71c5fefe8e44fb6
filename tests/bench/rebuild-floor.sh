#!/usr/bin/env bash
# What PostgreSQL alone needs to write the rows a rebuild writes one per event, with nothing of
# ours in the way: the per-event read-model tables of a rebuilt database are copied out
# (binary COPY) and loaded back into a copy of that database, first into the tables with their
# indexes, then into bare tables whose indexes are built afterwards. Prints the seconds of each.
#
# usage: tests/bench/rebuild-floor.sh DATABASE   (a database after `billing projections rebuild`,
#        on the server of PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432 as postgres)
set -euo pipefail
source_db=${1:?usage: rebuild-floor.sh DATABASE}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
tables="action_log audit_chain account_movements payments expenses report_expenses report_payment_methods"
work=$(mktemp -d)
copy_db="${source_db}_floor"
cleanup() { rm -rf "$work"; psql -q -d postgres -c "DROP DATABASE IF EXISTS $copy_db" >/dev/null 2>&1 || true; }
trap cleanup EXIT
psql -q -d postgres -c "DROP DATABASE IF EXISTS $copy_db" -c "CREATE DATABASE $copy_db TEMPLATE $source_db"
rows=0
for t in $tables; do
    psql -q -d "$copy_db" -c "\\copy $t TO '$work/$t.bin' WITH (FORMAT binary)"
    rows=$((rows + $(psql -Atq -d "$copy_db" -c "SELECT count(*) FROM $t")))
done
in_list=$(printf "'%s'," $tables); in_list=${in_list%,}
load() { # loads every table at once, one COPY each
    local started=$EPOCHREALTIME
    for t in $tables; do
        psql -q -d "$copy_db" -c "\\copy $t FROM '$work/$t.bin' WITH (FORMAT binary)" &
    done
    wait
    awk -v a="$EPOCHREALTIME" -v b="$started" 'BEGIN { print a - b }'
}
psql -q -d "$copy_db" -c "TRUNCATE $(echo $tables | tr ' ' ',')"
with_indexes=$(load)
# The same rows into bare tables, then every index and key built after the load.
psql -Atq -d "$copy_db" -c "SELECT indexdef || ';' FROM pg_indexes WHERE schemaname = 'public'
    AND tablename IN ($in_list) AND indexname NOT IN (SELECT conname FROM pg_constraint)" > "$work/indexes.sql"
psql -Atq -d "$copy_db" -c "SELECT 'ALTER TABLE ' || conrelid::regclass || ' ADD CONSTRAINT ' || conname
    || ' ' || pg_get_constraintdef(oid) || ';' FROM pg_constraint WHERE contype IN ('p', 'u')
    AND conrelid::regclass::text IN ($in_list)" > "$work/keys.sql"
psql -Atq -d "$copy_db" -c "SELECT 'ALTER TABLE ' || conrelid::regclass || ' DROP CONSTRAINT ' || conname || ';'
    FROM pg_constraint WHERE contype IN ('p', 'u') AND conrelid::regclass::text IN ($in_list)" | psql -q -d "$copy_db"
psql -Atq -d "$copy_db" -c "SELECT 'DROP INDEX ' || indexname || ';' FROM pg_indexes WHERE schemaname = 'public'
    AND tablename IN ($in_list)" | psql -q -d "$copy_db"
psql -q -d "$copy_db" -c "TRUNCATE $(echo $tables | tr ' ' ',')"
bare=$(load)
started=$EPOCHREALTIME
psql -q -d "$copy_db" -f "$work/keys.sql" -f "$work/indexes.sql"
built=$(awk -v a="$EPOCHREALTIME" -v b="$started" 'BEGIN { print a - b }')
printf 'rows %d in %s\n' "$rows" "$tables"
printf 'load into the indexed tables: %.2f s\n' "$with_indexes"
printf 'load into bare tables: %.2f s, then keys and indexes: %.2f s\n' "$bare" "$built"
