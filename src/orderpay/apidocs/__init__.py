"""docs/api/: one page per operation, in the original Create Payment page's format (Markdoc:
the formData member table, `{% tabs %}` of examples in js, py, java, ruby and go), generated
from the OpenAPI description (`/openapi.json`, built from the code without a server).

`python -m orderpay.apidocs` (`make docs`) writes them; `--check` fails when the committed
pages differ from what the code generates (tests/contract/test_the_docs_pages_are_generated.py).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

from orderpay.apidocs.languages import FENCES, LANGUAGES, Call, Env
from orderpay.apidocs.scenarios import SCENARIOS, STRIPE_EVENT, VARIABLES

INDEX = "README.md"


def openapi() -> dict[str, Any]:
    from orderpay.api.app import create_app

    return create_app().openapi()


def page_name(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", operation_id).lower() + ".md"


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield method.upper(), path, op


class Schemas:
    def __init__(self, spec: dict[str, Any]):
        self.schemas = spec["components"]["schemas"]

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def name(self, schema: dict[str, Any]) -> str | None:
        ref = schema.get("$ref")
        return ref.rsplit("/", 1)[1] if ref else None

    def type_of(self, schema: dict[str, Any]) -> str:
        schema = self.resolve(schema)
        branches = schema.get("anyOf") or schema.get("oneOf")
        if branches:
            kinds = [self.type_of(b) for b in branches]
            if "integer" in kinds and "string" in kinds:
                kinds.remove("string")  # an integer, or its text in a form
            return " | ".join(dict.fromkeys(kinds))
        if "const" in schema:
            return "string"
        kind: str = schema.get("type", "object" if "properties" in schema else "any")
        if kind == "array":
            return f"array of {self.type_of(schema.get('items', {}))}"
        return kind

    def description(self, schema: dict[str, Any]) -> str:
        resolved = self.resolve(schema)
        description: str | None = schema.get("description") or resolved.get("description")
        if description:
            return description
        for branch in resolved.get("anyOf", []):
            if branch.get("type") != "null" and self.description(branch):
                return self.description(branch)
        return ""

    def values(self, schema: dict[str, Any]) -> list[str]:
        """The values a member may take, when they are few."""
        schema = self.resolve(schema)
        if "const" in schema:
            return [schema["const"]]
        if "enum" in schema:
            return [v for v in schema["enum"] if v is not None]
        found = []
        for branch in schema.get("anyOf", []):
            found += self.values(branch)
        return found

    def members(self, schema: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
        """The member table's rows: every member of the document, depth first."""
        schema = self.resolve(schema)
        rows = []
        branches = [self.resolve(b) for b in schema.get("anyOf", []) if b.get("type") != "null"]
        properties: dict[str, Any] = {}
        required: set[str] = set()
        for part in [schema, *branches]:
            properties.update(part.get("properties", {}))
            if part is schema:
                required |= set(part.get("required", []))
        for name, member in properties.items():
            path = f"{prefix}.{name}" if prefix else name
            rows.append(
                {
                    "member": path,
                    "type": self.type_of(member),
                    "required": name in required,
                    "description": self.description(member),
                    "values": self.values(member),
                }
            )
            target = self.resolve(member)
            inner = [self.resolve(b) for b in target.get("anyOf", []) if b.get("type") != "null"]
            if target.get("type") == "array":
                rows += self.members(target.get("items", {}), f"{path}[]")
            elif "properties" in target or any("properties" in b for b in inner):
                rows += self.members(member, path)
        return rows


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _members_table(schemas: Schemas, schema: dict[str, Any]) -> list[str]:
    lines = [
        "| Member | In | Type | Required | Description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in schemas.members(schema):
        description = row["description"]
        if row["values"] and len(row["values"]) <= 8:
            description += " One of: " + ", ".join(f"`{v}`" for v in row["values"]) + "."
        lines.append(
            f"| `{row['member']}` | formData | {_cell(row['type'])} | "
            f"{'Required' if row['required'] else 'Optional'} | {_cell(description)} |"
        )
    return lines


def _substituted(document: Any, values: dict[str, str]) -> Any:
    document = copy.deepcopy(document)
    for pointer, variable in values.items():
        *parents, last = [int(p) if p.isdigit() else p for p in pointer.strip("/").split("/")]
        node = document
        for step in parents:
            node = node[step]
        node[last] = Env(variable)
    return document


def call_of(method: str, path: str, op: dict[str, Any], schemas: Schemas) -> Call:
    scenario = SCENARIOS[op["operationId"]]
    body = body_model = None
    if scenario.example is not None:
        content = op["requestBody"]["content"]["application/json"]
        body = _substituted(content["examples"][scenario.example]["value"], scenario.values)
        body_model = schemas.name(content["schema"])
    success = op["responses"][str(scenario.expect)]
    success_model = None
    for media_type, content in success.get("content", {}).items():
        if media_type.endswith("json"):
            success_model = schemas.name(content["schema"])
    if op["operationId"] in ("healthz", "readyz"):
        success_model = None  # JSON, but no JSON:API document of the client's
    return Call(
        operation_id=op["operationId"],
        summary=op["summary"],
        tag=op["tags"][0],
        method=method,
        path=path,
        path_values=scenario.path,
        token=scenario.token,
        idempotent=any(p["name"] == "Idempotency-Key" for p in op.get("parameters", [])),
        body=body,
        body_model=body_model,
        success_model=success_model,
        expect=scenario.expect,
        intro=scenario.intro,
        signed_event=STRIPE_EVENT if op["operationId"] == "receiveStripeEvent" else None,
    )


def variables_of(code: str) -> list[str]:
    return [name for name in VARIABLES if re.search(rf"\b{name}\b", code)]


def page(method: str, path: str, op: dict[str, Any], spec: dict[str, Any]) -> str:
    schemas = Schemas(spec)
    description = op.get("description", "")
    first = description.split("\n\n", 1)[0].replace("\n", " ")
    lines = [
        "---",
        f"title: {op['summary']}",
        f"operationId: {op['operationId']}",
        "---",
        "",
        "<!-- Generated by `make docs` (python -m orderpay.apidocs) from the OpenAPI "
        "description: do not edit. -->",
        "",
        f"# {op['summary']}",
        "",
        f"{first} `{method} {path}`",
        "",
    ]
    rest = description.split("\n\n", 1)[1] if "\n\n" in description else ""
    if rest:
        lines += [" ".join(p.split()) + "\n" for p in rest.split("\n\n")]
    auth = "none (public)" if op.get("security") == [] else "`Authorization: Bearer <token>`"
    lines += ["## Request", "", f"`{method} {path}` · Authentication: {auth}", ""]
    parameters = op.get("parameters", [])
    if parameters:
        lines += [
            "| Parameter | In | Type | Required | Description |",
            "| --- | --- | --- | --- | --- |",
        ]
        for p in parameters:
            lines.append(
                f"| `{p['name']}` | {p['in']} | {_cell(schemas.type_of(p.get('schema', {})))} | "
                f"{'Required' if p.get('required') else 'Optional'} | "
                f"{_cell(p.get('description', ''))} |"
            )
        lines.append("")
    body = op.get("requestBody")
    if body:
        media_types = ", ".join(f"`{m}`" for m in body["content"])
        lines += [
            "### Body",
            "",
            f"{_cell(body.get('description', ''))} Media types: {media_types}.",
            "",
        ]
        json_body = body["content"].get("application/json")
        if json_body and schemas.name(json_body["schema"]):
            lines += _members_table(schemas, json_body["schema"])
            example = next(
                iter(body["content"]["application/x-www-form-urlencoded"]["examples"].values())
            )["value"]
            form = "&".join(f"{k}={v}" for k, v in example.items())
            lines += ["", f"As a form: `{form}`", ""]
        else:
            lines += ["```json", json.dumps(STRIPE_EVENT, indent=2), "```", ""]
    lines += ["## Responses", "", "| Status | Description | Headers |", "| --- | --- | --- |"]
    for status, response in op["responses"].items():
        headers = ", ".join(f"`{h}`" for h in response.get("headers", {}))
        description = response["description"].replace("\n\n- ", " ").replace("\n- ", "; ")
        lines.append(f"| `{status}` | {_cell(description)} | {headers} |")
    lines += [
        "",
        'Errors are JSON:API error documents: `{"errors": [{"status", "code", '
        '"title", "detail", "source": {"pointer"}}]}`.',
        "",
    ]
    call = call_of(method, path, op, schemas)
    codes = {language: render(call) for language, render in LANGUAGES.items()}
    used = sorted(
        {v for code in codes.values() for v in variables_of(code)}, key=list(VARIABLES).index
    )
    lines += ["## Examples", "", f"{call.intro} Each example reads from its environment:", ""]
    lines += [f"- `{name}`: {VARIABLES[name]}" for name in used]
    lines += ["", "{% tabs %}"]
    for language, code in codes.items():
        lines += [
            f'{{% tab label="{language}" %}}',
            f"```{FENCES[language]}",
            code.rstrip(),
            "```",
            "{% /tab %}",
        ]
    lines += ["{% /tabs %}", ""]
    success = op["responses"][str(call.expect)]
    for content in success.get("content", {}).values():
        for example in list(content.get("examples", {}).values())[:1]:
            lines += [
                f"Answer (`{call.expect}`):",
                "",
                "```json",
                json.dumps(example["value"], indent=2),
                "```",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def index(spec: dict[str, Any]) -> str:
    lines = [
        "<!-- Generated by `make docs` (python -m orderpay.apidocs): do not edit. -->",
        "",
        "# orderpay API",
        "",
        "One page per operation, generated from the OpenAPI description (`/openapi.json`; "
        "`/docs` shows it in Swagger UI). Each page has its request members, its responses "
        "and a complete example in js, py (the generated client, `clients/python`), java, "
        "ruby and go. Regenerate with `make docs`.",
        "",
    ]
    by_tag: dict[str, list[str]] = {}
    for method, path, op in operations(spec):
        line = f"- [{op['summary']}]({page_name(op['operationId'])}): `{method} {path}`"
        by_tag.setdefault(op["tags"][0], []).append(line)
    for tag in spec["tags"]:
        if tag["name"] in by_tag:
            lines += [f"## {tag['name'].capitalize()}", "", tag["description"], ""]
            lines += [*by_tag[tag["name"]], ""]
    return "\n".join(lines).rstrip() + "\n"


def pages(spec: dict[str, Any] | None = None) -> dict[str, str]:
    """File name -> content of every page of docs/api/."""
    spec = spec or openapi()
    found = {INDEX: index(spec)}
    for method, path, op in operations(spec):
        found[page_name(op["operationId"])] = page(method, path, op, spec)
    return found


_TAB = re.compile(r'\{% tab label="(\w+)" %\}\n```\w+\n(.*?)\n```\n\{% /tab %\}', re.S)


def examples_of(text: str) -> dict[str, str]:
    """A page's examples: language -> code."""
    return {language: code + "\n" for language, code in _TAB.findall(text)}
