"""The ledger: applications, decisions, grants and payments in a database,
with the policy's limits enforced against what was already granted
(台政办发〔2020〕4号 七（三） 实名制管理, 七（四） 网上申报、网上审核、联网核查).

A room on top of the engine: it imports ``interpreter`` and ``dsl``; nothing
below imports it. ``ledger.api.Ledger`` is the one API the command line
(``policy ledger …``) and the HTTP service call. See docs/ledger.md.
"""
