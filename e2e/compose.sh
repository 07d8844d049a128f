#!/usr/bin/env bash
# `make e2e-compose`: the docker-compose stack for real, through podman's Docker API
# (../shared/reference/containers.md): build the images, `docker-compose up`, wait until
# Prometheus scrapes the bot with up=1 and the bot has traded the simulator (fills > 0, read
# from Prometheus), run the image's HEALTHCHECK, stop the bot (it must flatten and exit 0), then
# `docker-compose down -v`.  Everything it starts is stopped on any exit (trap).  Needs root
# (apt-get, podman); installs podman, runc, docker-compose and debootstrap when missing.
# Measured here: cold (no base image, no build cache: QuickFIX compiles) 19 min; warm 46 s.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
T0=$(date +%s)
say() { printf 'e2e-compose [%4ds] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { say "FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (apt-get, podman's storage); run it as root or in CI"

missing=()
for tool in podman:podman runc:runc docker-compose:docker-compose debootstrap:debootstrap; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (apt-get)"
    apt_install() {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
            --no-install-recommends "$@" >/dev/null
    }
    apt_install "${missing[@]}" || { apt-get update -q >/dev/null && apt_install "${missing[@]}"; } \
        || die "apt-get install ${missing[*]} failed"
fi

WORK=$(mktemp -d /tmp/topstep-compose.XXXXXX)
PROJECT="topstepq-e2e-$$"
export CONTAINERS_CONF="$ROOT/e2e/containers.conf"
export DOCKER_HOST="unix://$WORK/podman.sock"
export COMPOSE_PROJECT_NAME=$PROJECT
SERVICE_PID=
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -S "$WORK/podman.sock" ]; then
        if [ $rc -ne 0 ]; then
            say "logs of the stack (last lines of each service):"
            docker-compose logs --no-color --tail=25 2>&1 | sed 's/^/    /' || true
        fi
        docker-compose down -v --remove-orphans -t 30 >"$WORK/down.log" 2>&1 \
            || { say "docker-compose down failed:"; tail -5 "$WORK/down.log"; }
    fi
    if [ -n "$SERVICE_PID" ]; then
        kill "$SERVICE_PID" 2>/dev/null || true
        wait "$SERVICE_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    say "done (exit $rc)"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

podman system service --time=0 "$DOCKER_HOST" >"$WORK/podman.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 100); do [ -S "$WORK/podman.sock" ] && break; sleep 0.1; done
[ -S "$WORK/podman.sock" ] || die "podman's API service did not start: $(tail -3 "$WORK/podman.log")"

t=$(date +%s)
e2e/base-image.sh
BASE_S=$(( $(date +%s) - t ))

read -r FIX_PORT METRICS_PORT PROMETHEUS_PORT < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)
export FIX_PORT METRICS_PORT PROMETHEUS_PORT
say "ports: FIX $FIX_PORT, bot metrics $METRICS_PORT, Prometheus $PROMETHEUS_PORT; project $PROJECT"

say "building the images (cold: QuickFIX compiles, 10-17 minutes on 2 cores; log: $WORK/build.log)"
t=$(date +%s)
docker-compose build >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; die "docker-compose build"; }
BUILD_S=$(( $(date +%s) - t ))
say "images built in ${BUILD_S} s"

t=$(date +%s)
docker-compose up -d >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; die "docker-compose up"; }

prom() {  # one instant query's first value, empty when none
    python3 - "$PROMETHEUS_PORT" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
port, expr = sys.argv[1], sys.argv[2]
url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
try:
    with urllib.request.urlopen(url, timeout=3) as answer:
        result = json.load(answer)["data"]["result"]
except (OSError, ValueError, KeyError):
    sys.exit(0)
print(result[0]["value"][1] if result else "")
PY
}
wait_for() {  # wait_for SECONDS WHAT EXPR: until the query returns a value > 0
    local limit=$1 what=$2 expr=$3 deadline=$(( $(date +%s) + $1 )) value
    while :; do
        value=$(prom "$expr")
        if [ -n "$value" ] && python3 -c "import sys; sys.exit(not float('$value') > 0)"; then
            say "$what: $expr = $value"
            return 0
        fi
        [ "$(date +%s)" -lt "$deadline" ] || die "no $what within $limit s ($expr = '${value:-none}')"
        sleep 2
    done
}
wait_for 90 "Prometheus scraping the bot" 'up{job="topstep-quant"} == 1'
wait_for 120 "a fill of the bot at the simulator" 'sum(topstep_fills_total)'
READY_S=$(( $(date +%s) - t ))
loaded=$(python3 - "$PROMETHEUS_PORT" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/rules", timeout=3) as a:
    groups = json.load(a)["data"]["groups"]
print(sum(len(g["rules"]) for g in groups))
PY
)
want=$(grep -c '^ *- alert:' deploy/prometheus/rules/*.rules.yml | awk -F: '{s += $NF} END {print s}')
[ "$loaded" = "$want" ] || die "Prometheus loaded $loaded alert rules, the rule files have $want"
say "Prometheus loaded all $loaded alert rules"

BOT=$(docker-compose ps -q bot)
podman healthcheck run "$BOT" >"$WORK/health.log" 2>&1 \
    || die "the image's HEALTHCHECK failed in the bot container: $(cat "$WORK/health.log")"
say "the image's HEALTHCHECK passes in the bot container"

say "stopping the bot (SIGTERM: flatten, confirm flat at the venue)"
docker-compose stop -t 40 bot >/dev/null 2>&1
code=$(podman inspect --format '{{.State.ExitCode}}' "$BOT")
docker-compose logs --no-color bot >"$WORK/bot.log" 2>&1 || true
[ "$code" = 0 ] || die "the bot exited $code on SIGTERM: $(tail -5 "$WORK/bot.log")"
grep -q "flat at the venue: yes" "$WORK/bot.log" || die "the bot's summary does not say flat at the venue"
say "the bot exited 0, flat at the venue"
say "measured: base image ${BASE_S} s, build ${BUILD_S} s, up to scraped and trading ${READY_S} s, total $(( $(date +%s) - T0 )) s"
