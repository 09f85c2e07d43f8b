"""The agents' ticket workspace: the queue (views, filters, search, bulk actions) and the
ticket page (thread, side panel, reply, note and every action)."""
