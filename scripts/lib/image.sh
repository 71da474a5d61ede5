# shellcheck shell=bash
# Shared by the image smoke tests (scripts/compose-smoke, scripts/standalone-smoke); sourced, not
# run.
#
# What they have in common: the images the Dockerfile builds on, stood in for where they cannot be
# pulled (a debootstrapped Debian bookworm for the runtime base; for the Rust builder, the binary
# built on the host and handed to the Dockerfile's PREBUILT), the image build itself, and waiting
# for the service and talking HTTP to it from the host.
#
# The sourcing script sets SMOKE_NAME (its name, for messages) first; it calls start_build before
# ensure_runtime_image and finish_build after, build_image with the build command, and removes
# PREBUILT_DIR and stops CARGO_PID (stop_build) in its exit trap.
#
# Environment (read here, documented by the scripts):
#   AUTOPILOT_RUNTIME_IMAGE, AUTOPILOT_RUST_IMAGE, AUTOPILOT_SMOKE_PREBUILT,
#   AUTOPILOT_SMOKE_PROFILE, CARGO_TARGET_DIR

readonly DEFAULT_RUNTIME_IMAGE=debian:bookworm-slim
readonly DEFAULT_RUST_IMAGE=rust:1-bookworm
readonly RUNTIME_STANDIN_IMAGE=autopilot-registry/debian-standin:bookworm
readonly RUNTIME_STANDIN_LABEL=autopilot-registry.standin-recipe
readonly RUNTIME_STANDIN_RECIPE=debootstrap-minbase-bookworm-1
readonly PREBUILT_DIR=.prebuilt # inside the build context; removed on exit
readonly PULL_TIMEOUT_SECS=60
readonly READY_TIMEOUT_SECS=90
readonly PROFILE=${AUTOPILOT_SMOKE_PROFILE:-release}
case $PROFILE in release | dev) ;; *) echo "AUTOPILOT_SMOKE_PROFILE must be release or dev" >&2; exit 2 ;; esac

started=$SECONDS
# Under scripts/test, on its clock (seconds since the whole run began), so one clock runs through.
clock_start=${AUTOPILOT_TEST_CLOCK_START:-$(($(date +%s) - SECONDS))}
step() { printf '==> [%4ds] %s\n' "$(($(date +%s) - clock_start))" "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '%s: error: %s\n' "$SMOKE_NAME" "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }
have() { command -v "$1" >/dev/null 2>&1; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
try_pull() { timeout "$PULL_TIMEOUT_SECS" docker pull -q "$1" >/dev/null 2>&1; }
have_or_pull() { image_exists "$1" || try_pull "$1"; }

# ---------------------------------------------------------------- tools
ensure_docker_and_curl() {
	docker info >/dev/null 2>&1 || die "cannot reach a Docker engine (scripts/test starts one)"
	have curl || { is_root && apt_install curl; } || die "curl is needed"
}

apt_install() {
	local log
	log=$(mktemp)
	if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "$@"; } >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "installing $* failed (full log: $log)"
	fi
	rm -f "$log"
}

# ---------------------------------------------------------------- images
# Prints the URI of this machine's apt mirror for bookworm (as scripts/test does).
debian_mirror() {
	local files=() f mirror=""
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] && files+=("$f")
	done
	if [ "${#files[@]}" -gt 0 ]; then
		mirror=$(awk -v suite=bookworm '
			/^[[:space:]]*deb[[:space:]]/ {
				i = 2
				if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == suite) { print $i; exit }
			}
			FNR == 1 || /^[[:space:]]*$/ { uris = ""; ok = 0 }
			/^URIs:/   { uris = $2 }
			/^Suites:/ { for (j = 2; j <= NF; j++) if ($j == suite) ok = 1 }
			ok && uris != "" { print uris; exit }
		' "${files[@]}")
	fi
	printf '%s\n' "${mirror:-http://deb.debian.org/debian}"
}

