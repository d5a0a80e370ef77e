"""The pieces every part of the OpenAPI document is written with (schema references,
objects, errors, operations), in one place for the core routes and the account routes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..store.model import ID_PATTERN

__all__ = ["ID_PARAM", "STRING", "Schema", "error", "json_body", "links", "nullable", "obj",
           "ok", "op", "r", "ref"]

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {**schema, "type": [schema["type"], "null"]}


def json_body(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def obj(properties: dict[str, Schema], *, required: Sequence[str] | None = None,
         description: str | None = None, closed: bool = True) -> Schema:
    schema: Schema = {"type": "object", "properties": properties,
                      "required": list(properties if required is None else required)}
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


STRING: Schema = {"type": "string"}

def error(description: str) -> dict[str, Any]:
    return {"description": description, "content": json_body(ref("Error"))}



def r(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": json_body(ref(schema))}


ID_PARAM = {"name": "id", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": f"^{ID_PATTERN.pattern}$"}}


def op(operation_id: str, summary: str, responses: dict[str, Any], *,
        body: str | None = None, description: str | None = None,
        parameters: Sequence[dict[str, Any]] = (), public: bool = False,
        tag: str = "connections") -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": operation_id, "summary": summary, "tags": [tag]}
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = list(parameters)
    if body:
        op["requestBody"] = {"required": True, "content": json_body(ref(body))}
        responses = {**responses, "400": r("BadJson"), "413": r("TooLarge"),
                     "415": r("UnsupportedMediaType"), "422": r("Unprocessable")}
    if public:
        op["security"] = []
    else:
        responses = {**responses, "401": r("Unauthorized"), "500": r("StoreFailure")}
    op["responses"] = dict(sorted(responses.items()))
    return op


def links(*operations: str) -> dict[str, Any]:
    return {op: {"operationId": op, "parameters": {"id": "$response.body#/id"}}
            for op in operations}


