"""What AWS would authorise: identity-policy evaluation, and the permissions each request needs.

Evaluation follows AWS's documented logic for a role's identity policies in its own account: an
explicit Deny wins, then any Allow, else the request is implicitly denied. A statement applies
when its Action/NotAction, Resource/NotResource and every Condition match. Actions match without
regard to case, resources with it; `*` and `?` are wildcards in both.

moto ships an evaluator too (moto.iam.access_control), but it ignores NotResource, treats an
Allow whose condition fails as a Deny and matches ARNs as unescaped regular expressions, so
it would both pass and fail policies AWS treats otherwise.
"""

import fnmatch
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlparse


@dataclass(frozen=True)
class Need:
    """One permission a request needs: action, resource and the condition keys it carries."""

    action: str
    resource: str
    context: tuple = ()

    def __str__(self):
        keys = "".join(f" [{k}={v}]" for k, v in self.context)
        return f"{self.action} on {self.resource}{keys}"


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _wildcard(pattern, value, case_sensitive):
    # IAM has only * and ?; fnmatch would also read [...] as a class, so brackets are escaped.
    escaped = "".join(f"[{c}]" if c in "[]" else c for c in pattern)
    return re.match(fnmatch.translate(escaped), value, 0 if case_sensitive else re.IGNORECASE) is not None


def _string_like(pattern, value):
    return _wildcard(pattern, value, case_sensitive=True)


_CONDITIONS = {
    "StringEquals": lambda want, have: have == want,
    "StringNotEquals": lambda want, have: have != want,
    "StringEqualsIgnoreCase": lambda want, have: have.lower() == want.lower(),
    "StringLike": lambda want, have: _string_like(want, have),
    "StringNotLike": lambda want, have: not _string_like(want, have),
    "ArnEquals": lambda want, have: have == want,
    "ArnLike": lambda want, have: _string_like(want, have),
    "Bool": lambda want, have: str(have).lower() == str(want).lower(),
}


class UnsupportedPolicy(Exception):
    """A policy element this evaluator does not model: the check fails rather than guess."""


def _condition_holds(operator, keys, context):
    if operator == "Null":
        return all((key in context) != (str(want).lower() == "true") for key, want in keys.items())
    if operator.startswith("ForAllValues:"):
        return _for_all_values(operator, keys, context)
    if_exists = operator.endswith("IfExists")
    test = _CONDITIONS.get(operator.removesuffix("IfExists"))
    if test is None or ":" in operator:  # ForAnyValue: is not modelled
        raise UnsupportedPolicy(f"condition operator {operator}")
    for key, wanted in keys.items():
        if key not in context:
            if not if_exists:
                return False
            continue
        negated = operator.startswith(("StringNot", "ArnNot"))
        matches = [test(str(want), str(context[key])) for want in _as_list(wanted)]
        if not (all(matches) if negated else any(matches)):
            return False
    return True


def _for_all_values(operator, keys, context):
    """Every value the request carries for a key matches one wanted; a request without the key
    matches (as in AWS: the set of its values is empty), so a grant must not lean on it alone."""
    inner = operator.split(":", 1)[1]
    test = _CONDITIONS.get(inner)
    if test is None or inner.startswith(("StringNot", "ArnNot")) or inner.endswith("IfExists"):
        raise UnsupportedPolicy(f"condition operator {operator}")
    for key, wanted in keys.items():
        for have in _as_list(context.get(key, [])):
            if not any(test(str(want), str(have)) for want in _as_list(wanted)):
                return False
    return True


