"""Write docs/zh/lessons/README.md and docs/en/lessons/README.md from the lesson registry.

    python scripts/make_docs_index.py
"""

from pathlib import Path

from torchstart.lessons.runner import docs_index

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    for lang in ("zh", "en"):
        path = ROOT / "docs" / lang / "lessons" / "README.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(docs_index(lang), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
