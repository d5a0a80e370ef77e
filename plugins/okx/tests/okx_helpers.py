"""Test helpers for the OKX plugin: credentials and envelopes, nothing secret."""

from __future__ import annotations

import json
from typing import Any

from venuekit import Credentials, Response

#: The secret of OKX's own REST-authentication example (OK-OV); key and passphrase made up.
DOC_SECRET = "22582BD0CFF14C41EDBF1AB98506286D"
#: 2020-12-08T09:08:57.715Z, the timestamp of OKX's example.
DOC_TIMESTAMP_MS = 1607418537715

HOST = "https://www.okx.com"


def doc_credentials() -> Credentials:
    return Credentials(api_key="test-okx-key-00000000", api_secret=DOC_SECRET,
                       passphrase="test-passphrase")


def envelope(data: list[Any], code: str = "0", msg: str = "") -> dict[str, Any]:
    return {"code": code, "msg": msg, "data": data}


def response(payload: Any, status: int = 200) -> Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Response(exchange="okx", status=status, headers={}, body=body)
