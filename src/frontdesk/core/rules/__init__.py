"""Rules: triggers, time rules and macros, and fair assignment.

It sits above automation and notify: a rule's actions change tickets through the
tickets area's named functions, reply through mail's outbox, notify agents and queue
webhook deliveries. See docs/automation.md for every condition and action.
"""
