"""Who acts: accounts (tenants) with their agents and inboxes, and credentials."""
