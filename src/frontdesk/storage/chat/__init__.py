"""Live chat: conversations, visitors, reports (core.chat's ports)."""
