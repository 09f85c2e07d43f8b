"""The agents' chat console (docs/chat.md, "The console")."""
