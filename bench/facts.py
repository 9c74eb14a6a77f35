"""The fact builders of the synthetic generator: one method per class of fact, and the fixed core.

Each builder draws its participants from the entity pools (anchors preferred with a fixed share) and
hands the fact to Generator.fact, which writes labels, quote, passage, footnote and derivations.
"""

from __future__ import annotations

from .text import day, lit, t

TRADE_TABLE = {1996: (1209.1, 466.5), 1997: (1030.8, 594.0), 1998: (519.5, 444.2), 1999: (899.4, 298.9), 2000: (1113.3, 336.7),
               2001: (1155.3, 576.1), 2002: (1415.3, 820.5), 2003: (1489.3, 989.1), 2004: (1746.1, 1311.5), 2005: (2146.1, 2036.8)}


def rdf(*locals_: str) -> list[str]:
    """Terms of the ontology namespace."""
    return [t(f"rakg:{name}") for name in locals_]


class FactBuilders:
    """Mixed into Generator: needs self.fact, self.world, self.names, self.rng."""

    def pick(self, *kinds: str, share: float = 0.15):
        return self.world.pick(self.rng.choice(kinds), share)

    def when(self, p: float = 1.0, first: int = 1967, last: int = 2007) -> str:
        return self.names.date(first, last) if self.rng.random() < p else ""

    def membership(self) -> None:
        org, member = self.pick("organization", "organization", "forum", "body", share=0.3), self.pick("state", "state", "state", "organization", "person")
        if org.node != member.node:
            start, end = self.when(), self.when(0.1)
            dates = {"rakg:startDate" if self.rng.random() < 0.8 else "rakg:asOf": start, "rakg:endDate": end if end[:4] > start[:4] else ""}
            self.fact("rakg:Membership", [(t("org:member"), member.node), (t("org:organization"), org.node),
                                          (t("org:role"), self.rng.choice(rdf("FullMemberRole", "FoundingMemberRole")))],
                      dates, en=f"{member.en} is a member of {org.en}", background=org.kind == "organization" and self.rng.random() < 0.05)

    def partner(self) -> None:
        status = self.rng.choice(rdf("ConsultativePartnerStatus", "FullDialoguePartnerStatus", "ObserverStatus"))
        self.fact("rakg:PartnerStatus", [(t("rakg:partner"), self.pick("state").node), (t("rakg:partnerOf"), self.pick("organization", share=0.5).node),
                                         (t("rakg:status"), status)], {"rakg:startDate": self.when()})

    def action(self, cls="", document=None, parties=(), date="", background=False, **options) -> str:
        cls = cls or self.rng.choices(["Signature", "Ratification", "Accession", "Adoption", "Issuance"], [4, 1, 2, 1, 1])[0]
        document = document or self.world.pick("document", 0.2).node
        parties = parties or list(dict.fromkeys(self.pick("state", "state", "organization", share=0.3).node for _ in range(self.rng.randint(1, 3))))
        links = [(t("rakg:document"), document)] + [(t("rakg:party"), p) for p in parties]
        for p, kind, chance in (("rakg:signer", "person", 0.3), ("rakg:place", "place", 0.4), ("rakg:atEvent", "event", 0.2)):
            if p[5:] in options or self.rng.random() < chance:
                links.append((t(p), options.get(p[5:]) or self.world.pick(kind, 0.2).node))
        background = background or (document == t("document:treaty-of-amity-and-cooperation") and self.rng.random() < 0.05)
        return self.fact(f"rakg:{cls}", links, {"rakg:date": date or self.when(0.9)}, background=background, footnote=options.get("footnote", 0))

    def relation(self, a=None, b=None, date="") -> None:
        a, b = a or self.world.pick("state", 0.3).node, b or self.world.pick("state", 0.3).node
        if a != b:
            cls = "DiplomaticRelation" if date or self.rng.random() < 0.7 else self.rng.choice(["Alliance", "Partnership", "Hostility"])
            self.fact(f"rakg:{cls}", [(t("rakg:between"), a), (t("rakg:between"), b)], {"rakg:startDate": date or self.when()})

    def participation(self, agent=None, event=None, role="ParticipantRole", invited=None) -> None:
        links = [(t("rakg:participant"), agent or self.pick("person", "person", "state", "organization", share=0.2).node),
                 (t("rakg:event"), event or self.world.pick("event", 0.05).node),
                 (t("rakg:role"), t(f"rakg:{role}") if agent else self.rng.choice(rdf("ParticipantRole", "GuestRole", "ChairRole", "VisitorRole", "SpeakerRole", "HostRole")))]
        if invited or self.rng.random() < 0.1:
            links.append((t("rakg:invitedBy"), invited or self.pick("person", "state").node))
        self.fact("rakg:Participation", links)

    def utterance(self) -> None:
        speaker = self.pick("person", "state")
        links = [(t("rakg:speaker"), speaker.node)] + [(t("rakg:about"), self.pick("state", "organization", "idea", "document").node) for _ in range(self.rng.randint(1, 2))]
        literals = [(t("rakg:content"), lit(self.names.quote(), lang="zh-Hant")), (t("rakg:content"), lit(self.names.english(8), lang="en"))]
        self.fact("rakg:Utterance", links, {"rakg:date": self.when(0.8)}, literals, en=f"{speaker.en} said something")

    def stance(self) -> None:
        holders = {self.pick("state", "person", "organization").node for _ in range(self.rng.randint(1, 2))}
        toward = self.world.pick("idea", 0.1) if self.rng.random() < 0.6 else self.pick("state", "organization", "document")
        links = [(t("rakg:holder"), h) for h in sorted(holders)] + [(t("rakg:toward"), toward.node),
                 (t("rakg:stance"), self.rng.choice(rdf("Advocates", "Proposes", "Supports", "Opposes", "Welcomes", "Seeks")))]
        self.fact("rakg:Stance", links, {"rakg:date": self.when(0.7)})

    def shift(self) -> None:
        links = [(t("rakg:holder"), self.pick("state", "person").node), (t("rakg:toIdea"), self.world.pick("idea", 0.1).node)]
        if self.rng.random() < 0.7:
            links.append((t("rakg:fromIdea"), self.world.pick("idea").node))
        self.fact("rakg:PolicyShift", links, {"rakg:date": self.when(0.6)})

    def holding(self) -> None:
        kind = self.rng.choice(["rakg:asOf", "rakg:startDate", "rakg:startDate"])
        self.fact("rakg:PositionHolding", [(t("rakg:holder"), self.world.pick("person", 0.1).node), (t("rakg:position"), self.world.pick("position").node)],
                  {kind: self.when(), "rakg:endDate": self.when(0.2, 2000, 2007) if kind != "rakg:asOf" else ""})

    def establishment(self) -> None:
        links = [(t("rakg:established"), self.pick("body", "company", "organization").node)]
        if self.rng.random() < 0.5:
            links.append((t("rakg:founder"), self.pick("state", "organization").node))
        self.fact("rakg:Establishment", links, {"rakg:date": self.when(0.9)})

    def deal(self) -> None:
        cls = self.rng.choices(["ArmsDeal", "EnergyDeal", "InvestmentDeal", "FinancingDeal", "CooperationAgreement"], [4, 2.5, 1.5, 1, 1])[0]
        buyer, seller = self.world.pick("state", 0.5).node, self.world.pick("state", 0.6).node
        roles = {"ArmsDeal": ("buyer", "seller"), "EnergyDeal": ("recipient", "provider")}.get(cls, ("dealParty", "dealParty"))
        links = [(t(f"rakg:{roles[0]}"), buyer), (t(f"rakg:{roles[1]}"), seller), (t("rakg:item"), self.pick("equipment" if cls == "ArmsDeal" else "concept").node),
                 (t("rakg:dealStatus"), self.rng.choice(rdf("SignedDeal", "AgreedDeal", "MemorandumDeal", "PlannedDeal")))]
        if cls == "ArmsDeal" and self.rng.random() < 0.5:
            links.append((t("rakg:supplier"), self.world.pick("company", 0.3).node))
        literals = [(t("rakg:quantity"), lit(str(self.rng.randint(1, 48)), datatype="xsd:integer")), (t("rakg:quantityUnit"), lit("units")),
                    (t("rakg:amount"), lit(str(self.rng.randint(1, 900) * 1_000_000), datatype="xsd:decimal")), (t("rakg:currency"), lit("USD"))]
        self.fact(f"rakg:{cls}", links, {"rakg:date": self.when(0.8)}, literals)

    def rank(self) -> None:
        self.fact("rakg:TradeRank", [(t("rakg:reporter"), t("state:russia")), (t("rakg:partnerGroup"), self.world.pick("state", 0.5).node)], {},
                  [(t("rakg:rank"), lit(str(self.rng.randint(1, 6)), datatype="xsd:integer")), (t("rakg:rankedAmong"), lit("the six ASEAN states")),
                   (t("rakg:refYear"), day(str(self.rng.randint(1996, 2006))))])

    def share(self) -> None:
        self.fact("rakg:CommodityShare", [(t("rakg:reporter"), t("state:russia")), (t("rakg:partnerGroup"), self.world.pick("state", 0.5).node),
                                          (t("rakg:flow"), self.rng.choice(rdf("ExportFlow", "ImportFlow"))), (t("rakg:commodity"), self.world.pick("concept").node)], {},
                  [(t("rakg:sharePercent"), lit(str(self.rng.randint(5, 95)), datatype="xsd:decimal")), (t("rakg:refYear"), day(str(self.rng.randint(1996, 2006))))])

    def period(self) -> None:
        start = self.rng.randint(1967, 2000)
        literals = [(t("rakg:ordinalInSequence"), lit(str(self.rng.randint(1, 4)), datatype="xsd:integer")), (t("rakg:startText"), lit(f"{start % 100} 年代")),
                    (t("rakg:earliestStart"), day(str(start))), (t("rakg:latestEnd"), day(str(start + self.rng.randint(3, 9))))]
        self.fact("rakg:PeriodDefinition", [(t("rakg:period"), self.world.pick("period", 0.5).node)], {}, literals)

    def assessment(self) -> None:
        self.fact("rakg:Assessment", [(t("rakg:about"), self.pick("state", "organization", "document", "event", "idea", "concept").node) for _ in range(self.rng.randint(1, 3))])

    def occurrence(self, event, date="", place=None, series=None, ordinal=0) -> None:
        links = [(t("rakg:event"), event.node if hasattr(event, "node") else event)]
        if place or self.rng.random() < 0.7:
            links.append((t("rakg:place"), place or self.world.pick("place", 0.2).node))
        if series or (getattr(event, "cls", "") in ("Meeting", "Summit") and self.rng.random() < 0.6):
            links.append((t("rakg:series"), series or self.world.pick("forum", 0.3).node))
            ordinal = ordinal or self.rng.randint(1, 40)
        literals = [(t("rakg:ordinal"), lit(str(ordinal), datatype="xsd:integer"))] if ordinal else []
        self.fact("rakg:Occurrence", links, {"rakg:date": date or event.date}, literals, en=f"{getattr(event, 'en', 'The event')} took place")

    def dataset(self, slug: str, reporter: str, partner: str, table: dict | None) -> None:
        """A trade data set: four observations (total, exports, imports, balance) a year."""
        node = self.fact("qb:DataSet", [(t("qb:structure"), t("rakg:tradeStructure"))], prefix="dataset", slug=slug, en=f"Trade data set {slug}")
        for year in range(1996, 2006):
            exports, imports = (table or {}).get(year) or (self.rng.randint(100, 3000) / 10, self.rng.randint(100, 3000) / 10)
            for flow, value in (("TotalTradeFlow", exports + imports), ("ExportFlow", exports), ("ImportFlow", imports), ("BalanceFlow", exports - imports)):
                self.fact("rakg:TradeObservation", [(t("qb:dataSet"), node), (t("rakg:reporter"), reporter), (t("rakg:partnerGroup"), partner), (t("rakg:flow"), t(f"rakg:{flow}")),
                                                    (t("sdmx-attribute:unitMeasure"), t("rakg:MillionUSD"))], {},
                          [(t("rakg:refYear"), day(str(year))), (t("rakg:tradeValue"), lit(f"{value:.1f}", datatype="xsd:decimal"))],
                          prefix="observation", slug=f"{slug}-{year}-{flow[:-4].lower()}")

    def core(self) -> None:
        """The facts the reasoning queries need at every size (dates as in the chapter and its background)."""
        s, russia, asean, tac = (lambda slug: t(f"state:{slug}")), t("state:russia"), t("organization:asean"), t("document:treaty-of-amity-and-cooperation")
        self.dataset("russia-asean-trade-1996-2005", russia, t("group:asean-six-of-the-trade-table"), TRADE_TABLE)
        for status, date in (("ConsultativePartnerStatus", "1992-07"), ("FullDialoguePartnerStatus", "1996-07-18")):
            self.fact("rakg:PartnerStatus", [(t("rakg:partner"), russia), (t("rakg:partnerOf"), asean), (t("rakg:status"), t(f"rakg:{status}"))], {"rakg:startDate": date})
        self.fact("rakg:StateSuccession", [(t("rakg:successor"), russia), (t("rakg:predecessor"), s("soviet-union"))], {"rakg:date": "1991-12-24"}, background=True)
        for other, date in (("indonesia", "1950-02-03"), ("malaysia", "1967-04-03"), ("brunei", "1991-10-01")):
            self.relation(s("soviet-union"), s(other), date)
        joined = {"indonesia": "1967-08-08", "malaysia": "1967-08-08", "philippines": "1967-08-08", "singapore": "1967-08-08", "thailand": "1967-08-08",
                  "brunei": "1984-01-07", "vietnam": "1995-07-28", "laos": "1997-07-23", "myanmar": "1997-07-23", "cambodia": "1999-04-30"}
        for member, date in joined.items():
            self.fact("rakg:Membership", [(t("org:member"), s(member)), (t("org:organization"), asean), (t("org:role"), t("rakg:FullMemberRole"))],
                      {"rakg:startDate": date}, en=f"{member.title()} joined ASEAN", background=True)
        self.action("Signature", tac, [s(m) for m, d in joined.items() if d == "1967-08-08"], "1976-02-24", background=True)
        for parties, date in ((("china", "india"), "2003-10-08"), (("japan", "pakistan"), "2004-07-02")):
            self.action("Accession", tac, [s(p) for p in parties], date, background=True)
        self.action("Accession", tac, [russia], "2004-11-28", place=t("place:vientiane"), signer=t("person:sergey-lavrov"), footnote=22)
        for event, date, place, series, ordinal in (("2004-07-02-11th-asean-regional-forum", "2004-07-02", "jakarta", "forum:asean-regional-forum", 11),
                                                    ("2005-12-1st-asean-russia-summit", "2005-12-13", "kuala-lumpur", None, 0),
                                                    ("2005-12-14-1st-east-asia-summit", "2005-12-14", "kuala-lumpur", "forum:east-asia-summit", 1)):
            self.occurrence(t(f"event:{event}"), date, t(f"place:{place}"), series and t(series), ordinal)
        self.participation(t("person:sergey-lavrov"), t("event:2004-07-02-11th-asean-regional-forum"))
        self.participation(t("person:vladimir-putin"), t("event:2005-12-1st-asean-russia-summit"))
        self.participation(russia, t("event:2005-12-14-1st-east-asia-summit"), "GuestRole", s("malaysia"))
        self.action("Signature", t("document:comprehensive-partnership-declaration-2005"), [russia, asean], "2005-12-13",
                    atEvent=t("event:2005-12-1st-asean-russia-summit"))
