"""A small, safe Markdown subset for lab text: paragraphs, fenced code, `code`, **bold**,
*italics*. Everything is HTML-escaped first, so lab files cannot inject markup."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_INLINE = [
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![*\w])\*([^*]+)\*(?!\w)"), r"<em>\1</em>"),
]


def _inline(text: str) -> str:
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"<code>{part[1:-1]}</code>")
            continue
        for pattern, repl in _INLINE[1:]:
            part = pattern.sub(repl, part)
        out.append(part)
    return "".join(out)


def render(text: str) -> SafeString:
    """HTML for a lab's Markdown text."""
    html, paragraph, code = [], [], None
    for line in escape(text).splitlines():
        if line.strip().startswith("```"):
            if code is None:
                if paragraph:
                    html.append(f"<p>{_inline(' '.join(paragraph))}</p>")
                    paragraph = []
                code = []
            else:
                html.append("<pre><code>" + "\n".join(code) + "</code></pre>")
                code = None
        elif code is not None:
            code.append(line)
        elif not line.strip():
            if paragraph:
                html.append(f"<p>{_inline(' '.join(paragraph))}</p>")
                paragraph = []
        else:
            paragraph.append(line.strip())
    if code is not None:
        html.append("<pre><code>" + "\n".join(code) + "</code></pre>")
    if paragraph:
        html.append(f"<p>{_inline(' '.join(paragraph))}</p>")
    return mark_safe("\n".join(html))  # noqa: S308 - built from escaped text only
