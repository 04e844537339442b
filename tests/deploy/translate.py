"""Translates template.yaml with the SAM translator, as `sam deploy` has CloudFormation do.

Run with the SAM venv's Python (scripts/test does): the translator there is the one `sam`
ships. Local CodeUris become the S3 object the rehearsal uploads, as `sam deploy` would
replace them with the packages it uploaded.

    python translate.py TEMPLATE PARAMETERS_JSON CODE_URI OUTPUT_JSON
"""

import json
import sys

import boto3
from samcli.yamlhelper import yaml_parse
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

def no_managed_policy_names():
    # Our functions name no AWS managed policy; SAM asks for this map only when one does.
    raise SystemExit("template.yaml names a managed policy by name: give its ARN instead")


def main(template_path, parameters_path, code_uri, output_path):
    with open(template_path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    with open(parameters_path, encoding="utf-8") as f:
        parameters = json.load(f)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = code_uri
        # A layer's local folder becomes an uploaded object too (its content is not read).
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = code_uri
    translator = Translator(
        managed_policy_map=None,
        sam_parser=Parser(),
        plugins=[],
        boto_session=boto3.session.Session(region_name="us-east-1"),
    )
    translated = translator.translate(
        sam_template=template,
        parameter_values=parameters,
        get_managed_policy_map=no_managed_policy_names,
    )
    with open(output_path, "w", encoding="utf-8") as f:
        json.dump(translated, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
