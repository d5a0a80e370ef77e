"""venuekit plugin for OKX V5 USDT-margined perpetual swaps (``okx``).

Installed as the distribution ``venuekit-okx``; the core finds it through the
``venuekit.exchanges`` entry point ``okx = venuekit_okx.plugin``. Quantities are in base
currency on venuekit's side and in contracts on OKX's: :mod:`venuekit_okx.contracts`
converts with the instrument's contract value (``ctVal``).
"""
