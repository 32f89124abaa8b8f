"""The documentation site (docs/, mkdocs.yml) stays in step with the code.

- every page named in mkdocs.yml's nav exists, and every docs/*.md page is in the nav;
- every ``::: salesmetrics.x`` directive names a module that imports;
- the data-model page lists exactly the columns of the schemas (``column_kinds``);
- the fenced ```python examples of each page run, in order, in one namespace per page, unless the
  line before the fence is ``<!-- no-run: reason -->`` (the reason is required).

``make docs`` builds the site strictly (warnings are errors); these checks need no mkdocs.
"""

from __future__ import annotations

import importlib
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MKDOCS = ROOT / "mkdocs.yml"

pytestmark = pytest.mark.skipif(not MKDOCS.exists(), reason="no mkdocs.yml (an sdist without the docs)")

FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)
NO_RUN = re.compile(r"<!--\s*no-run:\s*(\S.*?)\s*-->\s*$")


def _nav_pages() -> list[str]:
    # the nav's values: "Title: path.md" or "- path.md"; read without yaml (mkdocs.yml is not loaded by the tests)
    text = MKDOCS.read_text(encoding="utf-8").split("\nnav:", 1)[1]
    text = re.split(r"\n\S", text, maxsplit=1)[0]
    return re.findall(r"([\w/.-]+\.(?:md|ipynb))\s*$", text, re.M)


def _pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def test_every_nav_page_exists_and_every_page_is_in_the_nav() -> None:
    nav = _nav_pages()
    assert nav, "mkdocs.yml has no nav"
    missing = [p for p in nav if not (DOCS / p).exists()]
    assert not missing, f"pages in mkdocs.yml's nav that do not exist: {missing}"
    orphans = [str(p.relative_to(DOCS)) for p in _pages() if str(p.relative_to(DOCS)) not in nav]
    assert not orphans, f"pages not in mkdocs.yml's nav: {orphans}"


def test_every_notebook_is_rendered() -> None:
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks == sorted(Path(p).name for p in _nav_pages() if p.endswith(".ipynb"))


@pytest.mark.parametrize("target", sorted({t for p in _pages() for t in re.findall(r"^:::\s*(\S+)", p.read_text("utf-8"), re.M)}))
def test_api_directive_imports(target: str) -> None:
    module = importlib.import_module(target)
    assert module.__doc__, f"{target} has no module docstring to render"


def test_data_model_page_matches_the_schemas() -> None:
    from salesmetrics.schemas import TABLES, column_kinds

    text = (DOCS / "data-model.md").read_text("utf-8")
    for table in TABLES:
        section = text.split(f"### {table}\n", 1)[1].split("###", 1)[0]
        rows = re.findall(r"^\| `(\w+)` \| (\w+) \| ([^|]*)\|", section, re.M)
        documented = {name: (kind, "yes" in req) for name, kind, req in rows}
        assert documented == column_kinds(table), f"docs/data-model.md, table {table}"


def _examples() -> list[tuple[str, list[str]]]:
    out = []
    for page in _pages():
        text = page.read_text("utf-8")
        blocks = []
        for m in FENCE.finditer(text):
            if m.group(1) != "python":
                continue
            before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
            if NO_RUN.search(before):
                continue
            assert "no-run" not in before, f"{page.name}: a no-run marker needs a reason: {before!r}"
            blocks.append(m.group(2))
        if blocks:
            out.append((str(page.relative_to(DOCS)), blocks))
    return out


@pytest.mark.parametrize(("page", "blocks"), _examples(), ids=[p for p, _ in _examples()])
def test_python_examples_run(page: str, blocks: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs.{page}"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, code in enumerate(blocks):
            exec(compile(code, f"docs/{page} (python block {i + 1})", "exec"), namespace)
