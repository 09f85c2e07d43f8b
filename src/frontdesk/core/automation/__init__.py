"""Automation: webhooks (endpoints, deliveries), the event feed and idempotency keys.

It sits above tickets, mail and chat: it reads what they recorded and queues mail.
"""

from frontdesk.core.automation.webhooks import (
    EndpointFields,
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    list_endpoints,
    new_secret,
    queue_deliveries,
    rotate_secret,
    update_endpoint,
)

__all__ = [
    "EndpointFields",
    "create_endpoint",
    "delete_endpoint",
    "get_endpoint",
    "list_endpoints",
    "new_secret",
    "queue_deliveries",
    "rotate_secret",
    "update_endpoint",
]
