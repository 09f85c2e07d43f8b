"""The InboxOps workspace ticket API (/v1/workspaces/{workspaceId}/tickets)."""
