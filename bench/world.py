"""The entities of a synthetic graph: the anchors the named queries name, and seeded entities of every kind.

Entities go into graph/data/entities/<kind> with the chapter's IRI pattern (https://w3id.org/rakg/id/<kind>/<slug>),
one class each, rdfs:label in English and Traditional Chinese (and Russian for some persons) and some
skos:altLabel; states are placed in UN regions in graph/data/background/geography.
"""

from __future__ import annotations

from dataclasses import dataclass

from .text import Names, lit, t

ASEAN = ("brunei", "cambodia", "indonesia", "laos", "malaysia", "myanmar", "philippines", "singapore", "thailand", "vietnam")
REGIONS = {"southeast-asia": "asia", "east-asia": "asia", "south-asia": "asia", "central-asia": "asia", "eastern-europe": "europe",
           "western-europe": "europe", "northern-america": "americas", "australia-and-new-zealand": "oceania"}
OTHER_STATES = {"china": ("China", "中國", "east-asia"), "japan": ("Japan", "日本", "east-asia"),
                "south-korea": ("South Korea", "南韓", "east-asia"), "india": ("India", "印度", "south-asia"),
                "pakistan": ("Pakistan", "巴基斯坦", "south-asia"), "australia": ("Australia", "澳洲", "australia-and-new-zealand"),
                "united-states": ("United States", "美國", "northern-america")}
# (kind:slug, class, English, Chinese, Russian, alternative labels as (text, language))
ANCHORS = (
    ("state:russia", "SovereignState", "Russia", "俄羅斯", "Россия", ()),
    ("state:soviet-union", "HistoricalState", "Soviet Union", "蘇聯", "Советский Союз", (("USSR", "en"),)),
    ("organization:asean", "IntergovernmentalOrganization", "Association of Southeast Asian Nations", "東協", None,
     (("ASEAN", "en"), ("東盟", "zh-Hant"), ("東南亞國家協會", "zh-Hant"))),
    ("forum:east-asia-summit", "Forum", "East Asia Summit", "東亞高峰會", None, (("EAS", "en"),)),
    ("forum:asean-regional-forum", "Forum", "ASEAN Regional Forum", "東協區域論壇", None, (("ARF", "en"), ("東盟地區論壇", "zh-Hant"))),
    ("forum:asean-ministerial-meeting", "Forum", "ASEAN Ministerial Meeting", "東協外長會議", None, ()),
    ("body:asean-russia-joint-cooperation-committee", "DialogueBody", "ASEAN–Russia Joint Cooperation Committee", "東協－俄羅斯聯合合作委員會", None, ()),
    ("body:asean-russia-dialogue-partnership-financial-fund", "Fund", "ASEAN–Russia Dialogue Partnership Financial Fund", "東協－俄羅斯對話夥伴財務基金", None, ()),
    ("document:treaty-of-amity-and-cooperation", "Treaty", "Treaty of Amity and Cooperation in Southeast Asia", "東南亞友好合作條約", None, (("TAC", "en"),)),
    ("document:asean-russia-joint-declaration-on-terrorism-2004", "Declaration",
     "ASEAN-Russia Joint Declaration for Cooperation to Combat International Terrorism", "俄羅斯聯邦與東協合作打擊國際恐怖主義聯合宣言", None, ()),
    ("document:comprehensive-partnership-declaration-2005", "Declaration", "Joint Declaration on Progressive and Comprehensive Partnership",
     "東協與俄羅斯全面夥伴關係聯合宣言", None, ()),
    ("event:2005-12-1st-asean-russia-summit", "Summit", "1st ASEAN–Russia Summit", "首屆東協－俄羅斯高峰會", None, ()),
    ("event:2005-12-14-1st-east-asia-summit", "Summit", "1st East Asia Summit", "首屆東亞高峰會", None, ()),
    ("event:2004-07-02-11th-asean-regional-forum", "Meeting", "11th ASEAN Regional Forum", "第十一屆東協區域論壇", None, ()),
    ("person:sergey-lavrov", "Person", "Sergey Lavrov", "拉夫羅夫", "Сергей Викторович Лавров", (("Sergey Viktorovich Lavrov", "en"),)),
    ("person:vladimir-putin", "Person", "Vladimir Putin", "普丁", "Владимир Путин", (("普京", "zh-Hant"),)),
    ("person:igor-ivanov", "Person", "Igor Ivanov", "伊凡諾夫", "Игорь Иванов", (("伊凡洛夫", "zh-Hant"),)),
    ("place:kuala-lumpur", "City", "Kuala Lumpur", "吉隆坡", None, ()),
    ("place:jakarta", "City", "Jakarta", "雅加達", None, ()),
    ("place:vientiane", "City", "Vientiane", "永珍", None, ()),
    ("period:cold-war", "Period", "Cold War", "冷戰", None, ()),
    ("period:suspicion-and-hostility", "Period", "Period of suspicion and hostility", "猜疑和敵對時期", None, ()),
    ("period:detente-and-adjustment", "Period", "Period of détente and adjustment", "緩和與調整時期", None, ()),
    ("group:non-southeast-asian-parties-to-the-tac", "CountryGroup", "Parties to the TAC outside Southeast Asia", "東南亞以外的條約締約國", None, ()),
    ("group:asean-six-of-the-trade-table", "CountryGroup", "The six ASEAN states of the trade table", "貿易表中的東協六國", None, ()),
    ("equipment:su-30", "EquipmentType", "Su-30 fighter", "蘇-30 型戰鬥機", None, ()),
    ("company:rosoboronexport", "StateEnterprise", "Rosoboronexport", "俄羅斯國防出口公司", None, (("Rosobornexport", "en"),)),
    ("concept:ferrous-metals", "Commodity", "Ferrous metals", "亞鐵金屬", None, ()),
    ("idea:neo-eurasianism", "Doctrine", "Neo-Eurasianism", "新歐亞主義", None, ()),
)
CLASSES = {
    "state": ("SovereignState",) * 9 + ("HistoricalState",),
    "organization": ("IntergovernmentalOrganization", "GovernmentBody", "PoliticalParty", "ArmedGroup"),
    "forum": ("Forum",), "body": ("DialogueBody", "WorkingGroup", "Fund"),
    "document": ("Treaty", "Agreement", "Declaration", "Memorandum", "ProgrammeOfAction", "Communique", "PolicyDocument"),
    "person": ("Person",), "position": ("Position",), "company": ("Company", "StateEnterprise"),
    "place": ("City", "City", "Facility", "WaterBody"),
    "event": ("Meeting", "Summit", "Visit", "Speech", "SigningCeremony", "Negotiation", "ArmedConflict", "Crisis", "PoliticalChange", "Exhibition"),
    "idea": ("Policy", "Doctrine", "Proposal", "Issue"), "period": ("Period",), "equipment": ("EquipmentType",),
    "group": ("CountryGroup",), "concept": ("Commodity", "Topic"),
}
PER_BATCH = {"state": 1, "organization": 1, "forum": 0.5, "body": 1, "document": 3, "person": 3, "position": 2, "company": 1,
             "place": 2, "event": 6, "idea": 1, "period": 0.2, "equipment": 1, "group": 0.2, "concept": 1}
