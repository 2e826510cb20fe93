#!/bin/bash
# standin_rehearsal_test.sh -- the repository stand-in's rehearsal behaviour against a private PostgreSQL:
# "Updating the DB schema took N ms" growing with the rows (standin.schema.upgrade.us_per_row), the patch
# lines, --props overrides winning over the home's properties, the cluster refusal beside a running node of
# the same cluster, noindex, and fault failed-patch-over:N (empty database passes, a large one fails and
# keeps alf_bootstrap_lock). docs/standins.md.
set -euo pipefail
source "$ALFUP_SOURCE_DIR/tests/lib/err_trap.sh"
source "$ALFUP_SOURCE_DIR/tests/lib/grep_all.sh"
source "$ALFUP_SOURCE_DIR/tests/lib/pg_harness.sh"
STANDIN=$ALFUP_BIN/alfresco-standin
NODES=3000
US_PER_ROW=1000            # 1 ms per row: the large copy's upgrade takes >= 3 s, the small one's < 1 s
READY_WAIT_S=60
work=$(mktemp -d /tmp/alfup-sreh.XXXXXX)
cleanup() {
    for h in old new; do [ -d "$work/$h" ] && "$STANDIN" stop "$work/$h" >/dev/null 2>&1 || true; done
    pg_harness_stop "$work"
    rm -rf "$work"
}
trap cleanup EXIT
pg_harness_start "$work"
pg_harness_psql "create role alfresco login password 'alfresco'" "create database prod owner alfresco"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
OLD_PORT=$(free_port)
NEW_PORT=$(free_port)

