#!/usr/bin/env bash
# Private PostgreSQL + RabbitMQ for tests and local runs.
#
#   infra/services.sh up            install (if needed) and start both, idempotent
#   infra/services.sh env           print `export` lines with connection strings
#   infra/services.sh vhost NAME    create a RabbitMQ vhost with full rights for guest, idempotent
#   infra/services.sh pg-stop|pg-start   stop or start PostgreSQL alone (the outage test uses it)
#   infra/services.sh pg-freeze|pg-thaw  SIGSTOP / SIGCONT every process of this PostgreSQL (the freeze test)
#   infra/services.sh rmq-stop|rmq-start RabbitMQ's application stopped or started on its node (the broker restart test)
#   infra/services.sh down          stop both, keep data
#   infra/services.sh down --purge  stop both and delete .tmp/services
#
# Both servers run from data directories under .tmp/services/ on 127.0.0.1 with
# non-default ports, so they never depend on (or clash with) a system-wide
# postgresql/rabbitmq service that apt's postinst may have started.
set -euo pipefail

# Directories we create must be traversable by the service users.
umask 022

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPT_PATH="$REPO_ROOT/infra/services.sh"
SERVICES_LINK="$REPO_ROOT/.tmp/services"

# Ports and node name can be moved (SESWORKER_PG_PORT, SESWORKER_RMQ_PORT,
# SESWORKER_RMQ_NODE) so two checkouts on one machine each run their own services.
PG_PORT=${SESWORKER_PG_PORT:-55432}
PG_USER=postgres
PG_PASSWORD=postgres
PG_APP_DB=sesworker

RMQ_PORT=${SESWORKER_RMQ_PORT:-56720}
# Must be set explicitly: the default (AMQP port + 20000) would be > 65535.
RMQ_DIST_PORT=$((RMQ_PORT + 1))
RMQ_NODE=${SESWORKER_RMQ_NODE:-sesworker@localhost}
# The management plugin's HTTP API (the curl producer example publishes through it).
RMQ_MGMT_PORT=${SESWORKER_RMQ_MGMT_PORT:-$((RMQ_PORT + 2))}
RMQ_BIN=/usr/lib/rabbitmq/bin

PG_START_TIMEOUT=60
RMQ_START_TIMEOUT=120

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# Print the tail of a log file to stderr (used on failures).
show_log() {
    local file=$1
    if [[ -f $file ]]; then
        printf '[services] ---- last lines of %s ----\n' "$file" >&2
        tail -n 40 "$file" >&2 || true
        printf '[services] ----\n' >&2
    else
        log "(no log file at $file)"
    fi
}

is_root() { [[ $EUID -eq 0 ]]; }

# True if something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Run a command as a service user when we are root (CI). As a normal user
# (developer machine) everything simply runs as that user.
as_user() {
    local user=$1
    shift
    if is_root; then
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}

# Give a directory tree to a service user (no-op when not root).
own_dir() {
    local user=$1 dir=$2
    if is_root; then
        chown -R "$user:$user" "$dir"
    fi
}

# ---------------------------------------------------------------- install ---

pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

