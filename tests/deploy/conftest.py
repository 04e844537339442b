"""The deploy rehearsal: template.yaml, translated by the SAM translator of the SAM venv
(scripts/test names its Python in SAM_PYTHON), created as a stack in moto's CloudFormation, then
every function's binary run against that stack with the environment the stack gave it, each
request it sends recorded.

moto here runs in-process behind a recorder, apart from the moto that the cargo tests use.
"""

import ast
import io
import json
import os
import re
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import boto3
import pytest
import yaml
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server
from werkzeug.wrappers import Request as WsgiRequest

from iam import Account, Request

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import moto_speed  # noqa: E402
from moto_idempotency import IdempotentTransactions  # noqa: E402
ACCOUNT = Account(region="us-east-1", account="123456789012")
STACK = "bookworm-rehearsal"
# What `sam deploy --guided` would ask for. The issuer is never reached: the authorizer's sample
# events are refused before a key is looked up.
PARAMETERS = {
    "Stage": "rehearsal",
    "AuthIssuer": "http://127.0.0.1:9/realms/bookworm",
    "AuthJwksUrl": "http://127.0.0.1:9/realms/bookworm/certs",
    "AuthAudience": "bookworm",
    "MailFrom": "orders@bookworm.example",
}
# The harness's own requests (stack, seed data, read-backs) are signed with this key; a
# function's carry its logical id, so every recorded request names its sender.
HARNESS_KEY = "HARNESS"
# Where the stack's functions' code is: a placeholder (the rehearsal runs the local binaries).
PACKAGE_BUCKET = "bookworm-rehearsal-packages"
PACKAGE_KEY = "placeholder.zip"


