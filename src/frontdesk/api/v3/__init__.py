"""The v3 customer API (/v3): a company's customers, each with a token bound to one contact."""
