"""The SAM CLI with its Lambda emulator containers on the host network, and the template's
authorizer run by start-api. Written for aws-sam-cli 1.170.0 (pinned in scripts/python/sam.txt);
everything scripts/sam-local needs from SAM's internals is here, and it refuses to run under
another version: check the three patches below against the new one first.

    python scripts/sam-local-launcher.py local invoke ...      (the SAM venv's python; sam's arguments)
    python scripts/sam-local-launcher.py --images TEMPLATE  the base image of the derived template's
                                                            functions (scripts/sam-local-stage), and
                                                            the emulator image SAM builds on it

Why: on a Docker daemon without a bridge network (`dockerd --bridge=none`) a container reaches
127.0.0.1 (moto, the issuer's JWKS) only on the host network, and `--docker-network host` does not
give it one: SAM 1.170 then leaves the container on the default network. On the host network the
emulator's default addresses (the invoke API on :8080, the runtime API on 127.0.0.1:9001) would
also clash between two containers and with whatever else listens there. And SAM skips an HTTP API
authorizer whose FunctionArn is a !GetAtt, as template.yaml's is.
"""
import json
import os
import re
import socket
import sys

import samcli
from docker.models.containers import ContainerCollection
from samcli.cli.main import cli
from samcli.commands.local.lib.swagger.integration_uri import LambdaUri
from samcli.local.docker.container import Container
from samcli.local.docker.lambda_image import LambdaImage, Runtime

WRITTEN_FOR = "1.170.0"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


original_create = Container.create


def create_on_host_network(self, context):
    """Container.create, with the container on the host network and the emulator told to listen on
    the port SAM picked for it (`rapid_port_host`, free on 127.0.0.1) and to serve the function's
    runtime API on another free one. `_entrypoint` is the emulator's command line: its path first,
    then its options. The container is labelled with its run of scripts/sam-local (SAM_LOCAL_RUN), by
    which that run removes what an interrupted SAM leaves behind."""
    self._container_opts = {**(self._container_opts or {}), "network_mode": "host"}
    self._labels["bookworm.sam-local"] = os.environ.get("SAM_LOCAL_RUN", "")
    emulator, *options = self._entrypoint
    self._entrypoint = [
        emulator,
        "--runtime-interface-emulator-address", f"127.0.0.1:{self.rapid_port_host}",
        "--runtime-api-address", f"127.0.0.1:{free_port()}",
        *options,
    ]
    return original_create(self, context)


original_containers_create = ContainerCollection.create


def create_without_published_ports(self, image, command=None, **kwargs):
    """docker-py's create, which refuses published ports on the host network: SAM always publishes
    the emulator's port, and there the emulator listens on the host's port itself."""
    if kwargs.get("network_mode") == "host":
        kwargs.pop("ports", None)
    return original_containers_create(self, image, command, **kwargs)


original_function_name = LambdaUri.get_function_name


def function_name_with_getatt(function_arn):
    """LambdaUri.get_function_name, which reads an authorizer's FunctionArn only as a string or a
    Fn::Sub and skips the authorizer otherwise (so start-api would pass every request unchecked).
    template.yaml names it `!GetAtt AuthorizerFunction.Arn`: that function's ARN, so its logical id."""
    getatt = function_arn.get("Fn::GetAtt") if isinstance(function_arn, dict) else None
    if getatt:
        logical_id, attribute = getatt.split(".", 1) if isinstance(getatt, str) else getatt
        if attribute == "Arn":
            return logical_id
    return original_function_name(function_arn)


def images(template_path):
    """The base image of each function's runtime and architecture, and the emulator image SAM
    builds on it, named as SAM 1.170 names them (LambdaImage.build): e.g.
    public.ecr.aws/lambda/provided:al2023-x86_64 and public.ecr.aws/lambda/provided:al2023-rapid-x86_64."""
    template = json.load(open(template_path))
    defaults = template.get("Globals", {}).get("Function", {})
    found = set()
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            properties = {**defaults, **resource["Properties"]}
            architecture = properties["Architectures"][0]
            tag = Runtime.get_image_name_tag(properties["Runtime"], architecture)
            repository = f"{LambdaImage._INVOKE_REPO_PREFIX}/{tag.split(':')[0]}"
            version = re.split("[:-]", tag)[1]
            found.add((f"{repository}:{tag.split(':')[1]}", f"{repository}:{version}-rapid-{architecture}"))
    return sorted(found)


if __name__ == "__main__":
    if samcli.__version__ != WRITTEN_FOR:
        sys.exit(f"{__file__} patches aws-sam-cli {WRITTEN_FOR}, not {samcli.__version__}: check it")
    if sys.argv[1:2] == ["--images"]:
        found = images(sys.argv[2])
        if len(found) != 1:
            sys.exit(f"one runtime and architecture for every function expected, not {found}")
        print(*found[0], sep="\n")
    else:
        Container.create = create_on_host_network
        ContainerCollection.create = create_without_published_ports
        LambdaUri.get_function_name = staticmethod(function_name_with_getatt)
        cli(prog_name="sam")
