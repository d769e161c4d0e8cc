"""What partners type (agency names, titles, staff names) is text in every Prefect markdown
artifact: rendered as the Prefect UI renders markdown, it makes no link, image or HTML."""

import re
from html import unescape
from pathlib import Path

import pendulum
from markdown_it import MarkdownIt

from models.markdown import markdown_text
from tasks.overview import Deadline, Overview
from tasks.protocol.monitoring import MonitoringSummary

HOSTILE = [
    "[text](javascript:alert(1))",
    "![x](https://evil.example/pixel.png)",
    "<a href='javascript:alert(1)'>click</a>",
    "<img src=x onerror=alert(1)>",
    "https://evil.example/phish",
    "www.evil.example",
    "x | y ---|---",
    "*bold* _em_ `code` ~~del~~",
    "line\nbreak # heading",
    "<https://evil.example>",
    "[ref]\n\n[ref]: javascript:alert(1)",
]


def _html(markdown: str) -> str:
    # CommonMark with raw HTML and GFM's tables on, as permissive as the UI's renderer
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)


def test_escaped_text_renders_as_the_same_text_and_never_as_a_link_image_or_html() -> None:
    for text in HOSTILE:
        html = _html(f"| a |\n|---|\n| before {markdown_text(text)} after |\n")
        for made in ("<a ", "<img", "<h1", "<h2", "<script", "<code", "<em", "<strong"):
            assert made not in html, (text, made, html)
        assert html.count("<td>") == 1, (text, html)
        [cell] = re.findall(r"<td>(.*?)</td>", html, re.S)
        # the same words, shown as they were typed (on one line)
        assert unescape(cell) == f"before {' '.join(text.split())} after", (text, html)


def test_escaped_text_starts_no_gfm_autolink_and_leaves_references_and_sentences_as_they_read() -> (
    None
):
    for text in (
        "https://evil.example/x",
        "see www.evil.example",
        "ftp://x.example",
        "a@b.example",
    ):
        escaped = markdown_text(text)
        assert "://" not in escaped and "www." not in escaped.lower() and "a@b" not in escaped
    for plain in ("ISA-2026-0001", "Withdrawal of Northshire NHS Trust (Breach): ended 1.5"):
        assert markdown_text(plain) == plain


def test_the_register_overview_artifact_shows_a_hostile_agency_name_as_text() -> None:
    # (markdown-it itself refuses a javascript: link; the Prefect UI's renderer is trusted less)
    name = "[Northshire](https://evil.example/x) ![p](https://evil.example/p.png) <b>x</b>"
    overview = Overview(as_of="2026-11-25", days=30, until="2026-12-25")
    overview.overdue.append(
        Deadline("2026-11-20", "review overdue by 5 days", "ISA-2026-0001", name, name)
    )
    overview.coming.append(Deadline("2026-12-01", "review due", "ISA-2026-0002", name, name))
    overview.changed["arrangement.approve"] = {"count": 1, "references": [name]}
    html = _html(overview.markdown())
    assert "href" not in html and "<img" not in html
    assert "https://evil.example/x" in html  # shown, as text
    assert html.count("<table>") == 2  # the name broke no table


def test_the_monitoring_summary_artifact_shows_hostile_names_as_text() -> None:
    name = "<img src=x onerror=alert(1)> [a](javascript:x)"
    summary = MonitoringSummary(
        period="2026",
        start=pendulum.date(2026, 1, 1),
        end=pendulum.date(2026, 12, 31),
        arrangements_by_status={"active": 1},
        figures={"approved": 1},
        training={name: {"trained": 1, "untrained": 0}},
        lapsed=((name, name, name, "2026-06-01"),),
    )
    html = _html(summary.markdown())
    assert "href" not in html and "<img" not in html


def test_every_artifact_is_published_through_the_one_escaping_helper() -> None:
    root = Path(__file__).parents[2]
    direct = [
        str(path.relative_to(root))
        for folder in ("flows", "tasks", "isa", "web", "notifications")
        for path in (root / folder).rglob("*.py")
        if re.search(r"create_\w+_artifact\(", path.read_text())
        and path != root / "flows" / "artifacts.py"
    ]
    assert direct == []
