"""`python -m venuekit`: the same as the `venuekit` command."""

from venuekit.cli import run

run()
