"""One operation's example in each language of the original page's tabs: `fetch` in js (Node
20's own), the generated Python client (clients/python) in py, `java.net.http.HttpClient`,
and `net/http` in ruby and go. Each is a whole program: it reads its values from the
environment, sends the request, prints the status and the body, and exits 1 unless the
status is the one expected.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Env:
    """A value read from the environment variable `name`."""

    name: str


@dataclass(frozen=True)
class Call:
    operation_id: str
    summary: str
    tag: str
    method: str  # upper case
    path: str  # template, e.g. /api/v1/payments/{payment_id}
    path_values: dict[str, str]  # parameter -> variable
    token: str | None  # variable holding the bearer token
    idempotent: bool
    body: Any  # the document, Env leaves standing for variables; None without a body
    body_model: str | None  # the request document's schema (the client's model)
    success_model: str | None  # the success document's schema
    expect: int
    intro: str
    signed_event: Any = None  # receiveStripeEvent: the event to sign and send


def about(call: Call) -> str:
    """The first line of every example: `Create Payment: pays the demo order …`."""
    return f"{call.summary}: {call.intro[0].lower()}{call.intro[1:]}"


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def camel(name: str) -> str:
    return name[0].upper() + name[1:]


def _segments(call: Call) -> list[tuple[str, None] | tuple[None, str]]:
    """The path as (text, variable) pieces: `/api/v1/payments/{payment_id}` is
    [("/api/v1/payments/", None), (None, "PAYMENT_ID")]."""
    pieces: list[tuple[str, None] | tuple[None, str]] = []
    for part in re.split(r"(\{[^}]+\})", call.path):
        if part.startswith("{"):
            pieces.append((None, call.path_values[part[1:-1]]))
        elif part:
            pieces.append((part, None))
    return pieces


# -- js ------------------------------------------------------------------------------------------


def _js_value(value: Any, indent: int) -> str:
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, Env):
        return f"process.env.{value.name}"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = []
        for key, item in value.items():
            name = key if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", key) else json.dumps(key)
            items.append(f"{inner}{name}: {_js_value(item, indent + 1)},")
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        items = [f"{inner}{_js_value(item, indent + 1)}," for item in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    return json.dumps(value)


def js(call: Call) -> str:
    url = "".join(text if text else f"${{process.env.{var}}}" for text, var in _segments(call))
    lines = [f"// {about(call)}", ""]
    headers = []
    if call.signed_event is not None:
        lines += [
            'import { createHmac } from "node:crypto";',
            "",
            f"const event = {_js_value(call.signed_event, 0)};",
            "const payload = JSON.stringify(event);",
            "const timestamp = Math.floor(Date.now() / 1000);",
            'const signature = createHmac("sha256", process.env.STRIPE_WEBHOOK_SECRET)',
            "  .update(`${timestamp}.${payload}`)",
            '  .digest("hex");',
            "",
        ]
        headers += [
            '"Content-Type": "application/json"',
            '"Stripe-Signature": `t=${timestamp},v1=${signature}`',
        ]
    if call.body is not None:
        lines += [
            # clients/typescript: the documents' types, for editors and tsc --checkJs.
            f'/** @type {{import("orderpay-api-types").components["schemas"]'
            f'["{call.body_model}"]}} */',
            f"const data = {_js_value(call.body, 0)};",
            "",
        ]
        headers.append('"Content-Type": "application/json"')
    if call.token:
        headers.append(f"Authorization: `Bearer ${{process.env.{call.token}}}`")
    if call.idempotent:
        headers.append(
            "// The Idempotency-Key makes a retry safe: the same key replays the first answer.\n"
            '    "Idempotency-Key": crypto.randomUUID()'
        )
    options = [f'method: "{call.method}"']
    if headers:
        options.append("headers: {\n" + "".join(f"    {h},\n" for h in headers) + "  }")
    if call.body is not None:
        options.append("body: JSON.stringify(data)")
    elif call.signed_event is not None:
        options.append("body: payload")
    lines += [
        f"const response = await fetch(`${{process.env.BASE_URL}}{url}`, {{",
        *(f"  {option}," for option in options),
        "});",
        "console.log(response.status, await response.text());",
        f"if (response.status !== {call.expect}) process.exit(1);",
    ]
    return "\n".join(lines) + "\n"


# -- py ------------------------------------------------------------------------------------------


def _py_value(value: Any, indent: int) -> str:
    pad, inner = "    " * indent, "    " * (indent + 1)
    if isinstance(value, Env):
        return f'os.environ["{value.name}"]'
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {_py_value(v, indent + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        items = [f"{inner}{_py_value(item, indent + 1)}," for item in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    return json.dumps(value) if isinstance(value, str) else repr(value)


def py(call: Call) -> str:
    if call.signed_event is not None:
        return _py_webhook(call)
    module = snake(call.operation_id)
    client_class = "AuthenticatedClient" if call.token else "Client"
    imports = ["import os", "import sys"]
    if call.idempotent:
        imports.append("import uuid")
    models = sorted({m for m in (call.body_model, call.success_model) if m})
    lines = [
        f'"""{about(call)}"""',
        "",
        *imports,
        "",
        f"from orderpay_client import {client_class}",
        f"from orderpay_client.api.{call.tag} import {module}",
    ]
    if models:
        lines.append(f"from orderpay_client.models import {', '.join(models)}")
    lines.append("")
    if call.token:
        lines.append(
            f'client = AuthenticatedClient(base_url=os.environ["BASE_URL"], '
            f'token=os.environ["{call.token}"])'
        )
    else:
        lines.append('client = Client(base_url=os.environ["BASE_URL"])')
    arguments = [f'os.environ["{var}"]' for var in call.path_values.values()]
    arguments.append("client=client")
    if call.body is not None:
        lines += ["", f"document = {call.body_model}.from_dict({_py_value(call.body, 0)})"]
        arguments.append("body=document")
    if call.idempotent:
        lines.append(
            "# The Idempotency-Key makes a retry safe: the same key replays the first answer."
        )
        arguments.append("idempotency_key=str(uuid.uuid4())")
    lines += [
        f"response = {module}.sync_detailed(",
        *(f"    {argument}," for argument in arguments),
        ")",
        "print(response.status_code, response.content.decode())",
    ]
    if call.success_model:
        lines += [
            f"if not isinstance(response.parsed, {call.success_model}):",
            "    sys.exit(1)",
            "print(response.parsed.data)",
        ]
    else:
        lines += [f"if response.status_code != {call.expect}:", "    sys.exit(1)"]
    return "\n".join(lines) + "\n"


def _py_webhook(call: Call) -> str:
    # Stripe signs the exact bytes it sends: this example is Stripe's side, so it sends them
    # with httpx rather than through the client (which would encode the event itself).
    return f'''"""{about(call)}"""

import hashlib
import hmac
import json
import os
import sys
import time

import httpx

event = {_py_value(call.signed_event, 0)}
payload = json.dumps(event)
timestamp = int(time.time())
secret = os.environ["STRIPE_WEBHOOK_SECRET"].encode()
signature = hmac.new(secret, f"{{timestamp}}.{{payload}}".encode(), hashlib.sha256).hexdigest()
response = httpx.post(
    os.environ["BASE_URL"] + "{call.path}",
    content=payload,
    headers={{
        "Content-Type": "application/json",
        "Stripe-Signature": f"t={{timestamp}},v1={{signature}}",
    }},
)
print(response.status_code, response.text)
if response.status_code != {call.expect}:
    sys.exit(1)
'''


# -- java ----------------------------------------------------------------------------------------


def _json_with_slots(value: Any, slots: list[str]) -> str:
    """JSON text with `%s` where each Env is (its variable appended to `slots`)."""
    if isinstance(value, Env):
        slots.append(value.name)
        return '"%s"'
    if isinstance(value, dict):
        items = [f"{json.dumps(k)}: {_json_with_slots(v, slots)}" for k, v in value.items()]
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json_with_slots(v, slots) for v in value) + "]"
    return json.dumps(value).replace("%", "%%")


def java(call: Call) -> str:
    name = camel(call.operation_id)
    imports = [
        "java.net.URI",
        "java.net.http.HttpClient",
        "java.net.http.HttpRequest",
        "java.net.http.HttpResponse",
    ]
    lines = []
    url = " + ".join(
        json.dumps(text) if text else f'System.getenv("{var}")' for text, var in _segments(call)
    )
    body = "HttpRequest.BodyPublishers.noBody()"
    builder = [f'HttpRequest.newBuilder(URI.create(System.getenv("BASE_URL") + {url}))']
    if call.signed_event is not None:
        imports += [
            "java.nio.charset.StandardCharsets",
            "java.util.HexFormat",
            "javax.crypto.Mac",
            "javax.crypto.spec.SecretKeySpec",
        ]
        lines += [
            f"        String payload = {json.dumps(json.dumps(call.signed_event))};",
            "        long timestamp = System.currentTimeMillis() / 1000;",
            '        Mac mac = Mac.getInstance("HmacSHA256");',
            "        mac.init(new SecretKeySpec(",
            '            System.getenv("STRIPE_WEBHOOK_SECRET").getBytes(StandardCharsets.UTF_8),',
            '            "HmacSHA256"));',
            "        String signature = HexFormat.of().formatHex(",
            '            mac.doFinal((timestamp + "." + payload)'
            ".getBytes(StandardCharsets.UTF_8)));",
        ]
        builder += [
            '.header("Content-Type", "application/json")',
            '.header("Stripe-Signature", "t=" + timestamp + ",v1=" + signature)',
        ]
        body = "HttpRequest.BodyPublishers.ofString(payload)"
    if call.body is not None:
        slots: list[str] = []
        text = _json_with_slots(call.body, slots)
        arguments = ", ".join(f'System.getenv("{slot}")' for slot in slots)
        lines += [
            '        String data = """',
            f"            {text}",
            f'            """.formatted({arguments});',
        ]
        builder.append('.header("Content-Type", "application/json")')
        body = "HttpRequest.BodyPublishers.ofString(data)"
    if call.token:
        builder.append(f'.header("Authorization", "Bearer " + System.getenv("{call.token}"))')
    if call.idempotent:
        imports.append("java.util.UUID")
        builder.append('.header("Idempotency-Key", UUID.randomUUID().toString())')
    builder += [f'.method("{call.method}", {body})', ".build();"]
    lines.append("        HttpRequest request = " + builder[0])
    lines += [f"            {part}" for part in builder[1:]]
    lines += [
        "        // HTTP/1.1: over plain http:// HttpClient would otherwise offer an upgrade to",
        "        // HTTP/2 (h2c), which orderpay's server refuses with a 400 when the request has",
        "        // a body (behind TLS, HTTP/2 is negotiated without it).",
        "        HttpClient client = HttpClient.newBuilder()",
        "            .version(HttpClient.Version.HTTP_1_1)",
        "            .build();",
        "        HttpResponse<String> response = client",
        "            .send(request, HttpResponse.BodyHandlers.ofString());",
        '        System.out.println(response.statusCode() + " " + response.body());',
        f"        if (response.statusCode() != {call.expect}) {{",
        "            System.exit(1);",
        "        }",
    ]
    head = [f"// {about(call)}", "// Run: java " + name + ".java", ""]
    head += [f"import {i};" for i in sorted(imports)]
    return (
        "\n".join(
            [
                *head,
                "",
                f"public class {name} {{",
                "    public static void main(String[] args) throws Exception {",
                *lines,
                "    }",
                "}",
            ]
        )
        + "\n"
    )