ensure_packages() {
    local missing=() pkg
    # python3-pika: the Python producer example, which a test runs. python3-aiosmtpd: the provider that shares no code
    # with the worker (tests/SesWorker.IntegrationTests/Independent).
    for pkg in rabbitmq-server postgresql python3-pika python3-aiosmtpd; do
        pkg_installed "$pkg" || missing+=("$pkg")
    done
    # node and npm: the Node producer example, which a test runs. Asked of the commands, not of dpkg: a Node.js from
    # elsewhere (NodeSource's package carries its own npm) serves, and Debian's npm would conflict with it.
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        missing+=(nodejs npm)
    fi
    if [[ ${#missing[@]} -eq 0 ]]; then
        return 0
    fi

    local sudo=()
    if ! is_root; then
        command -v sudo >/dev/null || die "missing packages (${missing[*]}) and not root; install them manually"
        sudo=(sudo)
    fi

    log "installing ${missing[*]} (apt-get)"
    # Only refresh the package lists when apt does not know a package yet
    # (fresh images have empty lists); a stale list is handled by the retry.
    local need_update=0
    for pkg in "${missing[@]}"; do
        apt-cache show "$pkg" >/dev/null 2>&1 || need_update=1
    done
    if [[ $need_update -eq 1 ]]; then
        "${sudo[@]}" apt-get update -q
    fi
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; then
        log "apt-get install failed; refreshing package lists and retrying once"
        "${sudo[@]}" apt-get update -q
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    fi
}

# ------------------------------------------------------------------ paths ---

# Resolve (and on first use create) the services directory.
#
# Normally it is a plain directory in the repo. When the service users cannot
# reach the repo (e.g. a checkout under /root, mode 700) or the PostgreSQL
# unix socket path would exceed the ~107 byte limit, the real directory lives
# under /var/tmp and .tmp/services is a symlink to it.
resolve_services_dir() {
    local create=$1
    if [[ ! -e $SERVICES_LINK && ! -L $SERVICES_LINK ]]; then
        [[ $create == yes ]] || { SERVICES_DIR=""; return 0; }
        mkdir -p "$REPO_ROOT/.tmp"
        local relocate=0
        local sock="$SERVICES_LINK/pg/.s.PGSQL.$PG_PORT"
        if [[ ${#sock} -gt 100 ]]; then
            relocate=1
        elif is_root; then
            local user
            for user in postgres rabbitmq; do
                runuser -u "$user" -- test -x "$REPO_ROOT/.tmp" 2>/dev/null || relocate=1
            done
        fi
        if [[ $relocate -eq 1 ]]; then
            local hash target
            hash=$(printf '%s' "$REPO_ROOT" | sha1sum | cut -c1-12)
            target="/var/tmp/sesworker-services-$hash"
            log "repo path not usable by service users; using $target (symlinked from .tmp/services)"
            mkdir -p "$target"
            chmod 755 "$target"
            ln -s "$target" "$SERVICES_LINK"
        else
            mkdir -p "$SERVICES_LINK"
            chmod 755 "$SERVICES_LINK"
        fi
    fi
    SERVICES_DIR=$(readlink -f "$SERVICES_LINK")
}

set_paths() {
    PG_DIR="$SERVICES_DIR/pg"
    PG_DATA="$PG_DIR/data"
    PG_LOG="$PG_DIR/postgres.log"
    RMQ_DIR="$SERVICES_DIR/rabbitmq"
    RMQ_LOG_DIR="$RMQ_DIR/log"
    RMQ_STARTUP_LOG="$RMQ_LOG_DIR/startup.log"
    RMQ_LOG="$RMQ_LOG_DIR/rabbit.log"
    RMQ_PID_FILE="$RMQ_DIR/rabbitmq.pid"
}

pg_bindir() {
    local dir=""
    if command -v pg_config >/dev/null; then
        dir=$(pg_config --bindir 2>/dev/null || true)
    fi
    [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]] ||
        die "could not find initdb/pg_ctl via 'pg_config --bindir' (got '$dir')"
    printf '%s\n' "$dir"
}

# -------------------------------------------------------------- postgres ---

pg_running() {
    [[ -f $PG_DATA/PG_VERSION ]] && as_user postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

pg_psql() {
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$@"
}

pg_init() {
    mkdir -p "$PG_DIR"
    own_dir postgres "$PG_DIR"
    chmod 700 "$PG_DIR"
    log "postgres: initdb in $PG_DATA"
    local locale_opt=(--no-locale)
    # C.UTF-8 gives sane upper()/lower() for non-ASCII text while staying
    # independent from the machine's configured locales.
    if locale -a 2>/dev/null | grep -qix 'c.utf-\?8'; then
        locale_opt=(--locale=C.UTF-8)
    fi
    if ! as_user postgres "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" --auth=trust \
        --encoding=UTF8 "${locale_opt[@]}" >"$PG_DIR/initdb.log" 2>&1; then
        show_log "$PG_DIR/initdb.log"
        die "postgres: initdb failed"
    fi
    # Throw-away dev/test cluster: durability is traded for speed.
    as_user postgres tee -a "$PG_DATA/postgresql.conf" >/dev/null <<EOF

# ---- added by infra/services.sh ----
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

pg_up() {
    PG_BIN=$(pg_bindir)
    if pg_running; then
        log "postgres: already running (127.0.0.1:$PG_PORT, data $PG_DATA)"
    else
        if port_in_use "$PG_PORT"; then
            die "postgres: port $PG_PORT is already used by another process"
        fi
        [[ -f $PG_DATA/PG_VERSION ]] || pg_init
        log "postgres: starting on 127.0.0.1:$PG_PORT"
        # pg_ctl -w waits until the server accepts connections (or fails).
        if ! as_user postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$PG_START_TIMEOUT" start >/dev/null; then
            show_log "$PG_LOG"
            die "postgres: failed to start (port $PG_PORT busy?)"
        fi
    fi

    local deadline=$((SECONDS + PG_START_TIMEOUT))
    until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER"; do
        if ((SECONDS >= deadline)); then
            show_log "$PG_LOG"
            die "postgres: not ready after ${PG_START_TIMEOUT}s"
        fi
        sleep 0.5
    done

    # Password is irrelevant under trust auth, but set it so the documented
    # connection strings keep working if auth is ever tightened.
    pg_psql -d postgres -c "ALTER USER $PG_USER PASSWORD '$PG_PASSWORD'"
    if [[ -z $(pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_APP_DB'") ]]; then
        log "postgres: creating database $PG_APP_DB"
        pg_psql -d postgres -c "CREATE DATABASE $PG_APP_DB"
    fi
    log "postgres: ready"
}

pg_down() {
    [[ -n $SERVICES_DIR && -f $PG_DATA/PG_VERSION ]] || { log "postgres: nothing to stop"; return 0; }
    PG_BIN=$(pg_bindir)
    if pg_running; then
        log "postgres: stopping"
        as_user postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
    else
        log "postgres: not running"
    fi
}

# -------------------------------------------------------------- rabbitmq ---

# Everything that makes this node independent of /etc/rabbitmq and
# /var/lib/rabbitmq. HOME holds the erlang cookie, so server and CLI must
# always get the same HOME (and run as the same user) to talk to each other.
rmq_env() {
    RMQ_ENV=(
        HOME="$RMQ_DIR/home"
        RABBITMQ_NODENAME="$RMQ_NODE"
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
        RABBITMQ_NODE_PORT="$RMQ_PORT"
        RABBITMQ_DIST_PORT="$RMQ_DIST_PORT"
        RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
        RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
        RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
        RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
        RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
        RABBITMQ_LOG_BASE="$RMQ_LOG_DIR"
        RABBITMQ_LOGS="$RMQ_LOG"
        RABBITMQ_PID_FILE="$RMQ_PID_FILE"
        # An epmd auto-started by us only listens on loopback.
        ERL_EPMD_ADDRESS=127.0.0.1
    )
}

# Call the real CLI scripts, not the /usr/sbin wrappers: those cd to
# /var/lib/rabbitmq, su to rabbitmq and reset the environment.
rmq_ctl() {
    as_user rabbitmq env "${RMQ_ENV[@]}" "$RMQ_BIN/rabbitmqctl" -n "$RMQ_NODE" "$@"
}

# The node answers (its app may be stopped: rmq-stop). `ping`, not `status`: on 2026-11-28 a node with 430 quorum
# queues answered everything but `status`, which timed out after 60 s, so `up` took it for someone else's process on
# the port and `down` left it running.
rmq_running() {
    [[ -d $RMQ_DIR/home ]] && rmq_ctl -q -t 10 ping >/dev/null 2>&1
}

# Starts the node's app (nothing to do if it runs) and waits until it serves.
rmq_start_app() {
    rmq_ctl -q start_app >/dev/null && rmq_ctl -q -t 60 await_startup >/dev/null
}

rmq_server_pid_alive() {
    local pid
    [[ -f $RMQ_DIR/launcher.pid ]] || return 1
    pid=$(<"$RMQ_DIR/launcher.pid")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

rmq_init() {
    mkdir -p "$RMQ_DIR/home" "$RMQ_DIR/mnesia" "$RMQ_LOG_DIR"
    : >"$RMQ_DIR/rabbitmq-env.conf"
    # The management plugin only for its HTTP API (producers that can only speak HTTP, the curl example).
    printf '[rabbitmq_management].\n' >"$RMQ_DIR/enabled_plugins"
    cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$RMQ_PORT
# guest/guest only works over loopback, which is all we use.
default_user = guest
default_pass = guest
loopback_users.guest = true
log.console = false
log.file.level = info
disk_free_limit.absolute = 50MB
management.tcp.ip = 127.0.0.1
management.tcp.port = $RMQ_MGMT_PORT
EOF
    # Keep Erlang distribution (node <-> rabbitmqctl) on loopback too.
    printf '[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}].\n' >"$RMQ_DIR/advanced.config"
    if [[ ! -f $RMQ_DIR/home/.erlang.cookie ]]; then
        # Own cookie, written before first use so server and CLI agree.
        head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RMQ_DIR/home/.erlang.cookie"
        chmod 400 "$RMQ_DIR/home/.erlang.cookie"
    fi
    own_dir rabbitmq "$RMQ_DIR"
}

rmq_up() {
    [[ -x $RMQ_BIN/rabbitmq-server ]] || die "rabbitmq: $RMQ_BIN/rabbitmq-server not found"
    rmq_env
    if rmq_running; then
        # Also starts an app that rmq-stop left stopped.
        rmq_start_app || die "rabbitmq: node $RMQ_NODE answers but its app does not start"
        log "rabbitmq: already running (node $RMQ_NODE, amqp 127.0.0.1:$RMQ_PORT)"
        return 0
    fi
    local port
    for port in "$RMQ_PORT" "$RMQ_DIST_PORT" "$RMQ_MGMT_PORT"; do
        if port_in_use "$port"; then
            die "rabbitmq: port $port is already used by another process"
        fi
    done
    rmq_init
    log "rabbitmq: starting node $RMQ_NODE on 127.0.0.1:$RMQ_PORT (dist port $RMQ_DIST_PORT, management http $RMQ_MGMT_PORT)"
    # setsid: detach from our terminal/session so the node outlives this
    # script and is not hit by Ctrl+C or a terminal hangup.
    local as_rabbitmq=()
    if is_root; then
        as_rabbitmq=(runuser -u rabbitmq --)
    fi
    setsid nohup "${as_rabbitmq[@]}" env "${RMQ_ENV[@]}" "$RMQ_BIN/rabbitmq-server" \
        >>"$RMQ_STARTUP_LOG" 2>&1 </dev/null &
    echo $! >"$RMQ_DIR/launcher.pid"

    # await_startup fails fast while the node is not reachable yet, so retry
    # it until the deadline, bailing out early if the server process died.
    local deadline=$((SECONDS + RMQ_START_TIMEOUT))
    until rmq_ctl -q -t 30 await_startup >/dev/null 2>&1; do
        if ! rmq_server_pid_alive; then
            show_log "$RMQ_STARTUP_LOG"
            show_log "$RMQ_LOG"
            die "rabbitmq: server process exited during startup"
        fi
        if ((SECONDS >= deadline)); then
            show_log "$RMQ_STARTUP_LOG"
            show_log "$RMQ_LOG"
            die "rabbitmq: not started after ${RMQ_START_TIMEOUT}s"
        fi
        sleep 1
    done
    log "rabbitmq: ready"
}

rmq_down() {
    [[ -n $SERVICES_DIR && -d $RMQ_DIR/home ]] || { log "rabbitmq: nothing to stop"; return 0; }
    rmq_env
    if rmq_running; then
        log "rabbitmq: stopping"
        # With the pid file, `stop` waits until the OS process has exited. A wedged node does not stop: after a
        # minute it is killed, so that the next run (CI on a fresh clone) finds the ports free.
        if ! rmq_ctl -q -t 60 stop "$RMQ_PID_FILE" >/dev/null 2>&1; then
            log "rabbitmq: did not stop within 60s; killing it"
            [[ -f $RMQ_PID_FILE ]] && kill -9 "$(<"$RMQ_PID_FILE")" 2>/dev/null || true
        fi
    else
        log "rabbitmq: not running"
    fi
}

# Test runs that share the broker each take a vhost of their own, so their
# queues (and the fixture's purges) never meet. add_vhost fails on an existing
# vhost, hence the lookup (again after a failure: a concurrent run may have
# won the race); set_permissions simply overwrites.
rmq_vhost_exists() {
    rmq_ctl -q list_vhosts --no-table-headers name | grep -Fxq -- "$1"
}

rmq_vhost() {
    local vhost=$1
    resolve_services_dir no
    [[ -n $SERVICES_DIR ]] || die "rabbitmq: not set up (run: $0 up)"
    set_paths
    rmq_env
    rmq_running || die "rabbitmq: not running (run: $0 up)"
    if ! rmq_vhost_exists "$vhost"; then
        rmq_ctl -q add_vhost "$vhost" >/dev/null || rmq_vhost_exists "$vhost" ||
            die "rabbitmq: could not create vhost $vhost"
    fi
    rmq_ctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
}

# ------------------------------------------------------------------- main ---

print_env() {
    local pg="Host=127.0.0.1;Port=$PG_PORT;Username=$PG_USER;Password=$PG_PASSWORD"
    local amqp="amqp://guest:guest@127.0.0.1:$RMQ_PORT/"
    printf "export SESWORKER_TEST_POSTGRES='%s;Database=postgres'\n" "$pg"
    printf "export SESWORKER_TEST_RABBITMQ='%s'\n" "$amqp"
    printf "export ConnectionStrings__Postgres='%s;Database=%s'\n" "$pg" "$PG_APP_DB"
    printf "export ConnectionStrings__RabbitMq='%s'\n" "$amqp"
    printf "export SESWORKER_TEST_POSTGRES_CONTROL='%s'\n" "$SCRIPT_PATH"
    printf "export SESWORKER_RABBITMQ_MANAGEMENT='http://127.0.0.1:%s'\n" "$RMQ_MGMT_PORT"
    # The producer examples' broker (README, "Publishing from any language").
    printf "export SESWORKER_AMQP='%s'\n" "$amqp"
}

usage() {
    echo "usage: $0 up | env | vhost NAME | pg-stop | pg-start | pg-freeze | pg-thaw | rmq-stop | rmq-start | down [--purge]" >&2
    exit 2
}

main() {
    [[ $# -ge 1 ]] || usage
    # All paths are absolute; a neutral cwd avoids "permission denied" noise
    # (and Erlang code-path lookups) when the service users cannot read ours.
    cd /
    local cmd=$1
    shift
    case $cmd in
    up)
        [[ $# -eq 0 ]] || usage
        local start=$SECONDS
        ensure_packages
        resolve_services_dir yes
        set_paths
        log "state directory: $SERVICES_DIR"
        pg_up
        rmq_up
        log "all services up in $((SECONDS - start))s; use: eval \"\$($0 env)\""
        ;;
    env)
        [[ $# -eq 0 ]] || usage
        print_env
        ;;
    vhost)
        [[ $# -eq 1 && -n $1 ]] || usage
        rmq_vhost "$1"
        ;;
    pg-stop | pg-start)
        # For the outage test: PostgreSQL goes away mid-run and comes back.
        [[ $# -eq 0 ]] || usage
        resolve_services_dir no
        [[ -n $SERVICES_DIR ]] || die "services are not set up; run '$0 up' first"
        set_paths
        if [[ $cmd == pg-stop ]]; then pg_down; else pg_up; fi
        ;;
    pg-freeze | pg-thaw)
        # For the freeze test: the server hangs (connections stay open, nothing answers) and then resumes.
        # Only this instance: the postmaster of our data directory and its children.
        [[ $# -eq 0 ]] || usage
        resolve_services_dir no
        [[ -n $SERVICES_DIR ]] || die "services are not set up; run '$0 up' first"
        set_paths
        [[ -f $PG_DATA/postmaster.pid ]] || die "postgres is not running"
        postmaster=$(head -n 1 "$PG_DATA/postmaster.pid")
        signal=STOP
        [[ $cmd == pg-thaw ]] && signal=CONT
        # Children first on freeze (none can be forked meanwhile: the postmaster forks), the postmaster first on thaw.
        if [[ $signal == STOP ]]; then
            pkill -STOP -P "$postmaster" || true
            kill -STOP "$postmaster"
        else
            kill -CONT "$postmaster"
            pkill -CONT -P "$postmaster" || true
        fi
        ;;
    rmq-stop | rmq-start)
        # For the broker restart test: RabbitMQ's application stops (listeners closed, every connection dropped, as
        # in a restart) and starts again on the same node, its queues' messages kept.
        [[ $# -eq 0 ]] || usage
        resolve_services_dir no
        [[ -n $SERVICES_DIR ]] || die "services are not set up; run '$0 up' first"
        set_paths
        rmq_env
        if [[ $cmd == rmq-stop ]]; then
            rmq_ctl -q stop_app >/dev/null
        else
            rmq_start_app
        fi
        ;;
    down)
        local purge=0
        if [[ $# -eq 1 && $1 == --purge ]]; then
            purge=1
        elif [[ $# -ne 0 ]]; then
            usage
        fi
        resolve_services_dir no
        if [[ -n $SERVICES_DIR ]]; then
            set_paths
            pg_down
            rmq_down
        else
            log "nothing to stop (no $SERVICES_LINK)"
        fi
        if [[ $purge -eq 1 ]]; then
            log "purging $SERVICES_LINK"
            if [[ -L $SERVICES_LINK ]]; then
                rm -rf "$SERVICES_DIR"
            fi
            rm -rf "$SERVICES_LINK"
        fi
        ;;
    *) usage ;;
    esac
}

main "$@"
