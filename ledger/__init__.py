"""The ledger: applications, decisions, grants and payments in a database,
with the policy's limits enforced against what was already granted (the
real-name management, online application, review and cross-checks a policy
asks for: 实名制管理, 网上申报、网上审核、联网核查).

A room on top of the engine: it imports ``interpreter`` and ``dsl``; nothing
below imports it. ``ledger.api.Ledger`` is the one API the command line
(``policy ledger …``) and the HTTP service call. See docs/ledger.md.
"""
