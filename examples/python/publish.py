#!/usr/bin/env python3
"""Publish one SendEmail to SesWorker with pika (Debian: apt-get install python3-pika).

usage: SESWORKER_AMQP=amqp://guest:guest@127.0.0.1:5672/ publish.py EMAIL_ID RECIPIENT
"""
import json
import os
import sys

import pika

email_id, recipient = sys.argv[1], sys.argv[2]
message = {
    "emailId": email_id,                      # a GUID, or your own key such as "order-42"
    "appId": 1250000000,                      # a number or a string
    "from": "Shop <noreply@example.com>",     # "a@b", "Name <a@b>" or {"address": ..., "name": ...}
    "to": [recipient],
    "subject": "Your order",
    "text": "Thank you for your order.",
    "metadata": {"orderId": "42"},
}

connection = pika.BlockingConnection(pika.URLParameters(os.environ.get("SESWORKER_AMQP", "amqp://guest:guest@127.0.0.1:5672/")))
channel = connection.channel()
channel.confirm_delivery()  # basic_publish raises if the broker does not take the message
channel.basic_publish(
    exchange="send-email",
    routing_key="",
    body=json.dumps(message).encode("utf-8"),
    properties=pika.BasicProperties(content_type="application/json", delivery_mode=2),
    mandatory=True,
)
connection.close()
print(f"published {email_id}")
