"""The kernel every area uses: records, errors, time, text checks, the event log.

Nothing here imports an area."""
