#!/usr/bin/env bash
# The offline image path: how the project builds and runs its containers on a machine that reaches no
# image registry (this one, and CI). A user with a registry needs none of this: `docker compose up`.
#
#   infra/images.sh up        install docker.io/docker-compose/debootstrap if missing, start a private dockerd
#   infra/images.sh env       print `export DOCKER_HOST=...` for that dockerd
#   infra/images.sh base      build the stand-in base images under their official names (cached)
#   infra/images.sh build     build the project's images (worker, simulator, migrator) from the Dockerfile
#   infra/images.sh all       up + base + build
#   infra/images.sh status    exit 0 if the private dockerd is running
#   infra/images.sh down      stop the private dockerd (images stay in its data root)
#   infra/images.sh down --purge   also delete this checkout's .tmp/docker (the machine-wide caches stay)
#
# The private dockerd listens only on a unix socket in .tmp/docker (SESWORKER_DOCKER_DIR moves it) and runs with
# --iptables=false: containers reach each other on their own bridges and the host reaches them, but nothing routes
# them anywhere else. Its data root (images and build cache) is machine-wide, /var/cache/sesworker/docker
# (SESWORKER_DOCKER_DATA moves it), so a fresh clone (CI's) reuses the base images and the build's layers instead of
# making them again. One engine at a time may own a data root: the engine holds a lock on it while it runs, and a
# second checkout's engine started meanwhile falls back to a data root of its own in .tmp/docker/data (slower, never
# shared). Its own exec root and address pool (both derived from the checkout's path) keep two engines apart.
#
# Stand-ins, because base images cannot be pulled here:
#   debian:bookworm-slim                debootstrap --variant=minbase bookworm, imported
#   mcr.microsoft.com/dotnet/runtime    that rootfs + the .NET runtime installed on this machine
#   mcr.microsoft.com/dotnet/aspnet     the same + ASP.NET Core's shared framework
#   mcr.microsoft.com/dotnet/sdk        the same + this machine's SDK
#   postgres, rabbitmq (management)     Debian's packages with a small entrypoint that honours the
#                                       official images' variables (POSTGRES_*, RABBITMQ_DEFAULT_*)
# Their tags are the ones the Dockerfile and docker-compose.yml pin; the versions are this machine's.
set -euo pipefail
umask 022

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKER_DIR=${SESWORKER_DOCKER_DIR:-$REPO_ROOT/.tmp/docker}
SOCK="$DOCKER_DIR/docker.sock"
PIDFILE="$DOCKER_DIR/dockerd.pid"
LOGFILE="$DOCKER_DIR/dockerd.log"
# The debootstrapped rootfs is the slowest thing to make (minutes) and the same for every checkout on the machine:
# kept outside the repository, so a fresh clone (CI's) imports it instead of bootstrapping again.
ROOTFS_TAR=${SESWORKER_ROOTFS_CACHE:-/var/cache/sesworker/bookworm-minbase.tar}
SHARED_DATA_ROOT=${SESWORKER_DOCKER_DATA:-/var/cache/sesworker/docker}
# The checkout's own tag: exec root and address pool, so two checkouts' engines never share a socket or a subnet.
CHECKOUT_TAG=$(printf '%s' "$DOCKER_DIR" | md5sum | cut -c1-8)
COMPOSE_PROJECT=${COMPOSE_PROJECT_NAME:-sesworker}

# Tags pinned in the Dockerfile and docker-compose.yml. Keep them in step with those files.
DOTNET_SDK_TAG=10.0.401
DOTNET_RUNTIME_TAG=10.0.12
POSTGRES_IMAGE=postgres:15.20-bookworm
RABBITMQ_IMAGE=rabbitmq:3.10.8-management

log() { printf '[images] %s\n' "$*" >&2; }
die() { printf '[images] ERROR: %s\n' "$*" >&2; exit 1; }

# Debian's client (20.10) talks to Debian's dockerd without version negotiation surprises.
DOCKER=/usr/bin/docker
docker_() { "$DOCKER" -H "unix://$SOCK" "$@"; }