PATTERNS = {"organization": "{} Council", "forum": "{} Forum", "body": "ASEAN–{} Joint Committee", "document": "{} Agreement on {}",
            "company": "{} Corporation", "place": "{}", "event": "{} Meeting", "idea": "Policy of {}", "period": "{} period",
            "equipment": "{} aircraft", "group": "{} group", "concept": "{} goods", "state": "{}", "position": "Minister of {}",
            "person": "{} {}"}


@dataclass
class Entity:
    node: str
    kind: str
    cls: str
    en: str
    date: str = ""


class World:
    """The entity pools; ``pick`` prefers the anchors with a fixed share so that named queries find rows at every size."""

    def __init__(self, names: Names, writer, deriver):
        self.names, self.quad, self.deriver = names, writer.quad, deriver
        self.pools: dict[str, list[Entity]] = {kind: [] for kind in CLASSES}
        self.anchors: dict[str, list[Entity]] = {kind: [] for kind in CLASSES}
        self.links = 0

    def add(self, curie, cls, en, zh, ru=None, alt=(), links=(), anchor=False, date="") -> Entity:
        """Write one entity into its kind's graph, derive its types, and add it to the pools."""
        kind = curie.split(":", 1)[0]
        node, graph = t(curie), t(f"graph:data/entities/{kind}")
        self.quad(node, t("rdf:type"), t(f"rakg:{cls}"), graph)
        for text, lang in ((en, "en"), (zh, "zh-Hant"), (ru, "ru")):
            if text:
                self.quad(node, t("rdfs:label"), lit(text, lang=lang), graph)
        for text, lang in alt:
            self.quad(node, t("skos:altLabel"), lit(text, lang=lang), graph)
        for p, o in links:
            self.quad(node, p, o, graph)
        self.deriver.entity(node, t(f"rakg:{cls}"), links)
        if anchor or self.names.rng.random() < 0.1:
            self.link(node, curie)
        entity = Entity(node, kind, cls, en, date)
        self.pools[kind].append(entity)
        if anchor:
            self.anchors[kind].append(entity)
        return entity

    def link(self, node: str, curie: str) -> None:
        """A reviewed skos:exactMatch link to a (made-up) Wikidata item, with its rakg:WikidataLink record."""
        self.links += 1
        graph, item = t("graph:data/links/wikidata"), t(f"wd:Q{9_000_000 + self.links}")
        record = t(f"link:wikidata/{curie.replace(':', '/', 1)}")
        links = [(t("rakg:linkedEntity"), node), (t("rakg:verifiedBy"), t("rakg:ReferenceListVerification")), (t("rakg:wikidataItem"), item)]
        for p, o in [(t("rdf:type"), t("rakg:WikidataLink")), (t("dcterms:source"), lit("qids-reference.json (synthetic)"))] + links:
            self.quad(record, p, o, graph)
        self.quad(node, t("skos:exactMatch"), item, graph)
        self.deriver.entity(record, t("rakg:WikidataLink"), links)

    def place_state(self, node: str, region: str) -> None:
        geography = t("graph:data/background/geography")
        self.quad(node, t("rakg:locatedIn"), t(f"place:{region}"), geography)
        self.deriver.locate(node, t(f"place:{region}"), t(f"place:{REGIONS[region]}"), region == "southeast-asia")

    def write_anchors(self) -> None:
        """Regions, the anchor states and the other anchors; the geography background fact."""
        geography = t("graph:data/background/geography")
        self.quad(t("fact:background-geography"), t("rdf:type"), t("rakg:BackgroundFact"), geography)
        self.quad(t("fact:background-geography"), t("rdfs:label"), lit("Regions of the states in the graph (UN geoscheme)", lang="en"), geography)
        self.quad(t("fact:background-geography"), t("dcterms:source"), lit("United Nations Statistics Division, M49 regions."), geography)
        for continent in sorted(set(REGIONS.values())):
            self.add(f"place:{continent}", "Region", continent.title(), self.names.chinese(2, 3))
        for region, continent in REGIONS.items():
            self.add(f"place:{region}", "Region", region.replace("-", " ").title(), self.names.chinese(3, 4))
            self.quad(t(f"place:{region}"), t("rakg:locatedIn"), t(f"place:{continent}"), geography)
        for curie, cls, en, zh, ru, alt in ANCHORS[:2]:
            self.add(curie, cls, en, zh, ru, alt, anchor=True)
            self.place_state(t(curie), "eastern-europe")
        for slug in ASEAN:
            self.add(f"state:{slug}", "SovereignState", slug.title(), self.names.chinese(2, 3), anchor=True)
            self.place_state(t(f"state:{slug}"), "southeast-asia")
        for slug, (en, zh, region) in OTHER_STATES.items():
            self.add(f"state:{slug}", "SovereignState", en, zh, anchor=True)
            self.place_state(t(f"state:{slug}"), region)
        for curie, cls, en, zh, ru, alt in ANCHORS[2:]:
            self.add(curie, cls, en, zh, ru, alt, anchor=True)

    def pick(self, kind: str, anchor_share: float = 0.15) -> Entity:
        rng = self.names.rng
        pool = self.anchors[kind] if self.anchors[kind] and rng.random() < anchor_share else self.pools[kind]
        return rng.choice(pool)

    def grow(self) -> list[Entity]:
        """One batch of new entities of every kind; returns the new events (each gets an occurrence)."""
        rng, names, events = self.names.rng, self.names, []
        for kind, rate in PER_BATCH.items():
            for _ in range(int(rate) + (rng.random() < rate % 1)):
                cls = rng.choice(CLASSES[kind])
                words = [names.word(), names.english(2)]
                if kind == "document" and rng.random() < 0.05:
                    words[1] = "Counter-Terrorism Cooperation"
                en = PATTERNS[kind].format(*words)
                links, ru, date = [], None, ""
                if kind == "person":
                    en = f"{names.word()} {'Ivanov' if rng.random() < 0.03 else names.word()}"
                    ru = names.russian() if rng.random() < 0.4 else None
                elif kind == "position":
                    links = [(t("rakg:positionIn"), self.pick("state", 0.3).node)]
                elif kind == "event":
                    date = names.date(1967, 2007)
                    en = f"{cls} {en}"
                slug = names.slug(f"{date} {en}" if date else en)
                alt = ((names.word().upper()[:4], "en"),) if rng.random() < 0.15 else ()
                entity = self.add(f"{kind}:{slug}", cls, en, names.chinese(), ru, alt, links, date=date)
                if kind == "state":
                    self.place_state(entity.node, "southeast-asia" if rng.random() < 0.25 else rng.choice(list(REGIONS)[1:]))
                elif kind == "event":
                    events.append(entity)
        return events
