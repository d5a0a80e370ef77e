"""Schema 2 adds per-connection hosts; a schema 1 file still loads, with the venue's hosts."""

from __future__ import annotations

import json

from venuekit.models import Credentials
from venuekit.store import ConnectionStore
from venuekit.store.model import SCHEMA_VERSION

CREDS = Credentials(api_key="AKabcdefghijklmnopqrstuv", api_secret="secret-0123456789")


def test_hosts_round_trip_through_the_file(store: ConnectionStore) -> None:
    conn = store.create(name="sim", exchange="example", credentials=CREDS,
                        base_url="http://127.0.0.1:19100/", stream_base_url="ws://127.0.0.1:19100")
    store.record_test(conn.id, "ok", base_url="http://127.0.0.1:19100", custom_host=True)
    saved = store.get(conn.id)
    assert saved.base_url == "http://127.0.0.1:19100"
    assert saved.stream_base_url == "ws://127.0.0.1:19100"
    assert (saved.last_test_base_url, saved.last_test_custom_host) == (
        "http://127.0.0.1:19100", True)
    assert json.loads(store.path_of(conn.id).read_text())["schema_version"] == SCHEMA_VERSION


def test_a_schema_1_file_loads_with_the_venues_own_hosts(store: ConnectionStore) -> None:
    conn = store.create(name="old", exchange="example", credentials=CREDS)
    path = store.path_of(conn.id)
    data = json.loads(path.read_text())
    for field in ("base_url", "stream_base_url", "last_test_base_url",
                  "last_test_custom_host"):
        del data[field]
    data["schema_version"] = 1
    path.write_text(json.dumps(data))
    loaded = store.get(conn.id)
    assert loaded.base_url is None and loaded.last_test_custom_host is False
    assert store.credentials(conn.id) == CREDS
