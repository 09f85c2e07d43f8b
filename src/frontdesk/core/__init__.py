"""The domain: accounts, tickets, messages. No HTTP, no SQL, no vendor words."""
