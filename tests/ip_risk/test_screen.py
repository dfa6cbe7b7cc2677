"""The IP-risk screen: disguised terms are found, ordinary prompts are not flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.app.ip_risk import screen as ip

DATA = Path(__file__).parent


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


ORDINARY = _lines("ordinary_prompts.txt")
TRUE_POSITIVES = [tuple(line.split("\t")) for line in _lines("true_positives.txt")]


@pytest.fixture(scope="module")
def shipped() -> ip.Screen:
    return ip.screen_for(None)


def test_the_shipped_list_holds_a_few_hundred_terms(shipped: ip.Screen) -> None:
    assert shipped.size >= 300


def test_no_ordinary_prompt_is_flagged(shipped: ip.Screen) -> None:
    """The false-positive measurement: 0 of the ordinary prompts may be flagged."""
    assert len(ORDINARY) >= 200
    flagged = {prompt: shipped.find(prompt) for prompt in ORDINARY if shipped.find(prompt)}
    assert flagged == {}


@pytest.mark.parametrize(("text", "term"), TRUE_POSITIVES, ids=[t for t, _ in TRUE_POSITIVES])
def test_each_true_positive_is_flagged(shipped: ip.Screen, text: str, term: str) -> None:
    assert term in shipped.find(text)


@pytest.mark.parametrize(
    "text",
    ["disneyland", "legolas the elf", "mickeymousing", "super man", "apple pie", "a marvel"],
)
def test_word_boundaries_hold(text: str) -> None:
    found = ip.Screen(["disney", "lego", "mickey", "superman", "marvel comics"]).find(text)
    assert found == []


def test_several_texts_report_each_term_once(shipped: ip.Screen) -> None:
    assert shipped.find("Nike socks", None, "", "nike, gucci") == ["gucci", "nike"]


def test_ip_risk_is_none_when_nothing_is_named(shipped: ip.Screen) -> None:
    assert ip.ip_risk(shipped, "a cat") is None
    assert ip.ip_risk(shipped, "a cat", "pikachu") == {"ip": ["pikachu"]}


def test_an_extra_terms_file_extends_the_list(tmp_path: Path) -> None:
    extra = tmp_path / "terms.txt"
    extra.write_text("# our own\nAcme Rockets  # a client's brand\n\n", encoding="utf-8")
    screen = ip.screen_for(extra)
    assert screen.find("acme-rockets tee") == ["acme rockets"]
    assert screen.find("mickey") == ["mickey"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"fine\n\xff\xfe\n", "not UTF-8"),
        (b"ok\nbad\x07term\n", "line 2: control characters"),
        (b"ok\n---\n", "line 2: '---' has no letters"),
        (b"x" * 101 + b"\n", "line 1: longer than 100"),
    ],
)
def test_a_malformed_terms_file_says_what_and_where(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "terms.txt"
    path.write_bytes(content)
    with pytest.raises(ip.TermsFileError, match=message):
        ip.read_terms_file(path)


def test_a_missing_terms_file_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ip.TermsFileError, match="cannot be read"):
        ip.read_terms_file(tmp_path / "missing.txt")
