"""The domain, by area: no HTTP, no SQL, no vendor words (docs/architecture.md)."""
