# Shared by the benchmark scripts (scripts/bench-list, scripts/bench-crud, scripts/bench-import,
# scripts/bench-soak...); sourced, not run.
#
# What they have in common: the release build of the service, a throwaway PostgreSQL 15 on a cached
# data directory (one cluster for every benchmark, a database each), the service started on a free
# port and waited for until /readyz answers, a benchmark program run with `cargo bench`, and a
# cleanup that stops all of it whatever happened.
#
# The sourcing script sets BENCH_NAME (its name, for messages) and BENCH_RUN_PREFIX (its temporary
# directory's prefix) first, then calls, in order: bench_init, build_service, start_postgres,
# migrate (per database), start_service (once per instance), run_bench_program.
#
# Environment (besides what each script documents):
#   CARGO_TARGET_DIR             build directory (default /var/cache/autopilot-registry/target)
#   AUTOPILOT_BENCH_PGDATA       cached PostgreSQL data directory (default /var/cache/autopilot-registry/bench-pg)
#   AUTOPILOT_BENCH_SERVICE_BIN  benchmark this service binary instead of building one
#   PG_BIN                       PostgreSQL 15 programs (default /usr/lib/postgresql/15/bin)
#   AUTOPILOT_BENCH_KEEP_LOGS    when set, keep the run's directory (logs, pgbench's files) after
#                                a successful run too (it is kept after a failed one anyway)

readonly CACHE_DIR=/var/cache/autopilot-registry
readonly PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
readonly PG_DATA=${AUTOPILOT_BENCH_PGDATA:-$CACHE_DIR/bench-pg}
readonly PG_SUPERUSER=postgres
readonly SERVICE_START_SECS=120
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$CACHE_DIR/target}

step() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$BENCH_NAME" "$*" >&2; }
die() { printf '%s: error: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# PostgreSQL's programs, as the postgres user when we are root (initdb and postgres refuse root).
as_pg() {
	if is_root; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# A TCP port on 127.0.0.1 nothing listens on.
free_port() {
	local port _
	for _ in $(seq 100); do
		port=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	die "found no free TCP port on 127.0.0.1"
}

# Checks the prerequisites, makes RUN_DIR (logs; PG_RUN: PostgreSQL's socket directory and log)
# and installs the cleanup.
bench_init() {
	[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] ||
		die "no PostgreSQL 15 in $PG_BIN (apt-get install postgresql-15, or set PG_BIN)"
	if is_root; then
		id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run PostgreSQL as"
	fi
	RUN_DIR=$(mktemp -d "/tmp/$BENCH_RUN_PREFIX.XXXXXX")
	PG_RUN="$RUN_DIR/pg"
	readonly RUN_DIR PG_RUN
	chmod 755 "$RUN_DIR"
	mkdir -m 700 "$PG_RUN"
	if is_root; then chown postgres: "$PG_RUN"; fi

	SERVICE_PIDS=()
	SERVICE_URLS=()
	BENCH_PGID=
	PG_STARTED=
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

bench_cleanup() {
	local status=$?
	trap - EXIT INT TERM
	if [ -n "$BENCH_PGID" ]; then
		kill -TERM -- "-$BENCH_PGID" 2>/dev/null || true
		wait "$BENCH_PGID" 2>/dev/null || true
	fi
	local pid
	for pid in "${SERVICE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${SERVICE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [ -n "$PG_STARTED" ]; then
		as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 120 stop >/dev/null 2>&1 ||
			warn "could not stop PostgreSQL on $PG_DATA"
	fi
	if [ "$status" -eq 0 ] && [ -z "${AUTOPILOT_BENCH_KEEP_LOGS:-}" ]; then
		rm -rf "$RUN_DIR"
	else
		printf '%s: logs kept in %s\n' "$BENCH_NAME" "$RUN_DIR" >&2
	fi
	exit "$status"
}

# Builds the release service (unless AUTOPILOT_BENCH_SERVICE_BIN names one) and, when one is named,
# the benchmark program $1 (a [[bench]] target). Sets SERVICE_BIN and SERVICE_ENV, the `env`
# command the service runs under.
build_service() {
	local bench=${1:-} name
	if [ -n "$bench" ]; then
		grep -q "^name = \"$bench\"" Cargo.toml ||
			die "Cargo.toml registers no $bench bench; add: [[bench]] name = \"$bench\" harness = false"
	fi
	if [ -n "${AUTOPILOT_BENCH_SERVICE_BIN:-}" ]; then
		SERVICE_BIN=$AUTOPILOT_BENCH_SERVICE_BIN
		step "service: $SERVICE_BIN (AUTOPILOT_BENCH_SERVICE_BIN, not built)"
		[ -x "$SERVICE_BIN" ] || die "$SERVICE_BIN is not an executable"
	else
		step "cargo build --release (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
		cargo build --release || die "the release build failed"
		SERVICE_BIN=$CARGO_TARGET_DIR/release/autopilot-registry
	fi
	# The service runs with none of the caller's AUTOPILOT_* settings: a public URL, an auth mode or
	# a default tenant from the environment would change what is measured, or break it. On loopback
	# with no auth mode it needs no token and serves the default (nil) tenant, which the benchmarks
	# load. Settings a benchmark means to give it are passed to start_service.
	SERVICE_ENV=(env)
	for name in $(compgen -e); do
		case $name in AUTOPILOT_*) SERVICE_ENV+=(-u "$name") ;; esac
	done

	if [ -n "$bench" ]; then
		step "cargo bench --bench $bench --no-run"
		cargo bench --bench "$bench" --no-run || die "building the benchmark failed"
	fi
}

# Starts PostgreSQL on PG_DATA (initdb on the first run) with its defaults (fsync and all) except
# shared_buffers=256MB and the `-c name=value` settings given as arguments. Sets PG_PORT.
start_postgres() {
	local settings="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_RUN -c shared_buffers=256MB"
	local setting
	for setting in "$@"; do settings+=" -c $setting"; done

	step "PostgreSQL 15 on $PG_DATA"
	if [ -f "$PG_DATA/PG_VERSION" ]; then
		[ "$(cat "$PG_DATA/PG_VERSION")" = 15 ] ||
			die "$PG_DATA holds a PostgreSQL $(cat "$PG_DATA/PG_VERSION") cluster; delete it to start over"
		note "reusing the cached cluster"
	else
		note "initdb (first run)"
		mkdir -p "$PG_DATA"
		if is_root; then chown postgres: "$PG_DATA"; fi
		chmod 700 "$PG_DATA"
		as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_SUPERUSER" --auth=trust -E UTF8 --locale=C.UTF-8 \
			>"$RUN_DIR/initdb.log" 2>&1 || { cat "$RUN_DIR/initdb.log" >&2; die "initdb failed"; }
	fi
	if as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
		die "a PostgreSQL is already running on $PG_DATA (another benchmark run?); stop it with: pg_ctl -D $PG_DATA stop (as postgres)"
	fi
	PG_PORT=$(free_port)
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_RUN/postgres.log" -w -t 300 \
		-o "-c port=$PG_PORT $settings" start >/dev/null ||
		{ cat "$PG_RUN/postgres.log" >&2; die "PostgreSQL did not start"; }
	PG_STARTED=1
	note "listening on 127.0.0.1:$PG_PORT and $PG_RUN${*:+ ($*)}"
}

psql_admin() {
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_RUN" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres "$@"
}

# The URL of database $1 over TCP, as the service and the benchmark programs connect.
database_url() { printf 'postgres://%s@127.0.0.1:%s/%s' "$PG_SUPERUSER" "$PG_PORT" "$1"; }

# `autopilot-registry migrate` on DATABASE_URL; its output goes to $RUN_DIR/migrate.log.
migrate() { "${SERVICE_ENV[@]}" "$SERVICE_BIN" migrate >"$RUN_DIR/migrate.log" 2>&1; }

# An HTTP status code of GET $1 (an http://host:port URL plus path); empty when nothing answers.
http_status() {
	local rest=${1#http://} authority path status_line
	authority=${rest%%/*}
	path=/${rest#*/}
	(
		exec 3<>"/dev/tcp/${authority%:*}/${authority##*:}" || exit 0
		printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$authority" >&3
		IFS=' ' read -r -t 5 _ status_line _ <&3 || exit 0
		printf '%s' "$status_line"
	) 2>/dev/null
}

# Starts an instance of the service on a free port of 127.0.0.1, with DATABASE_URL and the
# NAME=VALUE settings given as arguments, and waits for its listening line and then for /readyz to
# answer 200 (the service may listen before its migrations are applied). Sets SERVICE_PID and
# SERVICE_URL to this instance's and appends them to SERVICE_PIDS and SERVICE_URLS: called again, it
# starts another instance beside the first (on the same database when DATABASE_URL is unchanged).
# The first instance writes $RUN_DIR/service.out and service.log, the n-th service-n.out and .log.
start_service() {
	local _ instance=$((${#SERVICE_PIDS[@]} + 1)) name=service label=
	if [ "$instance" -gt 1 ]; then name=service-$instance label=" instance $instance"; fi
	local out="$RUN_DIR/$name.out" log="$RUN_DIR/$name.log" setting shown=()
	# Secrets stay out of the output.
	for setting in "$@"; do
		case $setting in *SECRET*=*) shown+=("${setting%%=*}=...") ;; *) shown+=("$setting") ;; esac
	done
	step "starting the service$label${shown[*]:+ (${shown[*]})}"
	: >"$out"
	"${SERVICE_ENV[@]}" AUTOPILOT_BIND=127.0.0.1:0 "$@" "$SERVICE_BIN" >"$out" 2>"$log" &
	SERVICE_PID=$!
	SERVICE_PIDS+=("$SERVICE_PID")
	SERVICE_URL=
	for _ in $(seq $((SERVICE_START_SECS * 10))); do
		if [ -z "$SERVICE_URL" ]; then
			SERVICE_URL=$(sed -n 's/^autopilot-registry listening on \(http:\/\/[^ ]*\).*$/\1/p' "$out")
		fi
		[ -n "$SERVICE_URL" ] && [ "$(http_status "$SERVICE_URL/readyz")" = 200 ] && break
		if ! kill -0 "$SERVICE_PID" 2>/dev/null; then
			cat "$log" >&2
			die "the service exited before it was ready"
		fi
		sleep 0.1
	done
	[ -n "$SERVICE_URL" ] ||
		{ cat "$log" >&2; die "the service did not listen within ${SERVICE_START_SECS}s"; }
	[ "$(http_status "$SERVICE_URL/readyz")" = 200 ] ||
		{ cat "$log" >&2; die "$SERVICE_URL/readyz did not answer 200 within ${SERVICE_START_SECS}s"; }
	SERVICE_URLS+=("$SERVICE_URL")
	note "$SERVICE_URL (pid $SERVICE_PID, log $log)"
}

# `cargo bench --bench $1` with the environment the caller exported. In a process group of its
# own, waited for in the background: a signal to the script stops it (cargo, the benchmark program
# and whatever that started) at once, not when it is done.
run_bench_program() {
	step "cargo bench --bench $1"
	setsid cargo bench --bench "$1" &
	BENCH_PGID=$!
	local status=0
	wait "$BENCH_PGID" || status=$?
	BENCH_PGID=
	return "$status"
}
