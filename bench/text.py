"""N-Quads terms, a counting N-Quads writer, and seeded names and texts for the synthetic graphs.

>>> lit("Russia", lang="en")
'"Russia"@en'
>>> day("1994-07")
'"1994-07"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>'
>>> names = Names(1); names.slug("Karo Vinta") == names.slug("Karo Vinta")
False
"""

from __future__ import annotations

import random
import re

BASE = "https://w3id.org/rakg/"
NAMESPACES = {
    "rakg": BASE + "ontology#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "org": "http://www.w3.org/ns/org#",
    "qb": "http://purl.org/linked-data/cube#",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "src": BASE + "source/",
    "graph": BASE + "graph/",
    "rule": BASE + "rule/",
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "p": "http://www.wikidata.org/prop/",
    "ps": "http://www.wikidata.org/prop/statement/",
    "pq": "http://www.wikidata.org/prop/qualifier/",
}
_TERMS: dict[str, str] = {}


def t(curie: str) -> str:
    """The N-Quads form of a prefixed name of NAMESPACES, or of an entity ``kind:slug`` under id/."""
    term = _TERMS.get(curie)
    if term is None:
        prefix, local = curie.split(":", 1)
        namespace = NAMESPACES.get(prefix, f"{BASE}id/{prefix}/")
        term = _TERMS[curie] = f"<{namespace}{local}>"
    return term


def lit(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    """A literal in N-Quads syntax; ``datatype`` is a prefixed name such as 'xsd:integer'."""
    body = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    if lang:
        return f"{body}@{lang}"
    if datatype and datatype.startswith("<"):
        return f"{body}^^{datatype}"
    return f"{body}^^{t(datatype)}" if datatype else body


def nquads_term(term) -> str:
    """The N-Quads form of an rdflib term (an IRI, a blank node or a literal)."""
    from rdflib import BNode, Literal

    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        return lit(str(term), term.language, f"<{term.datatype}>" if term.datatype else None)
    return f"<{term}>"


def day(text: str) -> str:
    """A date literal typed by its precision: xsd:gYear, xsd:gYearMonth or xsd:date."""
    return lit(text, datatype={4: "xsd:gYear", 7: "xsd:gYearMonth"}.get(len(text), "xsd:date"))


class Writer:
    """Writes quads to a file and counts them."""

    def __init__(self, path):
        self.handle = open(path, "w", encoding="utf-8", newline="\n")
        self.count = 0

    def quad(self, s: str, p: str, o: str, g: str) -> None:
        self.handle.write(f"{s} {p} {o} {g} .\n")
        self.count += 1

    def line(self, text: str) -> None:
        """One quad already in N-Quads syntax."""
        self.handle.write(text + "\n")
        self.count += 1

    def close(self) -> None:
        self.handle.close()


SYLLABLES = ("ka", "ro", "vi", "ne", "sa", "lu", "mi", "ta", "bo", "ren", "dal", "po", "che", "ko", "var", "in",
             "su", "le", "go", "ran", "ti", "mar", "ze", "ol", "fa", "dor", "ny", "bel", "ha", "quin")
CYRILLIC = ("ка", "ро", "ви", "не", "са", "лу", "ми", "та", "бо", "рен", "дал", "по", "че", "ко", "вар", "ин")
HANZI = ("東協俄羅斯聯邦蘇聯國家政府外交部長會議高峰條約合作宣言簽署加入成員關係經濟貿易投資能源軍事武器"
         "安全反恐對話夥伴論壇區域亞太地東南亞中共美國日本印度越南泰國柬埔寨寮緬甸菲律賓新加坡馬來西汶萊"
         "總統理訪問演說聲明協議備忘錄計畫基金工作小組委員年月日期間發展支持反對建立提出表示認為指出")


class Names:
    """Seeded English, Chinese and Russian names, unique slugs and quote texts."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.used: set[str] = set()

    def word(self) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 3))).capitalize()

    def english(self, words: int = 2) -> str:
        return " ".join(self.word() for _ in range(words))

    def russian(self) -> str:
        return " ".join("".join(self.rng.choice(CYRILLIC) for _ in range(3)).capitalize() for _ in range(2))

    def chinese(self, low: int = 2, high: int = 6) -> str:
        return "".join(self.rng.choice(HANZI) for _ in range(self.rng.randint(low, high)))

    def quote(self) -> str:
        return self.chinese(10, 28)

    def slug(self, text: str) -> str:
        """Lowercase ASCII kebab-case of ``text``, made unique with a number when already used."""
        base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
        slug, n = base, 1
        while slug in self.used:
            n += 1
            slug = f"{base}-{n}"
        self.used.add(slug)
        return slug

    def date(self, first: int = 1967, last: int = 2007) -> str:
        """A date at the chapter's mix of precisions: mostly days, some months, some years."""
        year, month, dom = self.rng.randint(first, last), self.rng.randint(1, 12), self.rng.randint(1, 28)
        precision = self.rng.random()
        if precision < 0.7:
            return f"{year:04d}-{month:02d}-{dom:02d}"
        return f"{year:04d}-{month:02d}" if precision < 0.9 else f"{year:04d}"
