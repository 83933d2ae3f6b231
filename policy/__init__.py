"""The bundled policy (which document it encodes: document.yaml).

A data package: the YAML files and JSON Schemas in this folder are the policy;
this module only marks the folder so the tool can find it.
"""
