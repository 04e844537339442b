"""The evaluator and the request mapping, each rule tried from the side that would break it."""

import json

import pytest

from iam import Account, Need, Request, UnsupportedPolicy, is_allowed, needs

ACCOUNT = Account("us-east-1", "123456789012")
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/claims"


def policy(*statements):
    return [{"Version": "2012-10-17", "Statement": list(statements)}]


def allow(action, resource, **extra):
    return dict(Effect="Allow", Action=action, Resource=resource, **extra)


def test_an_action_or_resource_not_granted_is_denied():
    role = policy(allow(["dynamodb:PutItem", "dynamodb:DeleteItem"], TABLE))
    assert is_allowed(role, Need("dynamodb:PutItem", TABLE))
    assert not is_allowed(role, Need("dynamodb:UpdateItem", TABLE))
    assert not is_allowed(role, Need("dynamodb:PutItem", TABLE + "-other"))
    assert not is_allowed(role, Need("dynamodb:PutItem", TABLE + "/index/by_shop"))


def test_actions_ignore_case_resources_do_not():
    role = policy(allow("DynamoDB:putitem", TABLE))
    assert is_allowed(role, Need("dynamodb:PutItem", TABLE))
    assert not is_allowed(role, Need("dynamodb:PutItem", TABLE.upper()))


def test_wildcards_are_star_and_question_mark_only():
    role = policy(allow("dynamodb:*Item", "arn:aws:dynamodb:*:*:table/claim?"))
    assert is_allowed(role, Need("dynamodb:GetItem", TABLE))
    assert not is_allowed(role, Need("dynamodb:Query", TABLE))
    literal = policy(allow("s3:GetObject", "arn:aws:s3:::bucket/[ab]"))
    assert not is_allowed(literal, Need("s3:GetObject", "arn:aws:s3:::bucket/a"))
    assert is_allowed(literal, Need("s3:GetObject", "arn:aws:s3:::bucket/[ab]"))


def test_an_explicit_deny_wins():
    role = policy(allow("dynamodb:*", "*"), dict(Effect="Deny", Action="dynamodb:DeleteItem", Resource=TABLE))
    assert is_allowed(role, Need("dynamodb:PutItem", TABLE))
    assert not is_allowed(role, Need("dynamodb:DeleteItem", TABLE))


def test_not_resource_grants_everything_else():
    role = policy(dict(Effect="Allow", Action="sns:Publish", NotResource="arn:aws:sns:*:*:*"))
    assert is_allowed(role, Need("sns:Publish", "*"))
    assert not is_allowed(role, Need("sns:Publish", "arn:aws:sns:us-east-1:123456789012:topic"))


def test_a_failed_condition_only_skips_its_statement():
    sender = allow("ses:SendEmail", "*", Condition={"StringEquals": {"ses:FromAddress": "orders@x.example"}})
    role = policy(sender)
    assert is_allowed(role, Need("ses:SendEmail", "id", (("ses:FromAddress", "orders@x.example"),)))
    assert not is_allowed(role, Need("ses:SendEmail", "id", (("ses:FromAddress", "spoof@x.example"),)))
    assert not is_allowed(role, Need("ses:SendEmail", "id"))  # no key, no match
    # Unlike moto's evaluator, a failed condition is not a Deny: another statement may allow.
    assert is_allowed(policy(sender, allow("ses:SendEmail", "id")), Need("ses:SendEmail", "id"))


def test_an_operator_it_does_not_model_fails_loudly():
    role = policy(allow("ses:SendEmail", "*", Condition={"ForAnyValue:StringLike": {"ses:Recipients": "*"}}))
    with pytest.raises(UnsupportedPolicy):
        is_allowed(role, Need("ses:SendEmail", "*"))


def dynamodb(operation, body):
    headers = {"x-amz-target": f"DynamoDB_20120810.{operation}"}
    return Request("Fn", "POST", "/", "", headers, json.dumps(body).encode())