class RecordingMoto:
    """moto's server app, with every request recorded under the access key that signed it, and
    failures injected where moto cannot produce them (a gone WebSocket, a rejected email)."""

    def __init__(self):
        # moto delivers a table's stream records to its mapped functions itself, by running them
        # in Docker, on every write and with every record so far when that fails: with the
        # catalog's stream mapped, seeding took long enough for SDK retries to collide with
        # their own first attempts. The rehearsal invokes the stream consumers itself.
        from moto.awslambda.models import LambdaBackend, LambdaFunction
        LambdaBackend.send_dynamodb_items = lambda self, function_arn, items, source: "delivered by the rehearsal"
        # An invoked function would be run in Docker too (or fail to be, without it): moto only
        # queues it here, and the rehearsal runs the recorded payload itself (fan-out's shards).
        LambdaFunction.invoke = lambda self, body, request_headers, response_headers: b""
        moto_speed.install()  # a table backed up once per transaction, not once per item
        self.requests = []
        # [sender, path or target fragment, status, error type, extra body, times left, applied]
        self.faults = []
        self._lock = threading.Lock()
        app = IdempotentTransactions(DomainDispatcherApplication(create_backend_app))

        def recording(environ, start_response):
            request = WsgiRequest(environ)
            body = request.get_data(cache=True)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            key = re.search(r"Credential=([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
            if key and key.group(1) != HARNESS_KEY:
                headers = {name.lower(): value for name, value in request.headers.items()}
                recorded = Request(key.group(1), request.method, request.path, request.query_string.decode(), headers, body)
                with self._lock:
                    self.requests.append(recorded)
                    fault = self._fault(recorded)
                if fault:
                    status, error, extra, applied = fault
                    if applied:
                        b"".join(app(environ, lambda *_: None))
                    body = {"__type": error, "message": f"{error} (injected by the rehearsal)", **extra}
                    body = json.dumps(body).encode()
                    start_response(status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", error)])
                    return [body]
            return app(environ, start_response)

        self.server = make_server("127.0.0.1", 0, recording, threaded=True, request_handler=MotoRequestHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def inject(self, sender, fragment, status, error, times=1, applied=False, **extra):
        """The next `times` requests of `sender` whose path or X-Amz-Target contains `fragment`
        fail with `status` and `error` (and `extra` fields in the body), as AWS answers them;
        `applied`: after moto has carried the request out (its answer lost on the way)."""
        with self._lock:
            self.faults.append([sender, fragment, status, error, extra, times, applied])

    def lose_answer(self, sender, fragment):
        """The next request of `sender` matching `fragment` is carried out, then answered 500
        (DynamoDB's InternalServerError, which the SDK retries): a write that landed whose
        answer was lost. The retry must succeed, not report a conflict with itself."""
        self.inject(sender, fragment, "500 Internal Server Error", "InternalServerError", applied=True)

    def lost_answers_left(self):
        with self._lock:
            return [f[:2] for f in self.faults if f[6] and f[5]]

    def _fault(self, request):
        for fault in self.faults:
            sender, fragment, status, error, extra, left, applied = fault
            target = request.path + " " + request.headers.get("x-amz-target", "")
            if left and sender == request.access_key and fragment in target:
                fault[5] -= 1
                return status, error, extra, applied
        return None

    def harness_environment(self, **variables):
        """The environment for a local binary (seed, create-tables) acting as the harness."""
        return dict(
            os.environ,
            AWS_REGION=ACCOUNT.region,
            AWS_ACCESS_KEY_ID=HARNESS_KEY,
            AWS_SECRET_ACCESS_KEY="harness",
            AWS_ENDPOINT_URL=self.endpoint,
            **variables,
        )

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=ACCOUNT.region,
            aws_access_key_id=HARNESS_KEY,
            aws_secret_access_key="harness",
        )

    def sent_by(self, function):
        with self._lock:
            return [r for r in self.requests if r.access_key == function]

    def stop(self):
        self.server.shutdown()
        self.thread.join()


@pytest.fixture(scope="session")
def moto():
    server = RecordingMoto()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def translated(tmp_path_factory):
    python = os.environ.get("SAM_PYTHON")
    if not python:
        pytest.fail("SAM_PYTHON must name the SAM venv's Python: run scripts/test")
    folder = tmp_path_factory.mktemp("translated")
    (folder / "parameters.json").write_text(json.dumps(PARAMETERS))
    subprocess.run(
        [python, str(Path(__file__).with_name("translate.py")), str(ROOT / "template.yaml"),
         str(folder / "parameters.json"), f"s3://{PACKAGE_BUCKET}/{PACKAGE_KEY}", str(folder / "template.json")],
        check=True,
        env=dict(os.environ, AWS_DEFAULT_REGION=ACCOUNT.region),
    )
    return json.loads((folder / "template.json").read_text())


class Stack:
    """The rehearsed stack: its resources by logical id, and what moto made of them."""

    def __init__(self, moto, translated):
        self.moto = moto
        self.translated = translated
        cloudformation = moto.client("cloudformation")
        summaries = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
        self.physical = {s["LogicalResourceId"]: s.get("PhysicalResourceId") for s in summaries}
        self.status = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]

    def resources(self, kind):
        return {name: r for name, r in self.translated["Resources"].items() if r["Type"] == kind}

    def arn(self, logical_id):
        """The ARN of a queue or topic of the stack."""
        physical = self.physical[logical_id]
        if physical.startswith("arn:"):
            return physical
        attributes = self.moto.client("sqs").get_queue_attributes(QueueUrl=physical, AttributeNames=["QueueArn"])
        return attributes["Attributes"]["QueueArn"]

    def function_configuration(self, logical_id):
        return self.moto.client("lambda").get_function_configuration(FunctionName=self.physical[logical_id])

    def role_documents(self, function_logical_id):
        """Every policy of the function's role as (name, document, managed): inline ones as
        moto resolved them, AWS managed ones from moto's copy of AWS's own."""
        iam = self.moto.client("iam")
        role = self.function_configuration(function_logical_id)["Role"].rsplit("/", 1)[1]
        documents = []
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            documents.append((name, _document(document), False))
        # moto does not attach AWS managed policies it has not loaded: take them from the template.
        managed = json.loads(aws_managed_policies_data)
        (role_id, _), = self.translated["Resources"][function_logical_id]["Properties"]["Role"].values()
        for arn in self.translated["Resources"][role_id]["Properties"].get("ManagedPolicyArns", []):
            name = arn.rsplit("/", 1)[1]
            documents.append((name, managed[name]["Document"], True))
        return documents


def _document(document):
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            # moto 5.2.5 answers GetRolePolicy for a role made by CloudFormation with the Python
            # repr of the (resolved) document rather than JSON.
            document = ast.literal_eval(document)
    # moto resolves AWS::NoValue in a list to None where CloudFormation drops the element
    # (a statement under a condition that does not hold, such as a push platform not offered).
    document["Statement"] = [statement for statement in document["Statement"] if statement is not None]
    for statement in document["Statement"]:
        for element in ("Resource", "NotResource", "Action", "NotAction"):
            if isinstance(statement.get(element), list):
                statement[element] = [v for v in statement[element] if v is not None]
    return document


@pytest.fixture(scope="session")
def stack(moto, translated):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket=PACKAGE_BUCKET)
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("bootstrap", "placeholder: the rehearsal runs the debug binaries\n")
    s3.put_object(Bucket=PACKAGE_BUCKET, Key=PACKAGE_KEY, Body=package.getvalue())
    moto.client("cloudformation").create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(translated),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    return Stack(moto, translated)


@pytest.fixture(scope="session")
def rehearsal(moto, stack, tmp_path_factory):
    from scenario import rehearse

    return rehearse(moto, stack, tmp_path_factory.mktemp("function-logs"))


def binary_dir():
    target = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps", "--manifest-path", str(ROOT / "Cargo.toml")],
            check=True,
            capture_output=True,
        ).stdout
    )["target_directory"]
    return Path(target) / "debug"


def rehearsed_functions():
    """The template's functions (logical ids), for tests that check each on its own."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)  # !Ref, !Sub, …
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)
    return sorted(n for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function")


def pytest_generate_tests(metafunc):
    if "function" in metafunc.fixturenames:
        metafunc.parametrize("function", rehearsed_functions())
