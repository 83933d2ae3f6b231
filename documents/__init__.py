"""Documents for people, made from decisions: the decision notice
(审核结果通知书) as HTML or PDF. Built on the engine (``interpreter``); the
wording comes from the policy (notice.yaml), the layout from the Jinja2
templates in ``documents/templates``."""

from .notice import render_notice

__all__ = ["render_notice"]
