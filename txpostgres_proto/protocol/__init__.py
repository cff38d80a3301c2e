"""Sans-IO core of the PostgreSQL protocol: messages, framing, state machines, auth, errors."""
