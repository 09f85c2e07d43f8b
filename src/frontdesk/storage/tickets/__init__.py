"""Tickets, messages, attachments, taxonomy and the ticket lists (core.tickets' ports)."""
