"""A complete sample exchange plugin, "example", with its simulator.

It is what ``venuekit new-plugin`` generates, the exchange the core's own end-to-end tests
and ``venuekit demo`` run against, and a worked example of every hook. It is registered in
code (``Registry(extra={"example": plugin})``), never as an installed entry point, so it
never shows up among a user's real venues.
"""