# make_home HOME "VERSION SCHEMA [MIN MINVERSION]" DB PORT
make_home() {
    mkdir -p "$1/tomcat/logs" "$1/tomcat/temp" "$1/tomcat/shared/classes" "$1/alf_data"
    echo "$2" > "$1/standin-version"
    cat > "$1/tomcat/shared/classes/alfresco-global.properties" <<PROPS
dir.root=$1/alf_data
db.url=jdbc:postgresql://127.0.0.1:$PGPORT/$3
db.username=alfresco
db.password=alfresco
standin.http.port=$4
standin.cluster.registry=$work/cluster
standin.schema.upgrade.us_per_row=$US_PER_ROW
index.subsystem.name=solr6
PROPS
}
probe() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/alfresco/api/-default-/public/alfresco/versions/1/probes/-ready-" || true; }
# wait_probe PORT CODE -- until the probe answers CODE (200 ready, 404 context failed).
wait_probe() {
    local deadline=$((SECONDS + READY_WAIT_S)) code
    while code=$(probe "$1"); [ "$code" != "$2" ]; do
        [ $SECONDS -lt $deadline ] || { echo "FAIL: probe on $1 answers $code, not $2" >&2; tail -20 "$work"/*/tomcat/logs/catalina.out >&2; exit 1; }
        sleep 0.2
    done
}
log_after() { tail -c +"$(( $2 + 1 ))" "$1/tomcat/logs/catalina.out"; }
log_size() { stat -c %s "$1/tomcat/logs/catalina.out" 2>/dev/null || echo 0; }
psql_db() { PG_HARNESS_DB=$1 pg_harness_psql "$2"; }
q() { "$PG_HARNESS_BIN/psql" -X -A -t -d "$1" -c "$2"; }

mkdir -p "$work/cluster"
make_home "$work/old" "7.4.1 19100" prod "$OLD_PORT"
make_home "$work/new" "23.1.0 19200 19000 7.4.1" prod "$NEW_PORT"
"$STANDIN" start "$work/old"
wait_probe "$OLD_PORT" 200
"$STANDIN" stop "$work/old"
pg_harness_psql "create database small template prod owner alfresco"
psql_db prod "insert into alf_node (store_id, uuid) select 1, md5('n' || g)::uuid::text from generate_series(1, $NODES) g"
for db in big1 big2; do pg_harness_psql "create database $db template prod owner alfresco"; done
pg_harness_psql "create database empty owner alfresco"
"$STANDIN" start "$work/old"
wait_probe "$OLD_PORT" 200

# 1. Cluster: the new version on a copy of production's database, cluster enabled, refuses beside it.
sed -i "s#/prod\$#/big1#" "$work/new/tomcat/shared/classes/alfresco-global.properties"
at=$(log_size "$work/new")
"$STANDIN" start "$work/new"
wait_probe "$NEW_PORT" 404
log_after "$work/new" "$at" | grep_all "Another repository node of cluster .* is running"
[ "$(q big1 "select to_regclass('alf_bootstrap_lock') is null")" = t ] || { echo "FAIL: refused node touched the schema" >&2; exit 1; }
"$STANDIN" stop "$work/new"

# 2. --props: cluster off and noindex win over the home's file; the upgrade takes >= NODES ms and logs patches.
cat > "$work/overrides.properties" <<PROPS
alfresco.cluster.enabled=false
index.subsystem.name=noindex
messaging.subsystem.autoStart=false
PROPS
at=$(log_size "$work/new")
"$STANDIN" start "$work/new" --port "$NEW_PORT" --props "$work/overrides.properties"
wait_probe "$NEW_PORT" 200
log=$(log_after "$work/new" "$at")
grep_all "Clustering is disabled" <<< "$log"
grep_all "Search, managed, noindex\]: nothing is indexed" <<< "$log"
grep_all "messaging=off" <<< "$log"
[ "$(grep -c "Applying patch '" <<< "$log")" = 3 ] || { echo "FAIL: expected 3 patch lines" >&2; exit 1; }
big_ms=$(sed -n 's/.*Updating the DB schema took \([0-9]*\) ms.*/\1/p' <<< "$log")
[ -n "$big_ms" ] && [ "$big_ms" -ge "$NODES" ] || { echo "FAIL: upgrade of $NODES rows took '${big_ms}' ms" >&2; exit 1; }
"$STANDIN" stop "$work/new"

# 3. The same on the small copy: N grows with the rows.
sed -i "s#/big1\$#/small#" "$work/new/tomcat/shared/classes/alfresco-global.properties"
at=$(log_size "$work/new")
"$STANDIN" start "$work/new" --props "$work/overrides.properties"
wait_probe "$NEW_PORT" 200
small_ms=$(log_after "$work/new" "$at" | sed -n 's/.*Updating the DB schema took \([0-9]*\) ms.*/\1/p')
[ -n "$small_ms" ] && [ "$small_ms" -lt $((big_ms / 2)) ] || { echo "FAIL: small upgrade $small_ms ms, big $big_ms ms" >&2; exit 1; }
"$STANDIN" stop "$work/new"

# 4. failed-patch-over:100: an empty database (bootstrap) starts; the large copy fails and keeps the lock.
echo "failed-patch-over:100" > "$work/new/standin-fault"
sed -i "s#/small\$#/empty#" "$work/new/tomcat/shared/classes/alfresco-global.properties"
"$STANDIN" start "$work/new" --props "$work/overrides.properties"
wait_probe "$NEW_PORT" 200
"$STANDIN" stop "$work/new"
sed -i "s#/empty\$#/big2#" "$work/new/tomcat/shared/classes/alfresco-global.properties"
at=$(log_size "$work/new")
"$STANDIN" start "$work/new" --props "$work/overrides.properties"
wait_probe "$NEW_PORT" 404
log_after "$work/new" "$at" | grep_all "=== Failed to apply patch ==="
[ "$(q big2 "select to_regclass('alf_bootstrap_lock') is not null")" = t ] || { echo "FAIL: no alf_bootstrap_lock left" >&2; exit 1; }
"$STANDIN" stop "$work/new"
[ "$(probe "$OLD_PORT")" = 200 ] || { echo "FAIL: the old node stopped answering" >&2; exit 1; }
echo "standin rehearsal: upgrade of $NODES rows $big_ms ms, of the small copy $small_ms ms"
