"""The one sanitizer: Markdown rendering and XSS payloads."""
import re
from html.parser import HTMLParser

import pytest

from educussion import text

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "<style>body{display:none}</style>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<form action=https://evil.example><button formaction=javascript:alert(1)>x</button></form>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">x</a>",
    "<object data=evil.swf></object><embed src=evil.swf>",
    "<details open ontoggle=alert(1)>",
    "![x](javascript:alert(1))",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>` and ```\n<script>alert(1)</script>\n```",
    "<base href=https://evil.example/>",
    "<meta http-equiv=refresh content=0;url=https://evil.example>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
]


class _Elements(HTMLParser):
    """Collects the real elements and attributes of rendered HTML (escaped text is not an element)."""

    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html: str):
    parser = _Elements()
    parser.feed(html)
    return parser.elements


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_active_content_survives(payload):
    out = text.render(payload)
    for tag, attrs in elements(out):
        assert tag in text.ALLOWED_TAGS, (payload, out)
        assert not any(name.startswith("on") or name in {"style", "formaction", "src"} for name in attrs), out
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("http://", "https://", "mailto:", "/", "#")), out
            assert not href.startswith("//"), out


def test_allow_list_never_contains_dangerous_tags_or_attributes():
    forbidden = {"svg", "math", "style", "noscript", "iframe", "form", "button", "script", "object", "embed"}
    assert not forbidden & set(text.ALLOWED_TAGS)
    for attributes in text.ALLOWED_ATTRIBUTES.values():
        assert not any(a.startswith("on") or a in {"formaction", "style"} for a in attributes)
    assert set(text.ALLOWED_PROTOCOLS) == {"http", "https", "mailto"}


def test_commonmark_tables_and_autolinks():
    out = text.render("| 項目 | 台数 |\n|---|---|\n| 端末 | 1,200 |\n\n詳しくは https://www.mext.go.jp/ をご覧ください")
    assert "<table>" in out and "<td>1,200</td>" in out
    assert '<a href="https://www.mext.go.jp/" rel="nofollow ugc noopener">https://www.mext.go.jp/</a>' in out


def test_links_get_rel_nofollow_ugc_noopener():
    out = text.render('[文部科学省](https://www.mext.go.jp/ "MEXT")')
    assert out == '<p><a href="https://www.mext.go.jp/" title="MEXT" rel="nofollow ugc noopener">文部科学省</a></p>'


def test_protocol_relative_and_odd_links_lose_their_href():
    assert 'href' not in text.render("[x](//evil.example/) [y](java%09script:alert(1))")
    assert 'href="/threads/3"' in text.render("[前のスレッド](/threads/3)")


def test_raw_html_is_shown_as_text():
    assert text.render("<b>太字</b>") == "<p>&lt;b&gt;太字&lt;/b&gt;</p>"


def test_headings_start_below_the_page_headings():
    assert text.render("# 見出し\n## 小見出し") == "<h3>見出し</h3>\n<h4>小見出し</h4>"


def test_plain_text_and_excerpt():
    html = text.render("**端末**の更新について &amp; 費用")
    assert text.plain_text(html) == "端末の更新について & 費用"
    assert text.excerpt(text.render("あ" * 200), 10) == "あ" * 9 + "…"


def test_tables_scroll_in_a_focusable_region_and_keep_column_alignment():
    out = text.render("| 項目 | 費用 |\n|:--|--:|\n| 端末 | 1,200 |")
    assert out.startswith('<div class="table-scroll" role="region" tabindex="0" aria-label="表"><table>')
    assert '<td class="align-right">1,200</td>' in out and out.endswith("</table>\n</div>")


def test_renderer_only_attributes_cannot_be_written_by_users():
    out = text.render('<div class="table-scroll" tabindex="5" onclick="x">a</div>')
    assert "<div" not in out


def test_flat_text_keeps_link_addresses_list_items_and_table_rows():
    from educussion.text import flat_text, render

    source = ("[配布資料](https://example.jp/a.pdf)と <https://example.jp/b> を参照。\n\n- 一つ目\n  - 入れ子\n"
              "- 二つ目\n\n3. 三\n4. 四\n\n| 項目 | 値 |\n|---|---|\n| 端末 | 1台 |\n")
    assert flat_text(render(source)) == (
        "配布資料（https://example.jp/a.pdf）と https://example.jp/b を参照。\n・一つ目\n　・入れ子\n・二つ目\n"
        "3. 三\n4. 四\n項目 | 値\n端末 | 1台")
    assert flat_text(render("<script>x</script> &amp; 1 < 2")) == "<script>x</script> & 1 < 2"


@pytest.mark.parametrize("source, levels", [
    ("## 概要\n\n本文\n\n### 詳細", ["h3", "h4"]),  # a まとめ written with ## sits right under the box's h2
    ("# 課題\n\n### 現状\n\n## 提案\n\n# 次", ["h3", "h4", "h4", "h3"]),  # no skipped level
    ("#### 小見出しだけ", ["h3"]),
    ("# 1\n## 2\n### 3\n#### 4\n##### 5\n###### 6", ["h3", "h4", "h5", "h6", "h6", "h6"]),
])
def test_headings_fit_under_the_pages_outline(source, levels):
    from educussion.text import render

    assert re.findall(r"<(h\d)>", render(source)) == levels
