"""The crisis lexicon as data: bundled files, a program office's additions, bad files,
and ``peerlink screen``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.crisis import CrisisScreen
from bot.crisis_lexicon import CATEGORIES, CATEGORY_ORDER, load_lexicon
from bot.errors import ConfigError

PEERLINK = Path(sys.executable).parent / "peerlink"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_lexicon_loads() -> None:
    lexicon = load_lexicon()
    assert set(lexicon.phrases) == {"en", "fr"}
    for table in lexicon.phrases.values():
        assert set(table) == CATEGORIES
        assert all(table[category] for category in CATEGORIES)
    assert lexicon.exclusions and lexicon.misspellings
    assert load_lexicon() is lexicon  # read once per process
    assert not any("{{" in p for t in lexicon.phrases.values() for ps in t.values() for p in ps)


def test_the_categories_and_their_order() -> None:
    assert CATEGORY_ORDER == ("suicide", "plan", "self_harm", "harm_others", "danger",
                              "child_abuse", "overdose", "weapons", "third_party")
    assert frozenset(CATEGORY_ORDER) == CATEGORIES
    # Where two phrases match at the same place, the category listed first in the file
    # wins: the more specific one comes first.
    for table in load_lexicon().phrases.values():
        order = list(table)
        assert order.index("plan") < order.index("suicide") < order.index("self_harm")
        assert order.index("danger") < order.index("child_abuse") < order.index("third_party")


def test_an_extra_directory_adds_phrases_and_exclusions(tmp_path: Path) -> None:
    write(tmp_path, "en.yaml", (
        "# our additions\n"
        "phrases:\n"
        "  danger:\n"
        "    - 'code (?:purple|plum) in (?:the )?warehouse'\n"
        "  third_party:\n"
        "    - '{{subject}} (?:\\w+ ){0,4}wants to jump'\n"
        "exclusions:\n"
        "  - 'code purple in the warehouse drill'\n"
    ))
    write(tmp_path, "fr.yaml", "phrases:\n  danger:\n    - 'code violet'\n")
    write(tmp_path, "README.txt", "not a lexicon file, ignored")
    screen = CrisisScreen(load_lexicon(tmp_path))
    found = screen.match("There's a CODE PURPLE in the warehouse!!")
    assert (found.crisis, found.category, found.lang) == (True, "danger", "en")
    assert screen.match("my coworker told me she wants to jump").category == "third_party"
    assert screen.match("alerte: code violet").lang == "fr"
    assert not screen.match("code purple in the warehouse drill at 3pm").crisis
    assert screen.match("I want to die").category == "suicide"  # the bundled ones stay
    assert not CrisisScreen().match("code purple in the warehouse").crisis  # bundled unchanged


def test_a_new_language_and_common_rules(tmp_path: Path) -> None:
    write(tmp_path, "es.yaml", "phrases:\n  suicide:\n    - 'quiero morir'\n")
    write(tmp_path, "common.yaml", (
        "misspellings:\n  - pattern: '\\bmorri\\b'\n    spelling: 'morir'\n"
        "exclusions:\n  - 'quiero morir de risa'\n"
    ))
    screen = CrisisScreen(load_lexicon(tmp_path))
    assert screen.match("Quiero morri").lang == "es"
    assert not screen.match("quiero morir de risa").crisis


BAD = [
    ("bad-yaml", "phrases:\n  suicide:\n    - 'ok'\n    - 'unterminated\n", 5, "not valid YAML"),
    ("bad-yaml-indent", "phrases:\n  suicide:\n  - 'a'\n   b: c\n", 4, "not valid YAML"),
    ("unknown-category", "phrases:\n  suicide:\n    - 'a b'\n  sadness:\n    - 'so sad'\n", 4,
     "unknown category 'sadness'"),
    ("retired-category", "phrases:\n  abuse:\n    - 'x y'\n", 2,
     "unknown category 'abuse' (expected one of: suicide, plan, self_harm, harm_others, danger, "
     "child_abuse, overdose, weapons, third_party)"),
    ("empty-phrase", "phrases:\n  danger:\n    - 'a b'\n    - ''\n", 4, "empty phrase"),
    ("blank-phrase", "phrases:\n  danger:\n    - 'a b'\n\n    -\n", 5, "empty phrase"),
    ("invalid-regex", "phrases:\n  danger:\n    - 'fine'\n    - 'broken (?:group'\n    - 'x'\n",
     4, "not a valid regular expression"),
    ("unbalanced-regex", "phrases:\n  child_abuse:\n    - 'a)|(b'\n", 3,
     "not a valid regular expression"),
    ("unknown-section", "phrases: {}\nphrase:\n  suicide: []\n", 2, "unknown section"),
    ("not-a-list", "phrases:\n  weapons: 'a gun'\n", 2, "must be a list"),
    ("not-text", "phrases:\n  weapons:\n    - a: b\n", 3, "must be text"),
    ("unknown-fragment", "phrases:\n  weapons:\n    - '{{nope}} gun'\n", 3,
     "unknown fragment {{nope}}"),
    ("bad-exclusion", "exclusions:\n  - 'ok'\n  - '[unclosed'\n", 3,
     "not a valid regular expression"),
]


@pytest.mark.parametrize(("text", "line", "problem"), [c[1:] for c in BAD],
                         ids=[c[0] for c in BAD])
def test_a_bad_file_names_its_file_and_line(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = write(tmp_path, "en.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_lexicon(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert problem in message, message


def test_bad_misspelling_and_file_names(tmp_path: Path) -> None:
    path = write(tmp_path / "a", "common.yaml",
                 "misspellings:\n  - pattern: 'x(y)'\n    spelling: '\\2'\n")
    with pytest.raises(ConfigError, match=rf"^{path}:3: spelling"):
        load_lexicon(tmp_path / "a")
    path = write(tmp_path / "b", "english.yaml", "phrases: {}\n")
    with pytest.raises(ConfigError, match=rf"^{path}:1: "):
        load_lexicon(tmp_path / "b")
    path = write(tmp_path / "c", "fr.yaml", "")
    (tmp_path / "c" / "fr.yaml").write_bytes(b"phrases:\n  danger:\n    - '\xff'\n")
    with pytest.raises(ConfigError, match=rf"^{path}:3: is not UTF-8"):
        load_lexicon(tmp_path / "c")
    with pytest.raises(ConfigError, match="does not exist"):
        load_lexicon(tmp_path / "missing")


def test_an_empty_category_matches_nothing(tmp_path: Path) -> None:
    write(tmp_path, "de.yaml", "phrases:\n  suicide: []\n")
    assert not CrisisScreen(load_lexicon(tmp_path)).match("hallo").crisis


# ---- the command line ----------------------------------------------------------------


def base_env() -> dict[str, str]:
    ours = ("PEERLINK_", "SLACK_", "MICROSOFT_")
    return {
        k: v for k, v in os.environ.items()
        if not k.startswith(ours) and k not in ("DATABASE_URL", "PORT")
    }


def peerlink(env: dict[str, str], *args: str, stdin: bytes = b"",
             timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(PEERLINK), *args], env=env, input=stdin, capture_output=True,
                          timeout=timeout, check=False)


def test_peerlink_screen(tmp_path: Path) -> None:
    write(tmp_path, "en.yaml", "phrases:\n  danger:\n    - 'code purple'\n")
    huge = ("all fine here " * 8000)[:100_000]
    lines = [
        b"I want to die",
        b"",
        b"   ",
        json.dumps({"text": "je veux mourir", "lang": "en"}).encode(),
        json.dumps({"text": "this deadline is killing me"}).encode(),
        b'{"text": "kms", broken json',
        b"{" * 50_000,
        huge.encode(),
        (huge[:60_000] + " kill myself " + huge[:30_000]).encode(),
        b"\xff\xfe\x00\x01 k1ll mys3lf \x80",
        "🔪 CODE PURPLE".encode(),
        json.dumps({"lang": "fr"}).encode(),
        json.dumps(["a list", "I want to die"]).encode(),
    ]
    env = base_env() | {"PEERLINK_CRISIS_LEXICON_DIR": str(tmp_path)}
    result = peerlink(env, "screen", stdin=b"\n".join(lines) + b"\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    no = {"crisis": False, "category": "", "lang": ""}
    assert out == [
        {"crisis": True, "category": "suicide", "lang": "en"},
        no,
        no,
        {"crisis": True, "category": "suicide", "lang": "fr"},
        no,
        {"crisis": True, "category": "suicide", "lang": "en"},
        no,
        no,
        {"crisis": True, "category": "suicide", "lang": "en"},
        {"crisis": True, "category": "suicide", "lang": "en"},
        {"crisis": True, "category": "danger", "lang": "en"},
        no,
        {"crisis": True, "category": "suicide", "lang": "en"},
    ]
    assert b"die" not in result.stdout


def test_peerlink_screen_with_a_bad_lexicon_fails_in_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "fr.yaml", "phrases:\n  suicide:\n    - '(oops'\n")
    env = base_env() | {"PEERLINK_CRISIS_LEXICON_DIR": str(tmp_path)}
    result = peerlink(env, "screen", stdin=b"hello\n")
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith(
        f"peerlink: configuration error: {path}:3: "
    ), result.stderr
    assert result.stdout == b""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_with_a_bad_lexicon_stops_before_serving(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    env = base_env() | {"DATABASE_URL": database}
    migrated = peerlink(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    path = write(tmp_path / "lexicon", "en.yaml", "phrases:\n  suicide:\n    - 'ok'\n  sad: []\n")
    env |= {"PEERLINK_CRISIS_LEXICON_DIR": str(tmp_path / "lexicon"),
            "PORT": str(free_port()), "PEERLINK_LOG_FORMAT": "text"}
    result = peerlink(env, "serve", timeout=30)  # serving would never return: a timeout
    assert result.returncode == 2, result
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines == [f"peerlink: configuration error: {path}:4: unknown category 'sad' "
                     "(expected one of: suicide, plan, self_harm, harm_others, danger, "
                     "child_abuse, overdose, weapons, third_party)"], stderr
