#!/bin/sh
# Start Prometheus with the appliance's prometheus.yml, scraping the bot on 127.0.0.1 at
# BOT_METRICS_PORT (the file says 8000) and listening on 127.0.0.1:PROMETHEUS_PORT.  Extra
# arguments go to prometheus.
set -eu
bot=${BOT_METRICS_PORT:-8000}
web=${PROMETHEUS_PORT:-9090}
for port in "$bot" "$web"; do
    case $port in
        '' | *[!0-9]*) echo "prometheus-entrypoint: '$port' is not a port number" >&2; exit 2 ;;
    esac
done
conf=/tmp/prometheus
mkdir -p "$conf"
sed "s/\"127\.0\.0\.1:8000\"/\"127.0.0.1:$bot\"/" /etc/prometheus/prometheus.yml >"$conf/prometheus.yml"
grep -q "\"127.0.0.1:$bot\"" "$conf/prometheus.yml" || {
    echo "prometheus-entrypoint: no 127.0.0.1:8000 target in prometheus.yml to point at $bot" >&2
    exit 2
}
ln -sfn /etc/prometheus/rules "$conf/rules"
exec prometheus --config.file="$conf/prometheus.yml" \
    --storage.tsdb.path=/var/lib/prometheus/data \
    --web.listen-address="127.0.0.1:$web" \
    --web.console.libraries=/usr/share/prometheus/console_libraries \
    --web.console.templates=/usr/share/prometheus/consoles \
    "$@"
