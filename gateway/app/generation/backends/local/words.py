"""Reading a prompt: its words, the subject to letter, and which keywords steer the design."""

from __future__ import annotations

import re
import unicodedata


def prompt_words(text: str) -> list[str]:
    """Lower-case ASCII words of a prompt (accents folded, other scripts dropped)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[a-z0-9]+", folded.lower())


def lexicon(table: dict[str, str]) -> dict[str, str]:
    """Expand {"value": "word word ..."} into {word: value}."""
    return {word: value for value, words in table.items() for word in words.split()}


def first_match(words: list[str], table: dict[str, str]) -> str | None:
    """The value of the first word found in `table`, in prompt order."""
    return next((table[w] for w in words if w in table), None)


STYLE_PALETTE_WORDS = lexicon(
    {
        "neon": "neon cyber cyberpunk synthwave vaporwave glow glowing electric rave",
        "pastel": "pastel cute kawaii baby spring",
        "retro": "retro vintage groovy 70s 80s classic",
        "monochrome": "monochrome mono noir grayscale greyscale",
        "candy": "pop comic",
    }
)
SUBJECT_PALETTE_WORDS = lexicon(
    {
        "sunset": "sunset sunrise dusk dawn summer tropical",
        "ocean": "ocean sea beach surf surfing wave waves water marine nautical sail island blue",
        "forest": "forest tree trees woods pine jungle nature green leaf camping camp hiking",
        "coffee": "coffee cafe espresso latte mocha chocolate brown bakery tea",
        "desert": "desert cactus western cowboy sand canyon",
        "midnight": "night midnight moon space galaxy stars cosmic astronaut dream",
        "candy": "candy party fun bubblegum pink sweet",
        "autumn": "autumn fall halloween pumpkin harvest cozy tiger fox lion",
    }
)
MOTIF_WORDS = lexicon(
    {
        "sun": "sunset sunrise sun sunny summer surf surfing beach tropical synthwave "
        "vaporwave dusk dawn paradise island",
        "mountains": "mountain mountains hike hiking hiker peak peaks alpine outdoor outdoors "
        "adventure explore wilderness trail climb climbing ski",
        "waves": "ocean sea wave waves water sail sailing nautical marine",
        "sunburst": "burst sunburst rays shine celebrate",
        "rings": "target circle circles ring rings orbit hypnotic vinyl record music",
        "truchet": "maze labyrinth truchet",
        "chevrons": "geometric zigzag chevron chevrons tile tiles mosaic",
        "confetti": "abstract confetti party birthday festive",
        "halftone": "halftone dots dotted spots pop comic",
        "stripes": "tiger zebra stripes striped wild beast fierce",
    }
)
ICON_WORDS = lexicon(
    {
        "mug": "coffee tea cafe espresso latte mocha cup brew caffeine",
        "heart": "love lover lovers heart valentine romance",
        "star": "star stars galaxy space cosmic astronaut dream",
        "moon": "moon lunar crescent night midnight",
        "tree": "forest tree trees pine woods camping camp nature",
        "bolt": "energy power thunder storm lightning rock fast speed",
        "cat": "cat cats kitten kitty kittens meow feline",
        "tiger": "tiger tigers leopard cheetah jaguar",
        "palm": "palm palms coconut",
    }
)
SCENE_MOTIFS = ("sun", "mountains", "waves")
CALM_PATTERNS = ("rings", "sunburst", "halftone", "confetti")  # quiet enough to carry an icon
FREE_PATTERNS = (*CALM_PATTERNS, "truchet", "chevrons")  # not stripes: they mean a big cat
SHADES_WORDS = {"sunglasses", "shades", "glasses", "cool"}
LINE_WORDS = {"line", "lineart", "outline", "minimal", "minimalist", "linework", "sketch"}
TYPE_WORDS = {"typography", "typographic", "quote", "lettering", "slogan", "saying", "wordart"}
PATTERN_WORDS = {"pattern", "tile", "tiles", "geometric", "abstract", "seamless", "mosaic"}
NO_TEXT_WORDS = {"text", "words", "letters", "lettering", "typography", "writing", "caption"}
APPAREL_WORDS = {"shirt", "tshirt", "tee", "sticker", "decal", "hoodie"}
FILLER = {"a", "an", "the", "of", "and", "with", "in", "on", "for", "to", "at", "by"}
_NOT_SUBJECT = (
    {"design", "style", "styled", "vector", "illustration", "logo", "graphic", "art"}
    | {"shirt", "tshirt", "t", "tee", "poster", "print", "sticker", "transparent", "background"}
    | {"flat", "simple", "clean", "bold", "hd", "4k", "8k", "high", "quality", "detailed"}
    | {"typography", "typographic", "lettering", "pattern", "seamless", "text"}
    | set(STYLE_PALETTE_WORDS)
    | LINE_WORDS
)


def subject_words(words: list[str]) -> list[str]:
    """The prompt's longest run of subject words (style words removed), at most four."""
    runs: list[list[str]] = [[]]
    for word in words:
        if word in _NOT_SUBJECT:
            runs.append([])
        else:
            runs[-1].append(word)

    def trim(run: list[str]) -> list[str]:
        while run and run[0] in FILLER:
            run = run[1:]
        while run and run[-1] in FILLER:
            run = run[:-1]
        return run

    return trim(trim(max(runs, key=lambda run: len(trim(run))))[:4])


def stack_lines(words: list[str]) -> tuple[str, ...]:
    """Stack words one per line; a word of three letters or fewer joins the next word."""
    lines: list[str] = []
    prefix = ""
    for i, word in enumerate(words):
        if len(word) <= 3 and i < len(words) - 1:
            prefix = f"{prefix}{word} "
        else:
            lines.append(prefix + word)
            prefix = ""
    return tuple(lines)


def split_headline(words: list[str], limit: int) -> tuple[str, ...]:
    """One line up to `limit` characters, otherwise two lines of similar length."""
    text = " ".join(words)
    if len(words) < 2 or len(text) <= limit:
        return (text,) if text else ()
    cut = min(
        range(1, len(words)),
        key=lambda k: abs(len(" ".join(words[:k])) - len(" ".join(words[k:]))),
    )
    return (" ".join(words[:cut]), " ".join(words[cut:]))