# -- ruby ----------------------------------------------------------------------------------------


def _ruby_value(value: Any, indent: int) -> str:
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, Env):
        return f'ENV.fetch("{value.name}")'
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{json.dumps(k)} => {_ruby_value(v, indent + 1)}," for k, v in value.items()
        ]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        items = [f"{inner}{_ruby_value(item, indent + 1)}," for item in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    if value is None:
        return "nil"
    return json.dumps(value)


def ruby(call: Call) -> str:
    requires = ["net/http"]
    url = "".join(text if text else f'#{{ENV.fetch("{var}")}}' for text, var in _segments(call))
    lines = [f'uri = URI("#{{ENV.fetch("BASE_URL")}}{url}")']
    if call.signed_event is not None:
        requires += ["json", "openssl"]
        lines += [
            f"event = {_ruby_value(call.signed_event, 0)}",
            "payload = JSON.generate(event)",
            "timestamp = Time.now.to_i",
            'signature = OpenSSL::HMAC.hexdigest("SHA256", ENV.fetch("STRIPE_WEBHOOK_SECRET"),',
            '                                    "#{timestamp}.#{payload}")',
        ]
    if call.body is not None:
        requires.append("json")
        lines.append(f"data = {_ruby_value(call.body, 0)}")
    lines.append(f"request = Net::HTTP::{call.method.capitalize()}.new(uri)")
    if call.signed_event is not None:
        lines += [
            'request["Content-Type"] = "application/json"',
            'request["Stripe-Signature"] = "t=#{timestamp},v1=#{signature}"',
            "request.body = payload",
        ]
    if call.body is not None:
        lines += [
            'request["Content-Type"] = "application/json"',
            "request.body = JSON.generate(data)",
        ]
    if call.token:
        lines.append(f'request["Authorization"] = "Bearer #{{ENV.fetch("{call.token}")}}"')
    if call.idempotent:
        requires.append("securerandom")
        lines.append(
            "# The Idempotency-Key makes a retry safe: the same key replays the first answer."
        )
        lines.append('request["Idempotency-Key"] = SecureRandom.uuid')
    lines += [
        "response = Net::HTTP.start(uri.host, uri.port) { |http| http.request(request) }",
        'puts "#{response.code} #{response.body}"',
        f'exit 1 unless response.code == "{call.expect}"',
    ]
    head = [f"# {about(call)}", ""]
    head += [f'require "{r}"' for r in sorted(set(requires))]
    return "\n".join([*head, "", *lines]) + "\n"


# -- go ------------------------------------------------------------------------------------------


def _go_value(value: Any, indent: int) -> str:
    pad, inner = "\t" * indent, "\t" * (indent + 1)
    if isinstance(value, Env):
        return f'os.Getenv("{value.name}")'
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {_go_value(v, indent + 1)}," for k, v in value.items()]
        return (
            "map[string]any{\n" + "\n".join(items) + f"\n{pad}}}" if items else "map[string]any{}"
        )
    if isinstance(value, list):
        items = [f"{inner}{_go_value(item, indent + 1)}," for item in value]
        return "[]any{\n" + "\n".join(items) + f"\n{pad}}}"
    if value is None:
        return "nil"
    return json.dumps(value)


def go(call: Call) -> str:
    imports = {"fmt", "io", "net/http", "os"}
    url = " + ".join(
        json.dumps(text) if text else f'os.Getenv("{var}")' for text, var in _segments(call)
    )
    lines = []
    body = "nil"
    if call.signed_event is not None:
        imports |= {
            "crypto/hmac",
            "crypto/sha256",
            "encoding/hex",
            "encoding/json",
            "strings",
            "time",
        }
        lines += [
            f"\tevent := {_go_value(call.signed_event, 1)}",
            "\tpayload, err := json.Marshal(event)",
            "\tif err != nil {",
            "\t\tpanic(err)",
            "\t}",
            "\ttimestamp := time.Now().Unix()",
            '\tmac := hmac.New(sha256.New, []byte(os.Getenv("STRIPE_WEBHOOK_SECRET")))',
            '\tfmt.Fprintf(mac, "%d.%s", timestamp, payload)',
            "\tsignature := hex.EncodeToString(mac.Sum(nil))",
        ]
        body = "strings.NewReader(string(payload))"
    if call.body is not None:
        imports |= {"bytes", "encoding/json"}
        lines += [
            f"\tdata := {_go_value(call.body, 1)}",
            "\tbody, err := json.Marshal(data)",
            "\tif err != nil {",
            "\t\tpanic(err)",
            "\t}",
        ]
        body = "bytes.NewReader(body)"
    lines += [
        f'\trequest, err := http.NewRequest("{call.method}", os.Getenv("BASE_URL")+{url}, {body})',
        "\tif err != nil {",
        "\t\tpanic(err)",
        "\t}",
    ]
    if call.signed_event is not None:
        lines += [
            '\trequest.Header.Set("Content-Type", "application/json")',
            '\trequest.Header.Set("Stripe-Signature", '
            'fmt.Sprintf("t=%d,v1=%s", timestamp, signature))',
        ]
    if call.body is not None:
        lines.append('\trequest.Header.Set("Content-Type", "application/json")')
    if call.token:
        lines.append(f'\trequest.Header.Set("Authorization", "Bearer "+os.Getenv("{call.token}"))')
    if call.idempotent:
        imports.add("crypto/rand")
        lines += [
            "\t// The Idempotency-Key makes a retry safe: the same key replays the first answer.",
            "\tkey := make([]byte, 16)",
            "\tif _, err := rand.Read(key); err != nil {",
            "\t\tpanic(err)",
            "\t}",
            '\trequest.Header.Set("Idempotency-Key", fmt.Sprintf("%x", key))',
        ]
    lines += [
        "\tresponse, err := http.DefaultClient.Do(request)",
        "\tif err != nil {",
        "\t\tpanic(err)",
        "\t}",
        "\tdefer response.Body.Close()",
        "\ttext, err := io.ReadAll(response.Body)",
        "\tif err != nil {",
        "\t\tpanic(err)",
        "\t}",
        "\tfmt.Println(response.StatusCode, string(text))",
        f"\tif response.StatusCode != {call.expect} {{",
        "\t\tos.Exit(1)",
        "\t}",
    ]
    head = [f"// {about(call)}", "// Run: go run main.go", "package main", "", "import ("]
    head += [f'\t"{i}"' for i in sorted(imports)]
    return "\n".join([*head, ")", "", "func main() {", *lines, "}"]) + "\n"


LANGUAGES = {"js": js, "py": py, "java": java, "ruby": ruby, "go": go}
# The fence's language of each tab.
FENCES = {"js": "js", "py": "python", "java": "java", "ruby": "ruby", "go": "go"}
