#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for the tests (Debian's postgresql package):
#
#   scripts/postgres.sh start   # initdb (once) and start; idempotent
#   scripts/postgres.sh stop    # stop it (the data stays until `scripts/postgres.sh destroy`)
#   scripts/postgres.sh url     # prints MEZHVED_POSTGRES_URL=… and MEZHVED_POSTGRES_PASSWORD_FILE=… (export $(scripts/postgres.sh url))
#   scripts/postgres.sh destroy # stop and remove the data folder
#
# The server runs as an unprivileged user (postgres, which the package creates; as another user,
# that user), listens only on 127.0.0.1, port MEZHVED_POSTGRES_PORT (55432), data under
# MEZHVED_POSTGRES_DIR (/tmp/mezhved-postgres, 0700). The superuser `mezhved` logs in with
# SCRAM-SHA-256 and the password in $MEZHVED_POSTGRES_DIR/password (0600).
set -euo pipefail

readonly DIR="${MEZHVED_POSTGRES_DIR:-/tmp/mezhved-postgres}"
readonly PORT="${MEZHVED_POSTGRES_PORT:-55432}"
readonly DATA="$DIR/data"
readonly PASSWORD_FILE="$DIR/password"

bin_dir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$found" ] || [ ! -x "$found/initdb" ]; then
        echo "postgres.sh: no PostgreSQL server found under /usr/lib/postgresql (install the postgresql package: scripts/setup.sh)" >&2
        exit 5
    fi
    echo "$found"
}

# Runs a command as the server's user.
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$SERVER_USER" -- "$@"
    else
        "$@"
    fi
}

if [ "$(id -u)" -eq 0 ]; then
    SERVER_USER=postgres
    if ! id -u "$SERVER_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$SERVER_USER"
    fi
else
    SERVER_USER=$(id -un)
fi

BIN=$(bin_dir)

running() { [ -f "$DATA/postmaster.pid" ] && as_server "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

start() {
    if running; then
        echo "postgres.sh: already running on 127.0.0.1:$PORT ($DATA)"
        return
    fi
    if [ ! -f "$DATA/PG_VERSION" ]; then
        rm -rf "$DATA"
        mkdir -p "$DIR"
        chmod 0711 "$DIR"
        umask 077
        head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$PASSWORD_FILE"
        chmod 0600 "$PASSWORD_FILE"
        local pwfile="$DIR/initdb.pw"
        cp "$PASSWORD_FILE" "$pwfile"
        mkdir -p "$DATA" "$DIR/socket"
        if [ "$(id -u)" -eq 0 ]; then chown "$SERVER_USER" "$DATA" "$DIR/socket" "$pwfile"; fi
        chmod 0700 "$DATA" "$DIR/socket"
        as_server "$BIN/initdb" -D "$DATA" --username=mezhved --pwfile="$pwfile" --auth-host=scram-sha-256 \
            --auth-local=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
            { cat "$DIR/initdb.log" >&2; rm -f "$pwfile"; exit 1; }
        rm -f "$pwfile"
        cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR/socket'
max_connections = 300
shared_buffers = 64MB
CONF
    fi
    as_server "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start >/dev/null ||
        { tail -n 20 "$DATA/server.log" >&2; exit 1; }
    echo "postgres.sh: started on 127.0.0.1:$PORT ($DATA)"
}

stop() {
    if running; then
        as_server "$BIN/pg_ctl" -D "$DATA" -w -m fast stop >/dev/null
        echo "postgres.sh: stopped"
    else
        echo "postgres.sh: not running"
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
destroy)
    stop
    rm -rf "$DIR"
    ;;
url)
    echo "MEZHVED_POSTGRES_URL=postgres://mezhved@127.0.0.1:$PORT/postgres?sslmode=disable"
    echo "MEZHVED_POSTGRES_PASSWORD_FILE=$PASSWORD_FILE"
    ;;
*)
    echo "usage: scripts/postgres.sh start|stop|url|destroy" >&2
    exit 2
    ;;
esac
