#!/usr/bin/env bash
# Publish one SendEmail through the RabbitMQ management HTTP API: for producers that can only speak HTTP.
# usage: SESWORKER_RABBITMQ_MANAGEMENT=http://127.0.0.1:15672 publish.sh EMAIL_ID RECIPIENT
# The API answers {"routed":true} when the exchange delivered the message to a queue. The SendEmail JSON travels
# as a string ("payload"), so its quotes are escaped once more.
set -euo pipefail
email_id=$1 recipient=$2
api=${SESWORKER_RABBITMQ_MANAGEMENT:-http://127.0.0.1:15672}
payload="{\\\"emailId\\\":\\\"$email_id\\\",\\\"appId\\\":\\\"1250000000\\\",\\\"from\\\":\\\"noreply@example.com\\\",\\\"to\\\":[\\\"$recipient\\\"],\\\"subject\\\":\\\"Your order\\\",\\\"text\\\":\\\"Thank you.\\\"}"
curl -sS --fail -u "${SESWORKER_RABBITMQ_USER:-guest}:${SESWORKER_RABBITMQ_PASSWORD:-guest}" \
    -H 'content-type: application/json' \
    -X POST "$api/api/exchanges/%2F/send-email/publish" \
    --data "{\"properties\":{\"content_type\":\"application/json\",\"delivery_mode\":2},\"routing_key\":\"\",\"payload\":\"$payload\",\"payload_encoding\":\"string\"}"
echo
