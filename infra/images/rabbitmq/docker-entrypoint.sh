#!/usr/bin/env bash
# The subset of the official image's entrypoint that this project uses: the default user from
# RABBITMQ_DEFAULT_USER/PASS (allowed from other hosts, as in the official image), then the server as `rabbitmq`.
set -euo pipefail
if [[ $(id -u) == 0 ]]; then
    chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$0" "$@"
fi
{
    echo "loopback_users = none"
    echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
    echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
    echo "listeners.tcp.default = 5672"
    echo "management.tcp.port = 15672"
} >/etc/rabbitmq/rabbitmq.conf
exec "$@"
