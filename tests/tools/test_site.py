"""torchstart docs: the course site MkDocs builds from the package — pages, pictures, links, search, the CLI."""

from __future__ import annotations

import errno
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from torchstart.cli import main
from torchstart.course import chapters
from torchstart.errors import ConfigError, ResourceError
from torchstart.tools.site import build as site_build
from torchstart.tools.site.search import search
from torchstart.tools.site.serve import start_server

pytestmark = pytest.mark.slow  # the session builds the site once (~5 s)


def test_every_page_is_there_in_both_languages_with_its_pictures(course_site):
    _, site = course_site
    guides = ("exercises", "cli", "recipes", "speedrun", "data", "gpu", "tools", "transfer", "share", "architecture",
              "development")
    for prefix in ("", "en/"):
        assert (site / prefix / "index.html").is_file()
        for page in [f"lessons/{c.slug}.html" for c in chapters()] + [f"{g}.html" for g in guides]:
            assert (site / prefix / page).is_file(), prefix + page
    for prefix in ("", "en/"):  # every picture a page shows is a file of the site (MkDocs --strict checks links)
        for page in (site / prefix).glob("lessons/*.html"):
            for src in re.findall(r'<img[^>]+src="([^"]+)"', page.read_text(encoding="utf-8")):
                assert (page.parent / src).is_file(), f"{page.name} shows {src}, which the site lacks"
    assert (site / "lessons/09-conv/cell12-1.png").is_file() and (site / "images/train-curves.png").is_file()


def test_a_page_links_to_itself_in_the_other_language_and_to_readable_sources(course_site):
    _, site = course_site
    zh = (site / "lessons/09-conv.html").read_text(encoding="utf-8")
    en = (site / "en/lessons/09-conv.html").read_text(encoding="utf-8")
    assert re.search(r'href="[./]*en/lessons/09-conv\.html"[^>]*hreflang="en"', zh)
    assert re.search(r'href="[./]*lessons/09-conv\.html"[^>]*hreflang="zh"', en)
    assert "第 9 课 卷积" in zh and "Lesson 9" in en
    assert "torch.Size([1, 1, 5, 5])" in zh  # the executed output block
    speedrun = (site / "speedrun.html").read_text(encoding="utf-8")
    assert 'href="source/torchstart/training/engine.py.html' in speedrun
    source = (site / "source/torchstart/training/engine.py.html").read_text(encoding="utf-8")
    assert "def fit(" in re.sub(r"<[^>]+>", "", source)  # the code, highlighted


@pytest.mark.parametrize(("words", "lang", "first"), [
    ("卷积", "zh", "lessons/09-conv.html"), ("convolution", "en", "en/lessons/09-conv.html"),
    ("反向传播", "zh", "lessons/14-losses.html"), ("backpropagation", "en", "en/lessons/14-losses.html"),
    ("数据增强", "zh", "lessons/06-transforms.html"), ("augmentation", "en", "en/lessons/21-speedrun.html"),
])
def test_search_finds_the_page_about_it_first(course_site, words, lang, first):
    hits = search(course_site[1], words, lang)
    assert hits[0].location == first, [h.location for h in hits]
    assert all(h.location.startswith("en/") == (lang == "en") for h in hits)


@pytest.mark.parametrize(("words", "lang", "lessons"), [
    ("反向传播", "zh", {"14-losses", "15-optim", "18-gpu", "19-pipeline"}),  # every lesson that calls backward()
    ("backpropagation", "en", {"14-losses", "15-optim", "18-gpu", "19-pipeline"}),
    ("数据增强", "zh", {"06-transforms"}), ("data augmentation", "en", {"06-transforms"}),  # flips and crops
])
def test_search_finds_a_lesson_by_its_search_terms(course_site, words, lang, lessons):
    prefix = "en/" if lang == "en" else ""
    top = [h.location for h in search(course_site[1], words, lang)][:max(3, len(lessons))]
    assert {f"{prefix}lessons/{slug}.html" for slug in lessons} <= set(top), top


