"""Names and identity numbers for bench/gen.py: Swedish-looking people with a realistic skew.

The common surnames and first names carry rough weights after Statistics Sweden's name tables
(Andersson, Johansson, Karlsson ... first); the long tail is made of Swedish name parts and
names common among Swedes born elsewhere, each rare. Personal identity numbers are 12 digits
with a valid Luhn check digit (tui_app/core/pnr.py), a few of them coordination numbers.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from datetime import date, timedelta

# Surname, weight (thousands of bearers, roughly).
COMMON_SURNAMES = """
Andersson 226 Johansson 226 Karlsson 184 Nilsson 154 Eriksson 135 Larsson 113 Olsson 103
Persson 95 Svensson 92 Gustafsson 89 Pettersson 87 Jonsson 63 Jansson 43 Hansson 41
Bengtsson 31 Jönsson 30 Lindberg 26 Jakobsson 26 Magnusson 25 Olofsson 25 Lindström 24
Lindqvist 23 Lindgren 23 Berg 22 Axelsson 22 Bergström 21 Lundberg 21 Lind 21 Lundgren 20
Lundqvist 20 Mattsson 20 Berglund 19 Fredriksson 18 Sandberg 18 Henriksson 18 Forsberg 17
Sjöberg 17 Ali 17 Wallin 16 Mohammed 16 Engström 16 Eklund 15 Danielsson 15 Lundin 15
Håkansson 15 Björk 14 Bergman 14 Gunnarsson 14 Holm 14 Wikström 14 Samuelsson 14 Isaksson 14
Fransson 14 Bergqvist 14 Nyström 13 Holmberg 13 Arvidsson 13 Löfgren 13 Söderberg 13
Nyberg 13 Blomqvist 13 Claesson 12 Nordström 12 Ahmed 12 Mårtensson 12 Lundström 12
Hassan 11 Viklund 11 Björklund 11 Eliasson 11 Pålsson 11 Berggren 11 Sandström 11 Lund 11
Nordin 11 Ström 10 Åberg 10 Falk 10 Ekström 10 Hermansson 10 Holmgren 10 Hellström 10
Dahlberg 10 Hedlund 10 Sundberg 10 Sjögren 10 Ek 9 Blom 9 Abrahamsson 9 Martinsson 9
Öberg 9 Andreasson 9 Strömberg 9 Månsson 9 Hansen 9 Åkesson 9 Dahl 9 Lindholm 9 Norberg 9
Holmqvist 9
"""

RARE_PARTS = (
    "Al Alm Asp Berg Björk Bränn Dal Ek Eng Fager Fal Fors Gran Grön Hag Ham Hed Hell Holm "
    "Kvarn Lilje Lind Ljung Lund Lönn Mal Myr Ny Nord Norr Ols Ros Rud Sand Sjö Sten Stjern "
    "Strand Sund Syd Tall Ting Vall Ving Väster Åker Ås Öster Ört"
).split()
RARE_ENDS = (
    "berg bäck blad blom by dahl feldt gren hammar holm ius kvist ling lund man mark qvist "
    "sten stedt ström strand vall vik åker ås"
).split()
FOREIGN = (
    "Nguyen Kaya Yilmaz Nowak Kowalski Rodriguez Garcia Hussein Omar Abdi Jovanovic Petrovic "
    "Kovac Novak Rahimi Karimi Haddad Khalil Ibrahim Mahmoud Osman Yusuf Farah Popescu Horvat "
    "Schmidt Müller Virtanen Korhonen Nieminen Mäkinen Hämäläinen Rossi Ferrari Silva Santos "
    "Pereira Costa Ivanov Smirnov Kuznetsov Nielsen Jensen Pedersen Larsen Olsen Berisha Gashi"
).split()

FEMALE = """
Anna 100 Eva 80 Maria 78 Karin 70 Kristina 65 Lena 60 Sara 55 Emma 52 Kerstin 50 Ingrid 48
Marie 45 Malin 42 Jenny 40 Hanna 40 Linnea 38 Annika 36 Susanne 34 Elin 34 Birgitta 33
Monica 32 Johanna 32 Sofia 30 Camilla 29 Elsa 28 Ida 28 Julia 27 Alice 27 Maja 26 Ulla 25
Margareta 25 Åsa 24 Helena 24 Cecilia 22 Louise 21 Ebba 20 Wilma 20 Astrid 19 Saga 18
Agnes 17 Lisa 17 Matilda 16 Frida 16 Amanda 15 Nora 15 Ellen 14 Klara 13 Stina 12 Siv 12
Gunilla 12 Yvonne 11 Amira 8 Fatima 8 Leila 6 Zeynep 5 Aino 4 Ylva 6 Tove 7 Märta 6
"""
MALE = """
Lars 95 Mikael 90 Anders 88 Johan 85 Erik 84 Per 80 Karl 78 Peter 70 Jan 68 Thomas 65
Daniel 60 Fredrik 55 Hans 52 Bengt 48 Mats 46 Stefan 45 Nils 44 Magnus 42 Andreas 40
Marcus 38 Mattias 36 Jonas 35 Oscar 34 Gustav 33 Alexander 33 Björn 32 Sven 30 Bo 30
Leif 28 Göran 28 Roger 25 Ulf 25 Henrik 24 Emil 24 William 23 Lucas 22 Liam 22 Hugo 21
Elias 20 Axel 20 Oliver 19 Isak 18 Viktor 17 Filip 17 Sebastian 16 Rasmus 15 Kent 14
Åke 14 Olle 12 Ture 6 Mohammed 10 Ali 8 Ahmad 6 Omar 5 Mehmet 4 Juha 3 Jörgen 9 Örjan 5
"""


def _pairs(text: str) -> list[tuple[str, float]]:
    words = text.split()
    return [(words[i], float(words[i + 1])) for i in range(0, len(words), 2)]


class Picker:
    """Weighted choice over a fixed list, in O(log n) per pick."""

    def __init__(self, weighted: list[tuple[str, float]]) -> None:
        self.names = [n for n, _ in weighted]
        self.cum = list(itertools.accumulate(w for _, w in weighted))

    def pick(self, rng: random.Random) -> str:
        return self.names[bisect(self.cum, rng.random() * self.cum[-1])]


def surname_picker() -> Picker:
    """About 45% of people carry one of the common surnames, the rest a rare one."""
    common = _pairs(COMMON_SURNAMES)
    total = sum(w for _, w in common)
    rare = [a + b.lower() if a[-1] != b[0] else a + b[1:] for a in RARE_PARTS for b in RARE_ENDS]
    rare = sorted(set(rare) - {n for n, _ in common}) + FOREIGN
    random.Random(14).shuffle(rare)  # fixed: the same tail on every run
    # The tail: from about Holmqvist's weight down to a tenth of it, Zipf-like.
    tail_total = total * 55 / 45
    zipf = [1 / (i + 100) for i in range(len(rare))]
    scale = tail_total / sum(zipf)
    return Picker(common + [(n, z * scale) for n, z in zip(rare, zipf, strict=True)])


def first_name_pickers() -> tuple[Picker, Picker]:
    """(female, male)."""
    return Picker(_pairs(FEMALE)), Picker(_pairs(MALE))


def luhn_digit(nine: str) -> str:
    """The check digit making the ten digits YYMMDDNNN+C pass the Luhn test."""
    total = 0
    for i, ch in enumerate(nine):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


_FIRST_DAY = date(1925, 1, 1)
_DAYS = (date(2025, 12, 31) - _FIRST_DAY).days


def make_pnr(rng: random.Random) -> tuple[str, bool]:
    """A fresh 12-digit number and whether its holder is female (even ninth digit)."""
    born = _FIRST_DAY + timedelta(days=rng.randrange(_DAYS))
    day = born.day + (60 if rng.random() < 0.005 else 0)  # a few coordination numbers
    serial = f"{rng.randrange(1000):03d}"
    nine = f"{born.year % 100:02d}{born.month:02d}{day:02d}{serial}"
    return f"{born.year // 100:02d}{nine}{luhn_digit(nine)}", int(serial[2]) % 2 == 0


def people(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    """n distinct people as (pnr, first name, last name)."""
    surnames = surname_picker()
    female, male = first_name_pickers()
    seen: set[str] = set()
    out: list[tuple[str, str, str]] = []
    while len(out) < n:
        pnr, is_female = make_pnr(rng)
        if pnr in seen:
            continue
        seen.add(pnr)
        first = (female if is_female else male).pick(rng)
        if rng.random() < 0.08:  # a double first name now and then
            second = (female if is_female else male).pick(rng)
            if second != first:
                first = f"{first}-{second}" if rng.random() < 0.3 else f"{first} {second}"
        out.append((pnr, first, surnames.pick(rng)))
    return out
