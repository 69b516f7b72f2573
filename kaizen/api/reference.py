"""The API's readable reference, drawn from its OpenAPI document (so the page and the
document can never disagree): sections per resource, operations with their parameters,
bodies and answers, and every schema's fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class FieldRow:
    """One parameter or property: its name, type, whether it is required, and words."""

    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Answer:
    """One documented answer of an operation."""

    status: str
    description: str
    schema: str | None


@dataclass(frozen=True)
class Operation:
    """One method on one address."""

    method: str
    path: str
    summary: str
    description: str
    anchor: str
    parameters: list[FieldRow]
    bodies: list[tuple[str, str]]
    answers: list[Answer]


@dataclass
class Section:
    """The operations of one resource."""

    name: str
    description: str
    anchor: str
    operations: list[Operation] = field(default_factory=list)


@dataclass(frozen=True)
class SchemaDoc:
    """One schema and its fields."""

    name: str
    description: str
    fields: list[FieldRow]


def _ref_name(schema: dict[str, Any] | None) -> str | None:
    if not schema:
        return None
    ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def type_of(schema: dict[str, Any]) -> str:
    """A schema's type as a reader wants it: `string (date-time)`, `Step[]`, `waste code`."""
    if name := _ref_name(schema):
        return f"{name}[]" if schema.get("type") == "array" else name
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"] if v is not None)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = " or ".join(k for k in kind if k != "null") + (" or null" if "null" in kind else "")
    if kind == "array" and "items" in schema:
        return f"{type_of(schema['items'])}[]"
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def _rows(schema: dict[str, Any]) -> list[FieldRow]:
    required = set(schema.get("required", []))
    return [
        FieldRow(name, type_of(prop), name in required, prop.get("description", ""))
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(method: str, path: str, op: dict[str, Any]) -> Operation:
    parameters = [
        FieldRow(
            f"{p['name']} ({p['in']})",
            type_of(p.get("schema", {})),
            bool(p.get("required")),
            p.get("description", ""),
        )
        for p in op.get("parameters", [])
    ]
    bodies = [
        (content_type, _ref_name(media.get("schema")) or type_of(media.get("schema", {})))
        for content_type, media in op.get("requestBody", {}).get("content", {}).items()
    ]
    answers = [
        Answer(
            status,
            answer.get("description", ""),
            _ref_name(answer.get("content", {}).get("application/json", {}).get("schema")),
        )
        for status, answer in op.get("responses", {}).items()
    ]
    lines = (op.get("description") or "").strip()
    return Operation(
        method=method.upper(),
        path=path,
        summary=op.get("summary", ""),
        description=lines,
        anchor=f"{method}-{path.strip('/').replace('/', '-').replace('{', '').replace('}', '')}",
        parameters=parameters,
        bodies=bodies,
        answers=answers,
    )


def _title(tag: str) -> str:
    """A resource's heading: `api-root-causes` reads `Root causes`."""
    return tag.removeprefix("api-").replace("-", " ").capitalize()


def api_reference(spec: dict[str, Any]) -> tuple[list[Section], list[SchemaDoc]]:
    """The document's operations by resource, and its schemas, in the document's order."""
    sections = {
        tag["name"]: Section(
            _title(tag["name"]), tag.get("description", ""), tag["name"].removeprefix("api-")
        )
        for tag in spec["tags"]
    }
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                tag = (op.get("tags") or ["other"])[0]
                sections.setdefault(tag, Section(_title(tag), "", tag)).operations.append(
                    _operation(method, path, op)
                )
    schemas = [
        SchemaDoc(name, schema.get("description", ""), _rows(schema))
        for name, schema in spec.get("components", {}).get("schemas", {}).items()
    ]
    return [s for s in sections.values() if s.operations], schemas