def test_a_transaction_needs_each_items_own_action():
    request = dynamodb(
        "TransactWriteItems",
        {"TransactItems": [
            {"Put": {"TableName": "orders"}},
            {"Delete": {"TableName": "baskets"}},
            {"ConditionCheck": {"TableName": "orders"}},
            {"Update": {"TableName": "events"}},
        ]},
    )
    table = lambda name: f"arn:aws:dynamodb:us-east-1:123456789012:table/{name}"  # noqa: E731
    assert needs(request, ACCOUNT, None) == [
        Need("dynamodb:PutItem", table("orders")),
        Need("dynamodb:DeleteItem", table("baskets")),
        Need("dynamodb:ConditionCheckItem", table("orders")),
        Need("dynamodb:UpdateItem", table("events")),
    ]


def test_a_query_on_an_index_needs_the_index():
    request = dynamodb("Query", {"TableName": "connections", "IndexName": "by_shop"})
    assert needs(request, ACCOUNT, None) == [
        Need("dynamodb:Query", "arn:aws:dynamodb:us-east-1:123456789012:table/connections/index/by_shop")
    ]


def test_a_management_call_names_api_stage_method_and_connection():
    headers = {"authorization": "AWS4-HMAC-SHA256 Credential=Fn/20261124/us-east-1/execute-api/aws4_request"}
    request = Request("Fn", "DELETE", "/@connections/abc%3D", "", headers, b"")
    assert needs(request, ACCOUNT, ("api123", "prod")) == [
        Need("execute-api:ManageConnections", "arn:aws:execute-api:us-east-1:123456789012:api123/prod/DELETE/@connections/abc=")
    ]


def test_an_invoke_needs_the_function_it_names_however_it_is_named():
    headers = {"authorization": "AWS4-HMAC-SHA256 Credential=Fn/20261124/us-east-1/lambda/aws4_request"}
    arn = "arn:aws:lambda:us-east-1:123456789012:function:fanout"
    for named in ("fanout", "123456789012%3Afunction%3Afanout", "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afanout"):
        request = Request("Fn", "POST", f"/2015-03-31/functions/{named}/invocations", "", headers, b"{}")
        assert needs(request, ACCOUNT, None) == [Need("lambda:InvokeFunction", arn)], named
    qualified = Request("Fn", "POST", "/2015-03-31/functions/fanout/invocations", "Qualifier=live", headers, b"{}")
    (need,) = needs(qualified, ACCOUNT, None)
    role = policy(allow("lambda:InvokeFunction", arn))
    assert need == Need("lambda:InvokeFunction", arn + ":live")
    assert not is_allowed(role, need), "a grant on the function is not one on its aliases"
    other = Request("Fn", "POST", "/2015-03-31/functions/email/invocations", "", headers, b"{}")
    assert not is_allowed(role, needs(other, ACCOUNT, None)[0])
    listing = Request("Fn", "GET", "/2015-03-31/functions/", "", headers, b"")
    assert not is_allowed(policy(allow("lambda:*", "*")), needs(listing, ACCOUNT, None)[0])


def test_a_request_it_cannot_map_is_never_allowed():
    request = Request("Fn", "GET", "/something", "", {}, b"")
    (need,) = needs(request, ACCOUNT, None)
    assert not is_allowed(policy(allow("dynamodb:*", "*")), need)


def test_leading_keys_hold_a_grant_to_its_prefix():
    figures = "arn:aws:dynamodb:us-east-1:123456789012:table/figures"
    role = policy(allow("dynamodb:GetItem", figures,
                        Condition={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["COPURCHASE#*"]}}))
    get = lambda pk: dynamodb("GetItem", {"TableName": "figures", "Key": {"pk": {"S": pk}, "sk": {"S": "X"}}})  # noqa: E731
    (ours,) = needs(get("COPURCHASE#1"), ACCOUNT, None)
    assert ours.context == (("dynamodb:LeadingKeys", "COPURCHASE#1"),)
    assert is_allowed(role, ours)
    (theirs,) = needs(get("CUSTOMER#ann"), ACCOUNT, None)
    assert not is_allowed(role, theirs), "another key of the same table"
    negated = policy(allow("dynamodb:GetItem", figures,
                           Condition={"ForAllValues:StringNotLike": {"dynamodb:LeadingKeys": "X*"}}))
    with pytest.raises(UnsupportedPolicy):
        is_allowed(negated, ours)
