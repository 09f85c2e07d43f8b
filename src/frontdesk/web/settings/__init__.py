"""The settings area: its left navigation, the admins-only check, and one module a screen."""