ensure_packages() {
    local missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    command -v docker-compose >/dev/null || missing+=(docker-compose)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    [[ -x $DOCKER ]] || missing+=(docker.io)
    if [[ ${#missing[@]} -gt 0 ]]; then
        [[ $EUID -eq 0 ]] || die "need root to apt-get install ${missing[*]}"
        log "installing ${missing[*]}"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# A /16 of 172.16.0.0/12 picked from the checkout's tag, skipping any that the host already routes.
address_pool() {
    local start=$((16#${CHECKOUT_TAG:0:2} % 16)) i octet
    for ((i = 0; i < 16; i++)); do
        octet=$((16 + (start + i) % 16))
        ip -4 route show 2>/dev/null | grep -q "^172\.$octet\." || { echo "172.$octet.0.0/16"; return; }
    done
    die "no free 172.16.0.0/12 subnet for the engine's networks; set SESWORKER_DOCKER_POOL"
}

daemon_running() { [[ -S $SOCK ]] && docker_ version >/dev/null 2>&1; }

cmd_up() {
    ensure_packages
    mkdir -p "$DOCKER_DIR"
    if daemon_running; then
        log "dockerd already running on $SOCK"
        return
    fi
    [[ $EUID -eq 0 ]] || die "dockerd needs root"
    # exec-root holds containerd's sockets: keep it short (unix socket paths are limited to 108 bytes).
    local exec_root="/run/sesworker-docker-$CHECKOUT_TAG"
    mkdir -p "$exec_root"
    # The machine-wide data root if no other engine holds it (flock: released when that dockerd exits), else our own.
    local data_root="$SHARED_DATA_ROOT" lock="$SHARED_DATA_ROOT.lock"
    mkdir -p "$(dirname "$SHARED_DATA_ROOT")"
    local guard=(flock --nonblock --conflict-exit-code 75 "$lock")
    if ! flock --nonblock "$lock" true; then
        data_root="$DOCKER_DIR/data"
        guard=()
        log "$SHARED_DATA_ROOT is in use by another engine: this one keeps its own data root (no shared cache)"
    fi
    local pool=${SESWORKER_DOCKER_POOL:-$(address_pool)}
    log "starting dockerd (data root $data_root, socket $SOCK, address pool $pool)"
    setsid "${guard[@]}" dockerd \
        --data-root "$data_root" \
        --exec-root "$exec_root" \
        -H "unix://$SOCK" \
        --pidfile "$PIDFILE" \
        --iptables=false \
        --ip-masq=false \
        --bridge=none \
        --default-address-pool "base=$pool,size=24" \
        >"$LOGFILE" 2>&1 </dev/null &
    local i
    for ((i = 0; i < 60; i++)); do
        daemon_running && { log "dockerd ready"; return; }
        sleep 1
    done
    tail -n 30 "$LOGFILE" >&2 || true
    die "dockerd did not start within 60 s (log: $LOGFILE)"
}

cmd_env() {
    printf 'export DOCKER_HOST=%q\n' "unix://$SOCK"
    printf 'export COMPOSE_PROJECT_NAME=%q\n' "$COMPOSE_PROJECT"
    # Testcontainers: no Ryuk (its image cannot be pulled); the tests clean up what they start.
    printf 'export TESTCONTAINERS_RYUK_DISABLED=true\n'
    # Debian's engine speaks API 1.41; newer clients (Testcontainers' included) ask for more unless told.
    printf 'export DOCKER_API_VERSION=1.41\n'
}

have_image() { docker_ image inspect "$1" >/dev/null 2>&1; }

build_rootfs() {
    [[ -s $ROOTFS_TAR ]] && return
    local dir="$DOCKER_DIR/rootfs"
    rm -rf "$dir"
    log "debootstrap --variant=minbase bookworm (first time only)"
    # libssl3 and ca-certificates: .NET's TLS (SslStream) and the trust store; tzdata for TimeZoneInfo.
    debootstrap --variant=minbase --include=libssl3,ca-certificates,tzdata,libicu72 \
        bookworm "$dir" http://deb.debian.org/debian >"$DOCKER_DIR/debootstrap.log" 2>&1 \
        || { tail -n 30 "$DOCKER_DIR/debootstrap.log" >&2; die "debootstrap failed"; }
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/archives/*.deb
    mkdir -p "$(dirname "$ROOTFS_TAR")"
    tar -C "$dir" -cf "$ROOTFS_TAR.partial" .
    mv "$ROOTFS_TAR.partial" "$ROOTFS_TAR"
    rm -rf "$dir"
}

# docker build with the host's network: apt inside the stand-ins' builds and `dotnet restore` inside the
# project's build stage reach the package mirrors that way (this dockerd gives bridges no route out).
build_() { docker_ build --network host --force-rm "$@"; }

cmd_base() {
    daemon_running || cmd_up
    if ! have_image debian:bookworm-slim; then
        build_rootfs
        log "importing debian:bookworm-slim"
        docker_ import --change 'CMD ["bash"]' "$ROOTFS_TAR" debian:bookworm-slim >/dev/null
    fi

    local dotnet_root
    dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
    [[ $(basename "$dotnet_root") == dotnet ]] || die "expected the .NET install in a directory named dotnet, found $dotnet_root"
    # The stand-ins are tagged with the versions the Dockerfile pins: they must be the versions copied into them.
    [[ -d $dotnet_root/sdk/$DOTNET_SDK_TAG && -d $dotnet_root/shared/Microsoft.AspNetCore.App/$DOTNET_RUNTIME_TAG ]] \
        || die "this machine's .NET is not SDK $DOTNET_SDK_TAG with runtime $DOTNET_RUNTIME_TAG (see \`dotnet --info\`); update the tags here and in the Dockerfile together"
    local ctx="$DOCKER_DIR/ctx"
    local flavour
    for flavour in runtime aspnet sdk; do
        local tag=$DOTNET_RUNTIME_TAG
        [[ $flavour == sdk ]] && tag=$DOTNET_SDK_TAG
        local image="mcr.microsoft.com/dotnet/$flavour:$tag"
        have_image "$image" && continue
        log "building $image from $dotnet_root"
        local excludes=()
        [[ $flavour != sdk ]] && excludes+=(--exclude=./dotnet/sdk --exclude=./dotnet/sdk-manifests --exclude=./dotnet/templates --exclude=./dotnet/packs)
        [[ $flavour == runtime ]] && excludes+=(--exclude=./dotnet/shared/Microsoft.AspNetCore.App)
        rm -rf "$ctx" && mkdir -p "$ctx"
        # The official images' contract: user `app` (uid 1654, $APP_UID), HTTP port 8080, DOTNET_RUNNING_IN_CONTAINER.
        cat >"$ctx/Dockerfile" <<EOF
FROM debian:bookworm-slim
ENV APP_UID=1654 ASPNETCORE_HTTP_PORTS=8080 DOTNET_RUNNING_IN_CONTAINER=true DOTNET_VERSION=$DOTNET_RUNTIME_TAG \
    DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_ROOT=/usr/share/dotnet
RUN groupadd --gid=1654 app && useradd --uid=1654 --gid=1654 --create-home app
COPY dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
EOF
        local extra_cas=()
        if [[ $flavour == sdk ]] && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
            # This machine reaches NuGet through a TLS-inspecting egress proxy whose CA is in its local trust
            # store; the build stage's `dotnet restore` needs the same trust. The runtime images get none of it.
            mkdir -p "$ctx/ca"
            cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/"
            printf 'COPY ca/ /usr/local/share/ca-certificates/\nRUN update-ca-certificates >/dev/null\n' >>"$ctx/Dockerfile"
            extra_cas=(ca)
        fi
        tar -C "$ctx" -c Dockerfile "${extra_cas[@]}" -C "$(dirname "$dotnet_root")" "${excludes[@]}" "./$(basename "$dotnet_root")" \
            | docker_ build -q -t "$image" - >/dev/null
    done

    if ! have_image "$POSTGRES_IMAGE"; then
        log "building $POSTGRES_IMAGE from Debian's postgresql-15"
        build_ -q -t "$POSTGRES_IMAGE" "$REPO_ROOT/infra/images/postgres" >/dev/null
    fi
    if ! have_image "$RABBITMQ_IMAGE"; then
        log "building $RABBITMQ_IMAGE from Debian's rabbitmq-server"
        build_ -q -t "$RABBITMQ_IMAGE" "$REPO_ROOT/infra/images/rabbitmq" >/dev/null
    fi
    log "base images ready"
}

cmd_build() {
    daemon_running || cmd_up
    local target
    for target in worker simulator migrator; do
        local start=$SECONDS
        build_ -q --target "$target" -t "sesworker/$target:local" "$REPO_ROOT" >/dev/null
        log "built sesworker/$target:local in $((SECONDS - start)) s ($(docker_ image inspect -f '{{.Size}}' "sesworker/$target:local" | awk '{printf "%.0f MB", $1/1e6}'))"
    done
}

cmd_down() {
    if [[ -f $PIDFILE ]]; then
        local pid
        pid=$(cat "$PIDFILE")
        if kill -0 "$pid" 2>/dev/null; then
            log "stopping dockerd ($pid)"
            kill "$pid"
            local i
            for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        fi
    fi
    if [[ ${1:-} == --purge ]]; then
        log "deleting $DOCKER_DIR"
        rm -rf "$DOCKER_DIR"
    fi
}

case ${1:-} in
    up) cmd_up ;;
    status) daemon_running ;;
    env) cmd_env ;;
    base) cmd_base ;;
    build) cmd_build ;;
    all) cmd_up; cmd_base; cmd_build ;;
    down) shift; cmd_down "$@" ;;
    *) sed -n '2,14p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
