#!/usr/bin/env bash
# The project's run command (see README): a complete local setup.
#
#   1. private PostgreSQL + RabbitMQ (infra/services.sh up)
#   2. Release build, EF migrations (SesWorker.Cli migrate)
#   3. SMTP simulator in the background on 127.0.0.1:2465, recording mail
#      to .tmp/run/mail
#   4. the worker in the foreground, configured for the simulator
#
# Ctrl+C stops the worker and the simulator; the services keep running
# (stop them with `infra/services.sh down`).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

RUN_DIR="$REPO_ROOT/.tmp/run"
BUILD_LOG="$REPO_ROOT/.tmp/build.log"
SIM_LOG="$RUN_DIR/simulator.log"
SIM_CERT="$RUN_DIR/simulator-cert.pem"
MAIL_DIR="$RUN_DIR/mail"
SECRETS_DIR="$RUN_DIR/secrets"

SMTP_PORT=2465
APP_ID=1000
SENDER=noreply@example.com
SENDER_PASSWORD=dev-password
SIM_START_TIMEOUT=60

export DOTNET_NOLOGO=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_ENVIRONMENT=Development

log() { printf '[run] %s\n' "$*" >&2; }
die() { printf '[run] ERROR: %s\n' "$*" >&2; exit 1; }

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

infra/services.sh up
eval "$(infra/services.sh env)"

mkdir -p "$RUN_DIR"
log "building SesWorker.sln (Release)"
if ! dotnet build SesWorker.sln -c Release >"$BUILD_LOG" 2>&1; then
    cat "$BUILD_LOG"
    die "build failed (log: $BUILD_LOG)"
fi

# --no-launch-profile everywhere: a launchSettings.json profile would
# otherwise override the environment set here.
cli() {
    dotnet run --no-build --no-launch-profile -c Release --project src/SesWorker.Cli -- "$@"
}

log "applying database migrations"
cli migrate

# ---------------------------------------------------------- simulator ---

if port_in_use "$SMTP_PORT"; then
    die "127.0.0.1:$SMTP_PORT is already in use (an earlier simulator still running?)"
fi

SIM_PID=""
# shellcheck disable=SC2317 # only invoked through the EXIT trap
stop_simulator() {
    [[ -n $SIM_PID ]] || return 0
    if kill -0 "$SIM_PID" 2>/dev/null; then
        log "stopping SMTP simulator"
        # It runs in its own process group (setsid): signal the whole group so
        # the app started by `dotnet run` goes too, not just the dotnet CLI.
        kill -TERM -- "-$SIM_PID" 2>/dev/null || kill -TERM "$SIM_PID" 2>/dev/null || true
        local _
        for _ in $(seq 1 50); do
            kill -0 "$SIM_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$SIM_PID" 2>/dev/null || true
    fi
    SIM_PID=""
}
trap stop_simulator EXIT
# Turn signals into a normal exit so the EXIT trap does the cleanup once.
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$MAIL_DIR"
rm -f "$SIM_CERT" # wait for the certificate of *this* run
log "starting SMTP simulator on 127.0.0.1:$SMTP_PORT (log: $SIM_LOG)"
setsid dotnet run --no-build --no-launch-profile -c Release --project src/SesWorker.SmtpSimulator -- \
    --port "$SMTP_PORT" \
    --certificate-out "$SIM_CERT" \
    --record-dir "$MAIL_DIR" \
    --account "$APP_ID:$SENDER:$SENDER_PASSWORD" \
    >"$SIM_LOG" 2>&1 </dev/null &
SIM_PID=$!

deadline=$((SECONDS + SIM_START_TIMEOUT))
until port_in_use "$SMTP_PORT" && [[ -s $SIM_CERT ]]; do
    if ! kill -0 "$SIM_PID" 2>/dev/null; then
        tail -n 40 "$SIM_LOG" >&2 || true
        SIM_PID=""
        die "SMTP simulator exited during startup"
    fi
    if ((SECONDS >= deadline)); then
        tail -n 40 "$SIM_LOG" >&2 || true
        die "SMTP simulator not listening on 127.0.0.1:$SMTP_PORT after ${SIM_START_TIMEOUT}s"
    fi
    sleep 0.5
done
log "SMTP simulator ready"

# The worker reads sender passwords from files, never from configuration.
mkdir -p "$SECRETS_DIR"
chmod 700 "$SECRETS_DIR"
(umask 077 && printf '%s' "$SENDER_PASSWORD" >"$SECRETS_DIR/$SENDER")
chmod 600 "$SECRETS_DIR/$SENDER"

# ------------------------------------------------------------- worker ---

cat >&2 <<EOF

==================================================================
 SesWorker is starting (Ctrl+C to stop worker + simulator).
 In another terminal, from $REPO_ROOT:

   eval "\$(infra/services.sh env)"

 Publish a test message:
   dotnet run --no-build -c Release --project src/SesWorker.Cli -- \\
     publish --app-id $APP_ID --from $SENDER --to someone@example.org \\
     --subject Hello --text "Hi"

 Received mail:   ls $MAIL_DIR
 Simulator log:   $SIM_LOG
 Send history:
   dotnet run --no-build -c Release --project src/SesWorker.Cli -- history
   psql "host=127.0.0.1 port=55432 user=postgres dbname=sesworker" \\
     -c 'select * from email_messages order by created_at desc limit 20'

 Services stay up afterwards; stop them with: infra/services.sh down
==================================================================

EOF

worker_rc=0
env \
    Ses__Accounts__0__AppId="$APP_ID" \
    Ses__Accounts__0__Host=127.0.0.1 \
    Ses__Accounts__0__Port="$SMTP_PORT" \
    Ses__Accounts__0__Senders__0__Address="$SENDER" \
    Ses__Accounts__0__Senders__0__PasswordFile="$SECRETS_DIR/$SENDER" \
    Ses__Smtp__TrustedCertificateFile="$SIM_CERT" \
    dotnet run --no-build --no-launch-profile -c Release --project src/SesWorker.Worker ||
    worker_rc=$?
exit "$worker_rc"
