"""Markdown to sanitized HTML: the only place that calls bleach.

`render(source)` is what services store as `body_html`; templates mark nothing else as safe.
"""
from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import partial
from html.parser import HTMLParser
from urllib.parse import unquote

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({
    "div", "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
})
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "ol": ["start"],
    "div": ["class", "role", "tabindex", "aria-label"],
    "th": ["class"],
    "td": ["class"],
    "img": ["src", "alt", "loading"],  # only the post's own attached images (render's `images`)
}
# Attributes that only our renderer writes, with the only values they may have.
FIXED_VALUES = {
    ("div", "class"): {"table-scroll"},
    ("div", "role"): {"region"},
    ("div", "tabindex"): {"0"},
    ("div", "aria-label"): {"表"},
    ("th", "class"): {"align-left", "align-center", "align-right"},
    ("td", "class"): {"align-left", "align-center", "align-right"},
    ("img", "loading"): {"lazy"},
}
ATTACHED_IMAGE_PREFIX = "/files/"  # the only place an <img> may point to: this site's own downloads
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

# CommonMark with GFM tables and autolinks; raw HTML is shown as text, never passed through.
_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    .enable(["table", "strikethrough", "linkify"])
    .disable("image")  # no third-party images (tracking); the alt text is written out instead
)


HEADING_BASE = 3  # a post or a まとめ sits under the page's h1 and a section's h2: its headings start at h3


def _fit_headings(tokens, base: int = HEADING_BASE) -> None:
    """Fit the text's headings under the page's outline: the highest level used becomes h3 (`base`), the others
    follow in order without skipping a level (「## 概要」 under an h2 is an h3; # then ### is h3 then h4)."""
    used = sorted({token.tag for token in tokens if token.type == "heading_open"})
    previous = base - 1
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        level = min(base + used.index(token.tag), previous + 1, 6)
        token.tag = tokens[index + 2].tag = f"h{level}"  # heading_open, inline, heading_close
        previous = level


def _table_open(renderer, tokens, idx, options, env):
    # Wide tables scroll inside a keyboard-focusable, named region (WCAG 2.1.1), not the whole page.
    return '<div class="table-scroll" role="region" tabindex="0" aria-label="表">' + renderer.renderToken(
        tokens, idx, options, env
    )


def _table_close(renderer, tokens, idx, options, env):
    return renderer.renderToken(tokens, idx, options, env) + "</div>"


def _cell_open(renderer, tokens, idx, options, env):
    # Column alignment as a class: inline styles are neither allowed nor permitted by the CSP.
    token = tokens[idx]
    style = token.attrs.pop("style", None)
    if style:
        token.attrs["class"] = "align-" + str(style).split(":", 1)[1].strip()
    return renderer.renderToken(tokens, idx, options, env)


_markdown.add_render_rule("table_open", _table_open)
_markdown.add_render_rule("table_close", _table_close)
_markdown.add_render_rule("th_open", _cell_open)
_markdown.add_render_rule("td_open", _cell_open)


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    if (tag, name) in FIXED_VALUES:
        return value in FIXED_VALUES[(tag, name)]
    if (tag, name) == ("img", "src"):
        return value.startswith(ATTACHED_IMAGE_PREFIX) and not value.startswith("//")
    if name == "href":
        # Absolute links with an allowed scheme, or links within this site; nothing ambiguous.
        lowered = value.strip().lower()
        return lowered.startswith(("http://", "https://", "mailto:", "/", "#")) and not lowered.startswith("//")
    return True


def _set_rel(attrs, new=False):
    attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_allowed_attribute,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False)],
)


# With a post's attached images: ![写真](写真.jpg) shows the attached 写真.jpg; any other image is its alt text.
_markdown_with_images = (
    MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    .enable(["table", "strikethrough", "linkify"])
)
for _rule, _function in (("table_open", _table_open), ("table_close", _table_close), ("th_open", _cell_open),
                         ("td_open", _cell_open)):
    _markdown_with_images.add_render_rule(_rule, _function)


