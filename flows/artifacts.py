"""Every artifact a flow publishes goes through here, so what partners typed (agency names,
titles, reasons) reaches the Prefect UI's markdown renderer only as inert text
(models/markdown.py): a table's cells and every description escaped, a markdown artifact's
body already escaped where it was written (tasks/overview.py, tasks/protocol/monitoring.py)."""

from collections.abc import Mapping, Sequence
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from models.markdown import markdown_text


def publish_table(key: str, table: Sequence[Mapping[str, Any]], description: str) -> None:
    """A table artifact: every text cell and the description as text, never markup."""
    create_table_artifact(
        key=key,
        table=[
            {name: markdown_text(v) if isinstance(v, str) else v for name, v in row.items()}
            for row in table
        ],
        description=markdown_text(description),
    )


def publish_markdown(key: str, markdown: str, description: str) -> None:
    """A markdown artifact whose body escaped what it quotes; its description as text."""
    create_markdown_artifact(key=key, markdown=markdown, description=markdown_text(description))
