#!/bin/bash
# Entrypoint of the Debian-based Postgres stand-in image (see scripts/test).
# Mimics the parts of the official postgres image's entrypoint the tests rely
# on: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB / POSTGRES_HOST_AUTH_METHOD,
# /docker-entrypoint-initdb.d, and extra server arguments as the container command.
#
# Log streams deliberately match the official image, because testcontainers'
# Postgres module waits for "database system is ready to accept connections"
# on stderr and then on stdout: the temporary init server runs under pg_ctl
# (which sends the server's log to stdout, and listens on no TCP port), the
# real server is started last and logs to stderr, so the stderr line only
# appears once TCP connections are really accepted.
set -Eeuo pipefail

export PGDATA="${PGDATA:-/var/lib/postgresql/data}"

# "-c fsync=off" (or nothing) as the command means: run the server with these args.
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
	set -- postgres "$@"
fi

# Anything else (e.g. "bash") is run as is.
if [ "$1" != postgres ]; then
	exec "$@"
fi

# initdb and postgres refuse to run as root: prepare directories, then re-exec
# this script as the postgres user (setpriv execs: no extra process in between).
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	chmod 2777 /var/run/postgresql
	export HOME=/var/lib/postgresql
	exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-}"
if [ -n "$POSTGRES_PASSWORD" ]; then
	POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
else
	POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-}"
fi

psql_init() {
	psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc --username "$POSTGRES_USER" "$@"
}

# An existing data directory (container restarted) is used as is, like upstream.
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		cat >&2 <<-'MSG'
			Error: Database is uninitialized and superuser password is not specified.
			       Set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow
			       all connections without a password.
		MSG
		exit 1
	fi

	# --no-sync: unlike upstream, skip initdb's final fsync; that alone takes
	# seconds per test container, and throwaway test data needs no durability.
	# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is split, as upstream
	if [ -n "$POSTGRES_PASSWORD" ]; then
		initdb --no-sync --username="$POSTGRES_USER" \
			--pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") ${POSTGRES_INITDB_ARGS:-}
	else
		initdb --no-sync --username="$POSTGRES_USER" ${POSTGRES_INITDB_ARGS:-}
	fi

	{
		echo
		echo "listen_addresses = '*'"
	} >>"$PGDATA/postgresql.conf"
	{
		echo
		echo "host all all all $POSTGRES_HOST_AUTH_METHOD"
	} >>"$PGDATA/pg_hba.conf"

	# Temporary server: Unix socket only, so nobody connects before init is done.
	pg_ctl -D "$PGDATA" -w start \
		-o "$(printf '%q ' -c listen_addresses= -p 5432 "${@:2}")"

	if [ "$POSTGRES_DB" != postgres ]; then
		psql_init --dbname postgres --set db="$POSTGRES_DB" <<-'SQL'
			CREATE DATABASE :"db";
		SQL
	fi

	for f in /docker-entrypoint-initdb.d/*; do
		[ -e "$f" ] || continue
		case "$f" in
			*.sh)
				echo "$0: running $f"
				# shellcheck source=/dev/null
				if [ -x "$f" ]; then "$f"; else . "$f"; fi
				;;
			*.sql) echo "$0: running $f"; psql_init --dbname "$POSTGRES_DB" -f "$f" ;;
			*.sql.gz) echo "$0: running $f"; gunzip -c "$f" | psql_init --dbname "$POSTGRES_DB" ;;
			*) echo "$0: ignoring $f" ;;
		esac
	done

	pg_ctl -D "$PGDATA" -m fast -w stop
	echo
	echo 'PostgreSQL init process complete; ready for start up.'
	echo
fi

# docker stop sends SIGTERM, which is Postgres' "smart" shutdown: it waits for
# every client to disconnect. The official image sets STOPSIGNAL SIGINT ("fast"
# shutdown) instead, which an imported image cannot, so translate here.
"$@" &
pid=$!
trap 'kill -INT "$pid" 2>/dev/null || true' TERM INT
set +e
while :; do
	wait "$pid"
	kill -0 "$pid" 2>/dev/null || break
done
# bash remembers the exit status even if the wait above was cut short by a trap.
wait "$pid"
exit $?
