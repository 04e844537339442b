"""python validate_event.py ASYNCAPI_JSON MESSAGE_JSON...: checks messages a merchant's socket
received (one JSON object per file, or per line) against the AsyncAPI document's message for
their `type` (`refused` for API Gateway's answer to an unknown action, which has none). Prints each violation; exits 1 if any message breaks the contract."""

import json
import sys

from jsonschema import Draft7Validator, FormatChecker


def messages(path):
    with open(path, encoding="utf-8") as file:
        text = file.read().strip()
    try:
        yield json.loads(text)
    except json.JSONDecodeError:
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)


def main(asyncapi_path, paths):
    with open(asyncapi_path, encoding="utf-8") as file:
        document = json.load(file)
    known = document["components"]["messages"]
    broken = 0
    for path in paths:
        for message in messages(path):
            kind = message.get("type") if isinstance(message, dict) else None
            if kind is None and isinstance(message, dict) and "message" in message:
                kind = "refused"  # API Gateway's answer to an unknown action
            if kind not in known:
                print(f"{path}: no message type {kind!r} in the contract", file=sys.stderr)
                broken += 1
                continue
            schema = {"$ref": f"#/components/messages/{kind}/payload", "components": document["components"]}
            errors = list(Draft7Validator(schema, format_checker=FormatChecker()).iter_errors(message))
            for error in errors:
                where = "/".join(map(str, error.absolute_path)) or "(message)"
                print(f"{path}: {kind}: {where}: {error.message}", file=sys.stderr)
            broken += bool(errors)
            if not errors:
                print(f"{path}: {kind}: conforms")
    return 1 if broken else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