def statement_applies(statement, need):
    context = dict(need.context)
    if "Action" in statement:
        if not any(_wildcard(a, need.action, False) for a in _as_list(statement["Action"])):
            return False
    elif any(_wildcard(a, need.action, False) for a in _as_list(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(_wildcard(r, need.resource, True) for r in _as_list(statement["Resource"])):
            return False
    elif any(_wildcard(r, need.resource, True) for r in _as_list(statement["NotResource"])):
        return False
    return all(
        _condition_holds(operator, keys, context)
        for operator, keys in statement.get("Condition", {}).items()
    )


def statements(documents):
    for document in documents:
        yield from _as_list(document["Statement"])


def is_allowed(documents, need):
    applying = [s for s in statements(documents) if statement_applies(s, need)]
    if any(s["Effect"] == "Deny" for s in applying):
        return False
    return any(s["Effect"] == "Allow" for s in applying)


# ---- the permissions a recorded request needs -------------------------------------------------


@dataclass
class Request:
    """One HTTP request a function sent to an AWS endpoint, as the recorder saw it."""

    access_key: str
    method: str
    path: str
    query: str
    headers: dict
    body: bytes = field(repr=False)

    def json(self):
        return json.loads(self.body or b"{}")

    def form(self):
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass(frozen=True)
class Account:
    region: str
    account: str

    def arn(self, service, resource):
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


_DYNAMODB_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _dynamodb(request, operation, account):
    body = request.json()
    table = lambda name: account.arn("dynamodb", f"table/{name}")  # noqa: E731
    if operation in ("TransactWriteItems", "TransactGetItems"):
        for item in body["TransactItems"]:
            (kind, spec), = item.items()
            yield Need(f"dynamodb:{_DYNAMODB_TRANSACT[kind]}", table(spec["TableName"]))
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        for name in body["RequestItems"]:
            yield Need(f"dynamodb:{operation}", table(name))
    else:
        resource = table(body["TableName"])
        if body.get("IndexName"):
            resource += f"/index/{body['IndexName']}"
        yield Need(f"dynamodb:{operation}", resource, _leading_keys(body.get("Key") or body.get("Item")))


def _leading_keys(key):
    """`dynamodb:LeadingKeys` of a one-item request on a table keyed by `pk` (every table whose
    grants name it is); other requests are left without it, which no grant here relies on."""
    value = (key or {}).get("pk", {}).get("S")
    return (("dynamodb:LeadingKeys", value),) if value is not None else ()


def _sns(request, account):
    form = request.form()
    action = form["Action"]
    if action == "Publish" and form.get("PhoneNumber"):
        # A text message has no resource ARN: IAM evaluates it against "*".
        yield Need("sns:Publish", "*")
    else:
        yield Need(f"sns:{action}", form.get("TopicArn") or form.get("TargetArn") or "*")


def _sqs(request, operation, account):
    body = request.json()
    queue = urlparse(body["QueueUrl"]).path.rstrip("/").split("/")[-1]
    yield Need(f"sqs:{operation}", account.arn("sqs", queue))


def _sesv2(request, account):
    if request.method == "POST" and request.path == "/v2/email/outbound-emails":
        body = request.json()
        sender = body["FromEmailAddress"]
        address = re.search(r"<([^>]+)>", sender).group(1) if "<" in sender else sender
        context = (("ses:FromAddress", address),)
        yield Need("ses:SendEmail", account.arn("ses", f"identity/{address}"), context)
        if body.get("ConfigurationSetName"):
            name = body["ConfigurationSetName"]
            yield Need("ses:SendEmail", account.arn("ses", f"configuration-set/{name}"), context)
    else:
        yield Need(f"ses:unknown {request.method} {request.path}", "*")


def _s3(request):
    """Path-style requests (the SDK uses them against a custom endpoint). S3 ARNs carry no
    region or account."""
    bucket, _, key = unquote(request.path).lstrip("/").partition("/")
    query = parse_qs(request.query, keep_blank_values=True)
    if not key:
        if request.method == "GET" and ("list-type" in query or not query):
            yield Need("s3:ListBucket", f"arn:aws:s3:::{bucket}")
        else:
            yield Need(f"s3:unknown {request.method} /{bucket}?{request.query}", "*")
        return
    resource = f"arn:aws:s3:::{bucket}/{key}"
    if "tagging" in query:
        yield Need("s3:PutObjectTagging" if request.method == "PUT" else "s3:GetObjectTagging", resource)
    elif request.method in ("GET", "HEAD"):
        yield Need("s3:GetObject", resource)
    elif request.method == "PUT" and "x-amz-copy-source" not in request.headers:
        yield Need("s3:PutObject", resource)
    elif request.method == "DELETE":
        yield Need("s3:DeleteObject", resource)
    else:
        yield Need(f"s3:unknown {request.method} {request.path}", "*")


def _lambda(request, account):
    """Invoke, the one Lambda call a function makes: the function is named by its name, a
    partial ARN (account:function:name) or its ARN, with an optional qualifier."""
    match = re.fullmatch(r"/2015-03-31/functions/([^/]+)/invocations", request.path)
    if request.method != "POST" or not match:
        yield Need(f"unknown:lambda {request.method} {request.path}", "*")
        return
    name = unquote(match.group(1))
    if name.startswith("arn:"):
        arn = name
    elif ":function:" in name:
        arn = f"arn:aws:lambda:{account.region}:{name}"
    else:
        arn = account.arn("lambda", f"function:{name}")
    qualifier = parse_qs(request.query).get("Qualifier", [None])[0]
    yield Need("lambda:InvokeFunction", f"{arn}:{qualifier}" if qualifier else arn)


def needs(request, account, websocket):
    """The permissions `request` needs. `websocket` is the (api id, stage) the function's
    WEBSOCKET_ENDPOINT names, for management API calls (moto serves those at its root)."""
    target = request.headers.get("x-amz-target", "")
    credential = request.headers.get("authorization", "")
    service = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", credential)
    service = service.group(1) if service else ""
    if target.startswith("DynamoDB_20120810."):
        return list(_dynamodb(request, target.split(".", 1)[1], account))
    if target.startswith("AmazonSQS."):
        return list(_sqs(request, target.split(".", 1)[1], account))
    if service == "sns":
        return list(_sns(request, account))
    if service == "ses":
        return list(_sesv2(request, account))
    if service == "s3":
        return list(_s3(request))
    if service == "lambda":
        return list(_lambda(request, account))
    if service == "execute-api" and "/@connections/" in request.path:
        connection = unquote(request.path.split("/@connections/", 1)[1])
        api, stage = websocket
        resource = account.arn("execute-api", f"{api}/{stage}/{request.method}/@connections/{connection}")
        return [Need("execute-api:ManageConnections", resource)]
    return [Need(f"unknown:{service or '?'} {request.method} {request.path} {target}", "*")]
