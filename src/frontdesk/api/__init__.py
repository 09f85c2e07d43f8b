"""HTTP dialects over the one core: native, imbox, inboxops, v3."""