runtime_standin_is_current() {
	[ "$(docker image inspect -f "{{index .Config.Labels \"$RUNTIME_STANDIN_LABEL\"}}" \
		"$RUNTIME_STANDIN_IMAGE" 2>/dev/null)" = "$RUNTIME_STANDIN_RECIPE" ]
}

build_runtime_standin() {
	is_root || die "building $RUNTIME_STANDIN_IMAGE needs root (debootstrap); or set AUTOPILOT_RUNTIME_IMAGE"
	have debootstrap || apt_install debootstrap
	local mirror rootfs t=$SECONDS
	mirror=$(debian_mirror)
	rootfs=$(mktemp -d /var/tmp/debian-standin.XXXXXX)
	note "debootstrap --variant=minbase bookworm from $mirror (about a minute)"
	if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
		tail -n 30 "$rootfs.log" >&2
		rm -rf "$rootfs"
		die "debootstrap failed (full log: $rootfs.log)"
	fi
	rm -f "$rootfs.log"
	(
		cd "$rootfs" || exit # relative paths: never the host's /dev or /usr
		rm -rf var/cache/apt/archives/*.deb var/lib/apt/lists/* \
			usr/share/doc/* usr/share/man/* usr/share/locale/*/ dev/*
	)
	tar -C "$rootfs" --numeric-owner -c . | docker import \
		-c "LABEL $RUNTIME_STANDIN_LABEL=$RUNTIME_STANDIN_RECIPE" \
		-c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		-c 'CMD ["bash"]' \
		- "$RUNTIME_STANDIN_IMAGE" >/dev/null
	rm -rf "$rootfs"
	note "built in $((SECONDS - t))s"
}

ensure_runtime_image() {
	if [ -n "${AUTOPILOT_RUNTIME_IMAGE:-}" ]; then
		have_or_pull "$AUTOPILOT_RUNTIME_IMAGE" || die "cannot pull AUTOPILOT_RUNTIME_IMAGE=$AUTOPILOT_RUNTIME_IMAGE"
	elif image_exists "$DEFAULT_RUNTIME_IMAGE"; then
		AUTOPILOT_RUNTIME_IMAGE=$DEFAULT_RUNTIME_IMAGE
	elif runtime_standin_is_current; then
		# Reused rather than retrying the pull each time: keeps offline re-runs fast.
		AUTOPILOT_RUNTIME_IMAGE=$RUNTIME_STANDIN_IMAGE
	elif try_pull "$DEFAULT_RUNTIME_IMAGE"; then
		AUTOPILOT_RUNTIME_IMAGE=$DEFAULT_RUNTIME_IMAGE
	else
		note "cannot pull $DEFAULT_RUNTIME_IMAGE; building a stand-in"
		build_runtime_standin
		AUTOPILOT_RUNTIME_IMAGE=$RUNTIME_STANDIN_IMAGE
	fi
	step "runtime base image: $AUTOPILOT_RUNTIME_IMAGE"
	export AUTOPILOT_RUNTIME_IMAGE
}


# Either the Dockerfile compiles (official Rust image), or the host does and the
# image takes the binary through PREBUILT. The host build runs in the background
# while the base images are prepared (the stand-ins take a minute or two to build).
PREBUILT_MODE=
CARGO_PID=
CARGO_LOG=
start_build() {
	PREBUILT_MODE=${AUTOPILOT_SMOKE_PREBUILT:-auto}
	if [ "$PREBUILT_MODE" = auto ]; then
		if [ -n "${AUTOPILOT_RUST_IMAGE:-}" ] || have_or_pull "$DEFAULT_RUST_IMAGE"; then
			PREBUILT_MODE=0
		else
			note "cannot pull $DEFAULT_RUST_IMAGE; the binary is built on the host"
			PREBUILT_MODE=1
		fi
	fi
	[ "$PREBUILT_MODE" = 1 ] || return 0
	if [ -z "${CARGO_TARGET_DIR:-}" ] && mkdir -p /var/cache/autopilot-registry/target 2>/dev/null; then
		export CARGO_TARGET_DIR=/var/cache/autopilot-registry/target
	fi
	local profile_flag=--release
	[ "$PROFILE" = release ] || profile_flag=
	step "cargo build $profile_flag --locked (CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}; in the background)"
	CARGO_LOG=$(mktemp)
	# shellcheck disable=SC2086 # empty flag for the dev profile
	cargo build $profile_flag --locked >"$CARGO_LOG" 2>&1 &
	CARGO_PID=$!
}

finish_build() {
	if [ "$PREBUILT_MODE" != 1 ]; then
		export AUTOPILOT_RUST_IMAGE=${AUTOPILOT_RUST_IMAGE:-$DEFAULT_RUST_IMAGE}
		export AUTOPILOT_PREBUILT=
		step "builder: $AUTOPILOT_RUST_IMAGE (cargo build --release in the image)"
		return
	fi
	local t=$SECONDS dir=release
	[ "$PROFILE" = release ] || dir=debug
	step "waiting for cargo build"
	if ! wait "$CARGO_PID"; then
		CARGO_PID=
		tail -n 40 "$CARGO_LOG" >&2
		die "the host build failed (log: $CARGO_LOG)"
	fi
	CARGO_PID=
	note "$(grep Finished "$CARGO_LOG" | tail -n 1 | sed 's/^ *//') (waited $((SECONDS - t))s)"
	rm -f "$CARGO_LOG"
	mkdir -p "$PREBUILT_DIR"
	cp "${CARGO_TARGET_DIR:-target}/$dir/autopilot-registry" "$PREBUILT_DIR/autopilot-registry"
	# A dev build carries ~150 MB of debug info the image does not need.
	if [ "$PROFILE" != release ] && have strip; then
		strip --strip-debug "$PREBUILT_DIR/autopilot-registry"
	fi
	# Without a Rust image the builder stage only copies the file: any shell will do.
	export AUTOPILOT_RUST_IMAGE=$AUTOPILOT_RUNTIME_IMAGE
	export AUTOPILOT_PREBUILT=$PREBUILT_DIR/autopilot-registry
	step "builder: prebuilt host binary ($PROFILE profile) in $AUTOPILOT_RUST_IMAGE"
}

# Stops a host build still running (for the exit trap).
stop_build() {
	if [ -n "$CARGO_PID" ]; then
		kill "$CARGO_PID" 2>/dev/null
		wait "$CARGO_PID" 2>/dev/null
	fi
	CARGO_PID=
}

# build_image TAG COMMAND...: runs the build command (which tags TAG), showing its log only when it
# fails, and removes what each rebuild would otherwise leave behind: the previous TAG, untagged, and
# the untagged images of the other stages the classic builder builds (labelled
# autopilot-registry.stage by the Dockerfile).
build_image() {
	local tag=$1 previous log
	shift
	previous=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
	log=$(mktemp)
	"$@" >"$log" 2>&1 || { tail -n 40 "$log" >&2; die "image build failed (full log: $log)"; }
	rm -f "$log"
	if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "$tag")" ]; then
		docker image rm "$previous" >/dev/null 2>&1 || true
	fi
	docker image prune -f --filter label=autopilot-registry.stage >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------- talking to the service
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo 18080
}

# Waits until GET /readyz answers 200 from the host.
wait_ready() {
	local waited=0
	until curl -fsS -m 2 -o /dev/null "$BASE/readyz" 2>/dev/null; do
		[ "$waited" -lt "$READY_TIMEOUT_SECS" ] || die "the registry was not ready within ${READY_TIMEOUT_SECS}s"
		sleep 1
		waited=$((waited + 1))
	done
	note "ready after ${waited}s"
}

# wait_healthy CONTAINER: waits until Docker's HEALTHCHECK (bash /dev/tcp -> /readyz) says healthy.
wait_healthy() {
	local id=$1 status waited=0
	while :; do
		status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
		[ "$status" = healthy ] && break
		[ -n "$status" ] || die "the registry container has no HEALTHCHECK"
		[ "$waited" -lt "$READY_TIMEOUT_SECS" ] || die "the registry's HEALTHCHECK is '$status' after ${READY_TIMEOUT_SECS}s"
		sleep 1
		waited=$((waited + 1))
	done
	note "docker health: healthy after ${waited}s"
}

# http METHOD URL [curl args...]: prints the body to $BODY, echoes the status.
http() {
	local method=$1 url=$2
	shift 2
	curl -sS -m 10 -o "$BODY" -w '%{http_code}' -X "$method" "$url" "$@"
}

expect() {
	local what=$1 want=$2 got=$3
	if [ "$got" != "$want" ]; then
		echo "---- response body ----" >&2
		cat "$BODY" >&2
		echo >&2
		die "$what: expected HTTP $want, got $got"
	fi
	note "$what: $got"
}

# Compose must stop, naming the variable, when the secret is unset or empty: a

# create_device COLLECTION TOKEN SERIAL: POSTs a device, sets DEVICE_ID.
DEVICE_ID=
create_device() {
	local devices=$1 token=$2 serial=$3
	expect "POST $serial" 201 "$(http POST "$devices" -H "Authorization: Bearer $token" \
		-H 'content-type: application/json' \
		-d "{\"serialNumber\":\"$serial\",\"groupTag\":\"Smoke\",\"displayName\":\"$SMOKE_NAME\"}")"
	DEVICE_ID=$(sed -n 's/.*"id":"\([0-9a-fA-F-]\{36\}\)".*/\1/p' "$BODY")
	[ -n "$DEVICE_ID" ] || die "no id in the created device: $(cat "$BODY")"
	note "id $DEVICE_ID"
}

# read_device_back COLLECTION TOKEN SERIAL: GETs DEVICE_ID, which must have that serial number.
read_device_back() {
	local devices=$1 token=$2 serial=$3
	expect "GET $DEVICE_ID" 200 "$(http GET "$devices/$DEVICE_ID" -H "Authorization: Bearer $token")"
	grep -q "\"serialNumber\":\"$serial\"" "$BODY" || die "the device read back is not the one created: $(cat "$BODY")"
	note "serialNumber $serial survived the restart"
}
