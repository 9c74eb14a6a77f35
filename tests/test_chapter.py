"""The chapter reader: every line of the source lands somewhere, footnotes are complete."""

from server.build.chapter import clean, normalize, read_chapter


def chapter(root):
    return read_chapter(root / "data/sources/chapter4-russia-asean.txt")


def test_all_69_footnotes_are_read_in_order(root):
    notes = chapter(root).footnotes
    assert [n.number for n in notes] == list(range(1, 70))
    assert all(n.text and not n.text[0].isdigit() for n in notes)


def test_every_footnote_call_mark_is_found_in_the_body(root):
    notes = chapter(root).footnotes
    assert [n.number for n in notes if n.called_from is None] == []
    assert notes[21].called_from == "s2-1-2-p4"  # footnote 22: the TAC accession


def test_every_nonblank_line_belongs_to_exactly_one_part(root):
    parsed = chapter(root)
    lines = (root / "data/sources/chapter4-russia-asean.txt").read_text(encoding="utf-8").split("\n")
    nonblank = {i for i, line in enumerate(lines, start=1) if line.strip() and not set(line) <= {" "}}
    used = [n for p in parsed.passages for n in p.lines] + [n for f in parsed.footnotes for n in f.lines]
    used += [n for n, _ in parsed.stray_lines] + [1]  # line 1 is the chapter title
    assert len(used) == len(set(used)), "a line was assigned twice"
    assert nonblank - set(used) == set(), "lines lost by the reader"


def test_sections_follow_the_chapter_outline(root):
    locators = [s.locator for s in chapter(root).sections]
    assert locators[:5] == ["s1", "s1-1", "s1-2", "s1-3", "s1-4"]
    assert "s2-2-1-2-1" in locators and "s2-3-2-3" in locators and locators[-1] == "s3"
    assert len(locators) == 26


def test_compatibility_ideographs_are_folded():
    assert normalize("俄\uf90f斯") == "俄羅斯"  # U+F90F is the compatibility form of 羅
    assert normalize("1976 年\n巴里") == normalize("1976年巴里")
    assert clean("建 立 東 南 亞") == "建立東南亞"


def test_find_locates_a_quote_whatever_its_spacing(root):
    assert chapter(root).find("蘇聯與汶萊（Brunei）於 10 月 1 日正式建立外交關係") == ["s1-4-p5"]
    assert chapter(root).find("BBC Monitoring Former Soviet Union") == ["footnote-22"]
