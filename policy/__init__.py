"""The bundled policy: 台政办发〔2020〕4号 (台儿庄区职业技能提升行动实施方案（2019—2021年）).

A data package: the YAML files and JSON Schemas in this folder are the policy;
this module only marks the folder so the tool can find it.
"""
