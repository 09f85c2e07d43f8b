"""The e-mail channel: parsing, threading, loop safety, inbound listeners, outbound outbox."""
