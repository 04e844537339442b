"""python validate_openapi.py URL|FILE...: validates OpenAPI 3.1 documents (exit 1 if any is
invalid). schemathesis loads a document without validating it, so this runs first."""

import json
import sys
import urllib.request

from openapi_spec_validator import OpenAPIV31SpecValidator


def load(source):
    if source.startswith("http://") or source.startswith("https://"):
        with urllib.request.urlopen(source, timeout=10) as response:
            return json.load(response)
    with open(source, encoding="utf-8") as file:
        return json.load(file)


def main(sources):
    valid = True
    for source in sources:
        document = load(source)
        try:
            errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                      for e in OpenAPIV31SpecValidator(document).iter_errors()]
        except Exception as error:  # a dangling $ref raises instead of yielding an error
            errors = [repr(error)]
        for error in errors:
            print(f"{source}: {error}", file=sys.stderr)
        if errors:
            valid = False
        else:
            print(f"{source}: valid OpenAPI {document['openapi']}: {len(document['paths'])} paths")
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
