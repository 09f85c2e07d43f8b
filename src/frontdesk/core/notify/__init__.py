"""Notifications for agents: what they hear about (derive), how (mails), their side (inbox).

Sits above chat and mail: it listens to what both record.
"""