def _attached_image(renderer, tokens, idx, options, env):
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    url = env.get("images", {}).get(unquote(str(token.attrGet("src") or "")).strip())
    if url is None:
        return html.escape(alt)
    return f'<img src="{html.escape(url)}" alt="{html.escape(alt)}" loading="lazy">'


_markdown_with_images.add_render_rule("image", _attached_image)


def render(source: str, images: Mapping[str, str] | None = None, *, top_heading: int = HEADING_BASE) -> str:
    """Markdown source → HTML that is safe to show as it is. `images` maps the names of the post's attached
    images to their addresses on this site: `![説明](写真.jpg)` shows that image, and nothing else can. Its
    headings start at h`top_heading` (h3: under a page's h1 and a section's h2; a page of the council's site,
    whose text is the whole page, starts at h2)."""
    markdown = _markdown_with_images if images else _markdown
    env: dict = {"images": dict(images or {})}
    tokens = markdown.parse(source or "", env)
    _fit_headings(tokens, max(2, min(top_heading, 6)))
    return _cleaner.clean(markdown.renderer.render(tokens, markdown.options, env)).strip()


_BLOCK_TAG = re.compile(r"</?(?:p|br|hr|h[1-6]|li|ul|ol|pre|blockquote|table|thead|tbody|tr|td|th)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain_text(body_html: str) -> str:
    """Readable text of stored HTML, for excerpts, e-mails and search.

    Block boundaries become spaces; inline tags vanish without one (Japanese has no spaces between words).
    """
    text = _TAG.sub("", _BLOCK_TAG.sub(" ", body_html or ""))
    return _SPACE.sub(" ", html.unescape(text)).strip()


_BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "table", "tr", "hr"})


class _FlatText(HTMLParser):
    """Walks our own sanitized HTML: one line per block and per list item, links with their address."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[list] = []  # [tag, next number] per open list
        self.links: list[tuple[str, int]] = []  # (href, where its text starts in out)
        self.cells = 0
        self.pre = 0

    def _newline(self):
        if self.out and not self.out[-1].endswith("\n"):
            self.out.append("\n")

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS or tag == "br":
            self._newline()
        if tag == "tr":
            self.cells = 0
        elif tag in ("td", "th"):
            if self.cells:
                self.out.append(" | ")
            self.cells += 1
        elif tag in ("ul", "ol"):
            self._newline()
            self.lists.append([tag, int(dict(attrs).get("start") or 1)])
        elif tag == "li":
            self._newline()
            depth = max(len(self.lists) - 1, 0)
            kind = self.lists[-1] if self.lists else ["ul", 1]
            marker = f"{kind[1]}. " if kind[0] == "ol" else "・"
            if kind[0] == "ol":
                kind[1] += 1
            self.out.append("　" * depth + marker)
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.out)))
        if tag == "pre":
            self.pre += 1

    def handle_endtag(self, tag):
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self._newline()
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.out[start:]).strip()
            address = href[len("mailto:"):] if href.startswith("mailto:") else href
            if address and label not in (href, address):
                self.out.append(f"（{address}）")
        elif tag in _BLOCKS or tag == "li":
            self._newline()
        if tag == "pre":
            self.pre = max(self.pre - 1, 0)

    def handle_data(self, data):
        # Outside <pre>, line breaks in the HTML source are only spacing between tags.
        self.out.append(data if self.pre else _SPACE.sub(" ", data))


_BLANK_LINES = re.compile(r"\n{2,}")
_SPACES = re.compile(r" {2,}")


def flat_text(body_html: str) -> str:
    """Text of stored HTML for flat formats (spreadsheets, CSV, Markdown quotes): each paragraph and list
    item on a line of its own (「・」 or 「1.」), and every link with its address: 「総会資料（https://…）」."""
    parser = _FlatText()
    parser.feed(body_html or "")
    parser.close()
    lines = [_SPACES.sub(" ", line).strip(" ") for line in "".join(parser.out).split("\n")]
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()


def excerpt(body_html: str, length: int = 120) -> str:
    text = plain_text(body_html)
    return text if len(text) <= length else text[: length - 1] + "…"
