"""venuekit plugin for OrangeX USDT-margined perpetuals (JSON-RPC 2.0, bearer tokens).

Loaded through the ``venuekit.exchanges`` entry point ``orangex``; hosts use it through
``venuekit.connect("orangex", ...)``, never by importing this package.
"""
