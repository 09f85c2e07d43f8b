"""Live chat transport: the websocket hub, its fan-out between processes, the widget."""