def test_a_chapter_page_shows_its_search_terms_under_its_title(course_site):
    text = {prefix: re.sub(r"<[^>]+>|\u200b", "", (course_site[1] / prefix / "lessons/06-transforms.html")
                           .read_text(encoding="utf-8")) for prefix in ("", "en/")}
    assert "关键词： 数据增强、预处理、归一化" in text[""]
    assert "Keywords: data augmentation, preprocessing, normalization" in text["en/"]
    assert text[""].index("第 6 课") < text[""].index("关键词：") < text[""].index("网络要的输入")


def test_the_site_is_built_once_per_version(course_site):
    cache, site = course_site
    again = site_build.cached_site(cache / "site")
    assert (again.folder, again.built) == (site, False)


def test_a_build_the_disk_refuses_leaves_no_half_built_site(tmp_path, monkeypatch):
    def full_disk(docs_dir: Path, out: Path) -> None:
        (out / "index.html").write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(site_build, "build_site", full_disk)
    with pytest.raises(ResourceError, match="no site was left half-built"):
        site_build.cached_site(tmp_path / "site")
    assert list((tmp_path / "site").iterdir()) == []


def test_docs_build_writes_a_folder_and_keeps_an_old_one_aside(course_site, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCHSTART_CACHE", str(course_site[0]))
    out = tmp_path / "course-site"
    assert main(["docs", "--build", str(out)]) == 0
    assert (out / "index.html").is_file() and (out / "en/lessons/09-conv.html").is_file()
    assert not (out / ".torchstart.lock").exists()
    capsys.readouterr()
    assert main(["docs", "--build", str(out)]) == 2
    assert "already holds other files" in capsys.readouterr().err
    assert main(["docs", "--build", str(out), "--force"]) == 0
    assert "the old folder is kept as" in capsys.readouterr().out
    assert len(list(tmp_path.glob("course-site.old-*"))) == 1 and (out / "index.html").is_file()
    (tmp_path / "a-file").write_text("x")
    assert main(["docs", "--build", str(tmp_path / "a-file")]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and len(err.strip().splitlines()) == 1


def test_docs_search_prints_the_pages_in_the_terminal(course_site, monkeypatch, capsys):
    monkeypatch.setenv("TORCHSTART_CACHE", str(course_site[0]))
    assert main(["docs", "--search", "卷积"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "pages about 卷积, best first:"
    assert lines[1].startswith("1. 第 9 课 卷积") and lines[1].endswith("torchstart docs 9")
    assert main(["docs", "--search", "qwertyuiop"]) == 1


def test_bad_input_is_one_line(monkeypatch, capsys):
    assert main(["docs", "99"]) == 2
    assert "there is no lesson '99'" in capsys.readouterr().err
    assert main(["docs", "--port", "70000"]) == 2
    assert "--port 70000 is not a TCP port" in capsys.readouterr().err
    monkeypatch.setitem(site_build.ENGINE, "no-such-engine", "no_such_module_here")
    assert main(["docs"]) == 2
    err = capsys.readouterr().err
    assert 'pip install "torchstart[docs]"' in err and len(err.strip().splitlines()) == 1


def test_a_taken_port_moves_to_the_next_free_one(course_site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = start_server(course_site[1], port)
        try:
            assert server.server_address[1] > port
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/index.html", timeout=10) as r:
                assert "torchstart" in r.read().decode("utf-8")
        finally:
            server.shutdown()
            server.server_close()
    with pytest.raises(ConfigError, match="not a TCP port"):
        start_server(course_site[1], 0)


def test_torchstart_docs_serves_the_lesson_asked_for(course_site, tmp_path):
    env = {"TORCHSTART_CACHE": str(course_site[0]), "TORCHSTART_LANG": "en", "PATH": "/usr/bin:/bin"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = subprocess.Popen([sys.executable, "-m", "torchstart", "docs", "9", "--no-browser", "--port",
                                    str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        try:
            first, second = process.stdout.readline(), process.stdout.readline()
            assert first.startswith(f"port {port} is taken; using ")
            url = re.search(r"http://\S+", second)[0]
            assert url.endswith("/en/lessons/09-conv.html")
            with urllib.request.urlopen(url, timeout=10) as response:
                assert "Lesson 9" in response.read().decode("utf-8")
        finally:
            process.kill()
            process.communicate(timeout=30)
