"""Text as markdown shows it: what partners type (agency names, titles, staff names, reasons)
goes into the Prefect UI's artifacts (markdown, table cells, descriptions: the UI renders all
three as markdown) only through `markdown_text`, so it shows as the same words and never as a
link, an image, HTML, emphasis or a broken table."""

import re

# what starts a link, an image, emphasis, code, a heading, a table cell or raw HTML; `(`, `)`,
# `-`, `.` and `:` start nothing on their own, so references and sentences stay as they read
_MARKUP = re.compile(r"([\\`*_{}\[\]!|~#+&@])")
# GFM's extended autolinks (http://..., www....) start a link with no markup at all
_AUTOLINK = re.compile(r"(:)//|\b(www)\.", re.IGNORECASE)


def markdown_text(value: object) -> str:
    """`value` as one line of inert markdown text: markup characters backslash-escaped, `<` and
    `>` as entities (no raw HTML, no <autolink>), the slashes of `://` and the dot of `www.`
    escaped (no GFM autolink), line breaks as spaces."""
    one_line = " ".join(str(value).split())
    escaped = _MARKUP.sub(r"\\\1", one_line)
    escaped = _AUTOLINK.sub(lambda m: r":\/\/" if m.group(1) else m.group(2) + r"\.", escaped)
    return escaped.replace("<", "&lt;").replace(">", "&gt;")
