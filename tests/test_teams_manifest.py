"""The Teams app package: complete, valid against Microsoft's schema, neutral, least privilege.

The manifest is on the newest schema that the npm package ``@microsoft/app-manifest``
ships (json-schemas/teams/v1.30/, the version pinned in ``.ci/install-teams-schema``);
the tests under "The official schemas" validate the package against
MicrosoftTeams.schema.json and MicrosoftTeams.Localization.schema.json from it, offline.

Limits the other tests check: name short 30 and full 100, description short 80 and
full 4000, developer name 32, one bot, at most 3 command lists, at most 2 permissions;
a GUID is 8-4-4-4-12 hex digits and a colour #RRGGBB. Commands are held to the older,
stricter limits (at most 10 a list, title 32, description 128), which the command menu
shows in full; schema 1.30 allows 12, 128 and 4000. Icons: color 192x192 full colour,
outline 32x32 white on a transparent background.
"""
from __future__ import annotations

import io
import json
import logging
import os
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator, validators
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT4

from adapters.cli import main
from adapters.teams import manifest as teams
from adapters.teams.manifest import (
    EXAMPLE_APP_ID,
    EXAMPLE_URL,
    LOCALIZATION_FILE,
    MANIFEST_FILE,
    ManifestError,
    icons,
    localization,
    manifest_text,
    teams_manifest,
    teams_package,
)
from bot.text import words

PEERLINK = Path(sys.executable).parent / "peerlink"
REPO_COPY = Path(__file__).resolve().parents[1] / "manifest" / "teams"
REGENERATE = ".venv/bin/python -m adapters.teams.manifest"

APP_ID = "6f1c2a4e-93b7-4d0a-8e21-5c9f0b7d3a18"
URL = "https://peer.acme.test"
SCHEMA_VERSION = "1.30"  # the newest in the pinned @microsoft/app-manifest
SCHEMAS_URL = "https://developer.microsoft.com/en-us/json-schemas/teams/"
SCHEMA = f"{SCHEMAS_URL}v{SCHEMA_VERSION}/MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = f"{SCHEMAS_URL}v{SCHEMA_VERSION}/MicrosoftTeams.Localization.schema.json"
# Where .ci/install-teams-schema puts them; PEERLINK_TEAMS_SCHEMA_DIR may name another
# folder laid out the same way (v1.30/MicrosoftTeams.schema.json ...).
SCHEMA_DIR = (Path(__file__).resolve().parents[1] / ".ci" / "node_modules" / "@microsoft"
              / "app-manifest" / "build" / "json-schemas" / "teams")
INSTALL_SCHEMAS = "bash .ci/install-teams-schema"
GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
COMMANDS = ["help", "find", "buddy", "check-in", "meetings", "pause", "language", "privacy",
            "my data"]
FRENCH = ["aide", "trouver", "jumelage", "bilan", "rencontres", "pause", "langue",
          "confidentialité", "mes données"]
PACKAGE = ["manifest.json", "fr.json", "color.png", "outline.png"]


def load(app_id: str = APP_ID, url: str = URL) -> dict[str, Any]:
    return teams_manifest(app_id, url)


def bot(data: dict[str, Any]) -> dict[str, Any]:
    (only,) = data["bots"]
    result: dict[str, Any] = only
    return result


def personal_commands(data: dict[str, Any]) -> list[dict[str, str]]:
    lists = bot(data)["commandLists"]
    commands: list[dict[str, str]] = lists[0]["commands"]
    return commands


def shown_to_people(data: dict[str, Any]) -> list[str]:
    """What the app bar, the store, a chat header or the command menu shows."""
    texts = [data["name"]["short"], data["name"]["full"], data["description"]["short"]]
    for command_list in bot(data)["commandLists"]:
        for command in command_list["commands"]:
            texts += [command["title"], command["description"]]
    return texts


# --- What the app is -------------------------------------------------------------------

def test_schema_version_and_required_fields() -> None:
    data = load()
    assert data["$schema"] == SCHEMA
    assert data["manifestVersion"] == SCHEMA_VERSION
    assert data["version"] == "1.0.0"
    assert re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)", data["version"])
    for key in ("manifestVersion", "version", "id", "developer", "name", "description",
                "icons", "accentColor"):
        assert key in data, key
    assert list(data) == ["$schema", "manifestVersion", "version", "id", "developer", "name",
                          "description", "icons", "accentColor", "localizationInfo", "bots",
                          "permissions", "validDomains"]


def test_the_app_is_the_bot() -> None:
    data = load()
    assert data["id"] == APP_ID
    assert bot(data)["botId"] == APP_ID


def test_developer() -> None:
    developer = load()["developer"]
    assert developer == {
        "name": "Peerlink",
        "websiteUrl": URL,
        "privacyUrl": f"{URL}/privacy",
        "termsOfUseUrl": f"{URL}/terms",
    }
    assert len(developer["name"]) <= 32
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert developer[key].startswith("https://") and len(developer[key]) <= 2048


def test_names_and_descriptions_within_limits() -> None:
    data = load()
    assert data["name"]["short"] == "Peerlink"
    assert 0 < len(data["name"]["short"]) <= 30
    assert 0 < len(data["name"]["full"]) <= 100
    assert 0 < len(data["description"]["short"]) <= 80
    assert 0 < len(data["description"]["full"]) <= 4000
    assert data["description"]["full"] != data["description"]["short"]


def test_wording_people_see_is_neutral() -> None:
    data = load()
    for text in shown_to_people(data):
        lowered = text.lower()
        for word in ("mental", "health", "therapy", "crisis", "counsel", "psych"):
            assert word not in lowered, f"{word!r} in {text!r}"
    assert "Private conversations with trained colleagues" in data["description"]["short"]
    # The full description is what someone reads before adding the app: plain about limits.
    assert "not therapy and not a crisis service" in data["description"]["full"]


def test_icons_and_accent_colour() -> None:
    data = load()
    assert data["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", data["accentColor"])
    assert data["accentColor"].upper() == "#4F46E5"


def test_bot_scopes_and_flags() -> None:
    entry = bot(load())
    assert entry["scopes"] == ["personal", "team", "groupChat"]
    assert entry["supportsFiles"] is False
    assert entry["isNotificationOnly"] is False
    for absent in ("supportsCalling", "supportsVideo", "needsChannelSelector", "configuration"):
        assert absent not in entry


def test_command_lists() -> None:
    lists = bot(load())["commandLists"]
    assert 0 < len(lists) <= 3
    assert [c["scopes"] for c in lists] == [["personal"], ["team", "groupChat"]]
    seen: set[str] = set()
    for command_list in lists:
        assert set(command_list["scopes"]) <= set(bot(load())["scopes"])
        assert not seen & set(command_list["scopes"]), "one command list per scope"
        seen |= set(command_list["scopes"])
        assert 0 < len(command_list["commands"]) <= 10
        for command in command_list["commands"]:
            assert set(command) == {"title", "description"}
            assert 0 < len(command["title"]) <= 32
            assert 0 < len(command["description"]) <= 128
    # In a team or a group chat Peerlink only points to its personal chat.
    assert [c["title"] for c in lists[1]["commands"]] == ["help"]


def test_personal_commands_are_the_engine_words_with_french_in_descriptions() -> None:
    commands = personal_commands(load())
    assert [c["title"] for c in commands] == COMMANDS
    for command, french in zip(commands, FRENCH, strict=True):
        assert command["description"].endswith(f" · {french}"), command


def test_least_privilege() -> None:
    data = load()
    assert data["permissions"] == ["identity", "messageTeamMembers"]
    assert len(data["permissions"]) <= 2
    # No single sign-on, tabs, message extensions or resource-specific consent.
    for absent in ("webApplicationInfo", "authorization", "staticTabs", "configurableTabs",
                   "composeExtensions", "connectors", "devicePermissions", "activities"):
        assert absent not in data


def test_valid_domains_is_the_host() -> None:
    assert load()["validDomains"] == ["peer.acme.test"]
    assert load(url="https://peer.acme.test:8443")["validDomains"] == ["peer.acme.test"]


def test_localization_info() -> None:
    assert load()["localizationInfo"] == {
        "defaultLanguageTag": "en-us",
        # Language only, so every French region (fr-fr, fr-ca, fr-be...) gets it.
        "additionalLanguages": [{"languageTag": "fr", "file": "fr.json"}],
    }
    tag = re.compile(r"[A-Za-z0-9]{1,8}(-[A-Za-z0-9]{1,8}){0,2}")
    info = load()["localizationInfo"]
    assert tag.fullmatch(info["defaultLanguageTag"])
    assert all(tag.fullmatch(extra["languageTag"]) for extra in info["additionalLanguages"])


# --- The French localization ----------------------------------------------------------

LOCALIZED = re.compile(
    r"bots\[0\]\.commandLists\[(?P<list>[0-2])\]\.commands\[(?P<command>[0-9])\]"
    r"\.(?P<field>title|description)"
)


def test_localization_file_content_and_limits() -> None:
    fr = localization()
    assert fr["$schema"] == LOCALIZATION_SCHEMA
    for key, limit in (("name.short", 30), ("name.full", 100), ("description.short", 80),
                       ("description.full", 4000)):
        assert 0 < len(fr[key]) <= limit, key
    assert fr["name.short"] == "Peerlink"
    assert "collègues formés" in fr["description.short"]
    assert "ni une thérapie ni un service d'aide en situation de crise" in fr[
        "description.full"]
    for key, value in fr.items():
        if key in ("$schema", "name.short", "name.full", "description.short",
                   "description.full"):
            continue
        match = LOCALIZED.fullmatch(key)
        assert match, f"not a key the localization schema allows: {key}"
        limit = 32 if match["field"] == "title" else 128
        assert 0 < len(value) <= limit, key


def test_localization_covers_every_command_of_the_manifest() -> None:
    data, fr = load(), localization()
    expected = set()
    for i, command_list in enumerate(bot(data)["commandLists"]):
        for j, _command in enumerate(command_list["commands"]):
            for field in ("title", "description"):
                expected.add(f"bots[0].commandLists[{i}].commands[{j}].{field}")
    localized = {key for key in fr if key.startswith("bots[")}
    assert localized == expected
    titles = [fr[f"bots[0].commandLists[0].commands[{j}].title"] for j in range(len(FRENCH))]
    assert titles == FRENCH
    assert fr["bots[0].commandLists[1].commands[0].title"] == "aide"


def test_french_titles_are_words_the_engine_understands() -> None:
    """Teams sends the localized title as the message text: it must reach the same command."""
    from bot.flows import build_router

    router = build_router()
    for title in FRENCH:
        assert router.is_command(words(title)), title


def test_french_wording_people_see_is_neutral() -> None:
    fr = localization()
    shown = [value for key, value in fr.items()
             if key not in ("$schema", "description.full")]
    for text in shown:
        lowered = text.lower()
        for word in ("santé", "mentale", "thérapie", "crise", "psych"):
            assert word not in lowered, f"{word!r} in {text!r}"


# --- The official schemas --------------------------------------------------------------

@pytest.fixture(scope="module")
def schema_dir() -> Path:
    """Microsoft's Teams schemas, from the npm package (``.ci/install-teams-schema``).

    Missing: skipped on a workstation, a failure in CI (``CI=true``), which must install
    them; a folder named by PEERLINK_TEAMS_SCHEMA_DIR must exist.
    """
    given = os.environ.get("PEERLINK_TEAMS_SCHEMA_DIR", "").strip()
    folder = Path(given) if given else SCHEMA_DIR
    if not folder.is_dir():
        if given:
            pytest.fail(f"PEERLINK_TEAMS_SCHEMA_DIR={given} is not a folder")
        reason = (f"Microsoft's Teams manifest schemas are not installed ({folder} is "
                  f"missing); run: {INSTALL_SCHEMAS}")
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must install them: {reason}")
        pytest.skip(reason)
    return folder


def schema_versions(folder: Path) -> dict[tuple[int, int], str]:
    """The released schema versions in ``folder`` (not vDevPreview), by number."""
    found = {}
    for entry in folder.iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)", entry.name)
        if match and (entry / "MicrosoftTeams.schema.json").is_file():
            found[int(match[1]), int(match[2])] = f"{match[1]}.{match[2]}"
    return found


def no_network(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)  # every schema comes from the local files


def official_validator(folder: Path, url: str) -> Validator:
    """A validator for the schema at ``url``, read from ``folder`` with every file beside it.

    Each file of the version's folder is registered under its official URL, so a $ref
    to another one resolves locally; nothing is fetched. The draft is the one the schema
    declares (draft-04 up to now), applied as Microsoft's own validator (ajv-draft-04 in
    the same package) applies it: ``const`` is checked, and so are keywords beside a
    ``$ref``, which the localization schema uses for its length limits.
    """
    version_dir = url.removeprefix(SCHEMAS_URL).split("/")[0]
    registry: Registry[Any] = Registry(retrieve=no_network)
    for path in sorted((folder / version_dir).glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8-sig"))
        resource = Resource.from_contents(contents, default_specification=DRAFT4)
        registry = registry.with_resource(f"{SCHEMAS_URL}{version_dir}/{path.name}", resource)
    schema = registry.contents(url)
    declared = validators.validator_for(schema)
    # The schema itself is well formed (its patterns are ECMAScript, some not Python's: no
    # format checks here; the manifest's own strings meet only the patterns they reach).
    declared(declared.META_SCHEMA).validate(schema)
    as_microsoft = validators.create(
        meta_schema=declared.META_SCHEMA,
        validators={"const": Draft6Validator.VALIDATORS["const"], **declared.VALIDATORS},
        type_checker=declared.TYPE_CHECKER,
        format_checker=declared.FORMAT_CHECKER,
        id_of=declared.ID_OF,
        applicable_validators=lambda schema: schema.items(),
    )
    # The schemas have no id of their own: give the root its official URL, so that a
    # relative $ref resolves beside it (a copy; the files are not changed).
    id_key = "id" if declared.ID_OF({"id": url}) == url else "$id"
    root = schema if declared.ID_OF(schema) else {**schema, id_key: url}
    return as_microsoft(root, registry=registry, format_checker=declared.FORMAT_CHECKER)


def schema_errors(validator: Validator, instance: dict[str, Any]) -> list[str]:
    return sorted(f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
                  for error in validator.iter_errors(instance))


def test_manifest_is_on_the_newest_schema_of_the_package(schema_dir: Path) -> None:
    versions = schema_versions(schema_dir)
    assert versions, f"no vX.Y/MicrosoftTeams.schema.json in {schema_dir}"
    newest = versions[max(versions)]
    assert newest == SCHEMA_VERSION, (
        f"the schemas in {schema_dir} go up to v{newest}: move the manifest and fr.json "
        f"to it, then run: {REGENERATE}")
    assert load()["manifestVersion"] == SCHEMA_VERSION
    assert load()["$schema"] == SCHEMA
    assert localization()["$schema"] == LOCALIZATION_SCHEMA
    for url in (SCHEMA, LOCALIZATION_SCHEMA):
        assert (schema_dir / url.removeprefix(SCHEMAS_URL)).is_file(), url


@pytest.mark.parametrize("app_id, url", [
    (EXAMPLE_APP_ID, EXAMPLE_URL),
    (APP_ID, URL),
    (APP_ID, "https://peer.acme.test:8443"),
    (APP_ID, "http://localhost:3978"),
])
def test_package_validates_against_the_official_schemas(schema_dir: Path, app_id: str,
                                                        url: str) -> None:
    files = open_package(teams_package(app_id, url))
    manifest = json.loads(files["manifest.json"].decode("utf-8"))
    assert schema_errors(official_validator(schema_dir, manifest["$schema"]), manifest) == []
    for extra in manifest["localizationInfo"]["additionalLanguages"]:
        strings = json.loads(files[extra["file"]].decode("utf-8"))
        assert strings["$schema"] == LOCALIZATION_SCHEMA
        validator = official_validator(schema_dir, strings["$schema"])
        assert schema_errors(validator, strings) == [], extra["file"]


def test_repo_copy_validates_against_the_official_schemas(schema_dir: Path) -> None:
    for name, url in (("manifest.json", SCHEMA), ("fr.json", LOCALIZATION_SCHEMA)):
        instance = json.loads((REPO_COPY / name).read_text(encoding="utf-8"))
        assert schema_errors(official_validator(schema_dir, url), instance) == [], name


def test_official_schema_validation_catches_mistakes(schema_dir: Path) -> None:
    """The validation is not vacuous: each of these breaks a rule of the schemas."""
    manifest = official_validator(schema_dir, SCHEMA)
    strings = official_validator(schema_dir, LOCALIZATION_SCHEMA)
    good, fr = load(), localization()
    assert schema_errors(manifest, good) == [] and schema_errors(strings, fr) == []

    def broken(change: Callable[[dict[str, Any]], object],
               data: dict[str, Any]) -> dict[str, Any]:
        copy: dict[str, Any] = json.loads(json.dumps(data))
        change(copy)
        return copy

    manifest_mistakes = [
        lambda d: d.update(manifestVersion="1.17"),  # const
        lambda d: d.pop("developer"),  # required
        lambda d: d.update(tabs=[]),  # no other properties
        lambda d: d["name"].update(short="P" * 31),  # maxLength
        lambda d: d.update(accentColor="indigo"),  # pattern, through a $ref
        lambda d: d["bots"][0].update(botId="not-a-guid"),
        lambda d: d["bots"][0]["scopes"].append("meeting"),  # enum
        lambda d: d.update(permissions=["identity", "messageTeamMembers", "identity"]),
        lambda d: d["developer"].update(privacyUrl="ftp://peer.acme.test/privacy"),
    ]
    for change in manifest_mistakes:
        assert schema_errors(manifest, broken(change, good)), change
    strings_mistakes = [
        lambda d: d.update({"name.short": "P" * 31}),  # maxLength beside a $ref
        lambda d: d.update({"description.short": ""}),  # the $ref: a non-empty string
        lambda d: d.pop("description.full"),  # required
        lambda d: d.update({"bots[0].commandLists[3].commands[0].title": "aide"}),
        lambda d: d.update({"tagline": "x"}),
    ]
    for change in strings_mistakes:
        assert schema_errors(strings, broken(change, fr)), change


# --- Validation ------------------------------------------------------------------------

@pytest.mark.parametrize("given, expected", [
    ("6f1c2a4e-93b7-4d0a-8e21-5c9f0b7d3a18", "6f1c2a4e-93b7-4d0a-8e21-5c9f0b7d3a18"),
    ("  6F1C2A4E-93B7-4D0A-8E21-5C9F0B7D3A18 ", "6f1c2a4e-93b7-4d0a-8e21-5c9f0b7d3a18"),
    (EXAMPLE_APP_ID, EXAMPLE_APP_ID),
])
def test_app_id_is_a_guid(given: str, expected: str) -> None:
    data = load(app_id=given)
    assert data["id"] == bot(data)["botId"] == expected


@pytest.mark.parametrize("bad", [
    "",
    "   ",
    "peerlink",
    "6f1c2a4e93b74d0a8e215c9f0b7d3a18",
    "{6f1c2a4e-93b7-4d0a-8e21-5c9f0b7d3a18}",
    "6f1c2a4e-93b7-4d0a-8e21-5c9f0b7d3a1",
    "6f1c2a4e-93b7-4d0a-8e21-5c9f0b7d3a18a",
    "6f1c2a4g-93b7-4d0a-8e21-5c9f0b7d3a18",
    "6f1c2a4e-93b7-4d0a-8e21-5c9f0b7d3a18\nx",
])
def test_bad_app_ids_are_rejected(bad: str) -> None:
    with pytest.raises(ManifestError) as caught:
        teams_manifest(bad, URL)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("given, base", [
    ("https://peer.acme.test", "https://peer.acme.test"),
    ("https://peer.acme.test/", "https://peer.acme.test"),
    ("  https://Peer.Acme.test:8443  ", "https://peer.acme.test:8443"),
    ("http://localhost:3978", "http://localhost:3978"),
    ("http://127.0.0.1:3978/", "http://127.0.0.1:3978"),
])
def test_urls_fill_the_developer_links(given: str, base: str) -> None:
    data = load(url=given)
    assert data["developer"]["websiteUrl"] == base
    assert data["developer"]["privacyUrl"] == f"{base}/privacy"
    assert data["developer"]["termsOfUseUrl"] == f"{base}/terms"
    assert "peerlink.example.com" not in manifest_text(data)


@pytest.mark.parametrize("bad", [
    "",
    "   ",
    "peer.acme.test",
    "http://peer.acme.test",
    "ftp://peer.acme.test",
    "https://",
    "https:///api/messages",
    "https://peer.acme.test/api/messages",
    "https://peer.acme.test?x=1",
    "https://peer.acme.test#top",
    "https://user:pw@peer.acme.test",
    "https://peer.acme.test:99999",
    "https://peer acme.test",
])
def test_bad_urls_are_rejected(bad: str) -> None:
    with pytest.raises(ManifestError) as caught:
        teams_manifest(APP_ID, bad)
    assert "\n" not in str(caught.value)


# --- The package -----------------------------------------------------------------------

def open_package(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_package_has_every_file_at_its_root() -> None:
    files = open_package(teams_package(APP_ID, URL))
    assert list(files) == PACKAGE
    assert all("/" not in name for name in files)


def test_package_manifest_references_its_files() -> None:
    files = open_package(teams_package(APP_ID, URL))
    data = json.loads(files["manifest.json"].decode("utf-8"))
    assert data == load()
    assert files["manifest.json"].decode("utf-8") == manifest_text(load())
    referenced = {data["icons"]["color"], data["icons"]["outline"]}
    referenced |= {extra["file"] for extra in data["localizationInfo"]["additionalLanguages"]}
    assert referenced | {"manifest.json"} == set(files)
    assert json.loads(files["fr.json"].decode("utf-8")) == localization()
    for name in ("color.png", "outline.png"):
        assert files[name] == MANIFEST_FILE.with_name(name).read_bytes()


def test_package_is_reproducible() -> None:
    assert teams_package(APP_ID, URL) == teams_package(APP_ID, URL)


def test_package_validates_like_the_manifest() -> None:
    with pytest.raises(ManifestError):
        teams_package("not-a-guid", URL)
    with pytest.raises(ManifestError):
        teams_package(APP_ID, "http://peer.acme.test")


# --- The icons -------------------------------------------------------------------------

def decode_png(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, colour type, raw pixels) of an 8-bit, unfiltered, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, idat = 8, [], b""
    header = (0, 0, 0, 0, 0, 0, 0)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks.append(kind)
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND"
    width, height, depth, colour, compression, filtering, interlace = header
    assert (depth, compression, filtering, interlace) == (8, 0, 0, 0)
    channels = {2: 3, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = width * channels + 1
    assert len(raw) == stride * height
    rows = [raw[y * stride:(y + 1) * stride] for y in range(height)]
    assert all(row[0] == 0 for row in rows)  # filter type None
    return width, height, colour, b"".join(row[1:] for row in rows)


def test_shipped_icons_are_the_generated_ones() -> None:
    """Compared as images: another zlib may compress the same pixels to other bytes."""
    generated = icons()
    assert set(generated) == {"color.png", "outline.png"}
    for name, content in generated.items():
        for shipped in (MANIFEST_FILE.with_name(name), REPO_COPY / name):
            assert decode_png(shipped.read_bytes()) == decode_png(content), (
                f"{shipped} is out of date; run: {REGENERATE}"
            )


def test_color_icon() -> None:
    width, height, colour, pixels = decode_png(icons()["color.png"])
    assert (width, height) == (192, 192)
    assert colour == 2  # RGB, fully opaque
    rgb = {pixels[i:i + 3] for i in range(0, len(pixels), 3)}
    assert bytes((0xFF, 0xFF, 0xFF)) in rgb and bytes((0x4F, 0x46, 0xE5)) in rgb
    assert len(rgb) > 3  # anti-aliased edges
    corner = pixels[:3]
    assert corner == b"\xff\xff\xff"


def test_outline_icon_is_white_on_transparent() -> None:
    width, height, colour, pixels = decode_png(icons()["outline.png"])
    assert (width, height) == (32, 32)
    assert colour == 6  # RGBA
    texels = [pixels[i:i + 4] for i in range(0, len(pixels), 4)]
    assert all(t[:3] == b"\xff\xff\xff" for t in texels), "only white"
    alphas = [t[3] for t in texels]
    for corner in (0, 31, 32 * 31, 32 * 32 - 1):
        assert alphas[corner] == 0
    assert alphas.count(0) > len(alphas) // 2, "a transparent background"
    assert 255 in alphas


def test_png_writer_checks_its_input() -> None:
    with pytest.raises(ValueError):
        teams.png(2, 2, b"\x00" * 11, alpha=False)
    assert decode_png(teams.png(1, 1, b"\x01\x02\x03\x04", alpha=True)) == (
        1, 1, 6, b"\x01\x02\x03\x04")


# --- The copies ------------------------------------------------------------------------

def test_canonical_files_are_in_generated_form() -> None:
    assert MANIFEST_FILE.read_text(encoding="utf-8") == manifest_text(
        teams_manifest(EXAMPLE_APP_ID, EXAMPLE_URL)), f"run: {REGENERATE}"
    assert LOCALIZATION_FILE.read_text(encoding="utf-8") == manifest_text(localization())


def test_repo_copy_is_the_example_package() -> None:
    files = open_package(teams_package(EXAMPLE_APP_ID, EXAMPLE_URL))
    assert sorted(p.name for p in REPO_COPY.iterdir()) == sorted(PACKAGE)
    for name in ("manifest.json", "fr.json"):
        assert (REPO_COPY / name).read_bytes() == files[name], (
            f"{REPO_COPY / name} is out of date; run: {REGENERATE}"
        )


# --- The command -----------------------------------------------------------------------

def run(*argv: str, env_app_id: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MICROSOFT_APP_ID"}
    if env_app_id is not None:
        env["MICROSOFT_APP_ID"] = env_app_id
    return subprocess.run([str(PEERLINK), *argv], capture_output=True, text=True,
                          timeout=60, check=False, env=env)


def test_cli_prints_the_manifest() -> None:
    done = run("manifest", "teams", "--app-id", APP_ID, "--url", URL)
    assert done.returncode == 0, done.stderr
    assert done.stdout == manifest_text(load())
    assert done.stderr == ""


def test_cli_writes_the_package(tmp_path: Path) -> None:
    out = tmp_path / "peerlink-teams.zip"
    done = run("manifest", "teams", "--app-id", APP_ID, "--url", URL, "--zip", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == teams_package(APP_ID, URL)
    assert str(out) in done.stdout
    assert done.stderr == ""


def test_cli_takes_the_app_id_from_the_environment() -> None:
    done = run("manifest", "teams", "--url", URL, env_app_id=APP_ID)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == APP_ID


@pytest.fixture
def root_logging() -> Iterator[None]:
    """``main`` configures the root logger; put it back for the tests that follow."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("root_logging")
def test_cli_in_process(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["manifest", "teams", "--app-id", APP_ID, "--url", URL]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == load()
    assert err == ""
    target = tmp_path / "app.zip"
    assert main(["manifest", "teams", "--app-id", APP_ID, "--url", URL, "--out",
                 str(target)]) == 0
    assert open_package(target.read_bytes())["manifest.json"] == manifest_text(
        load()).encode("utf-8")


@pytest.mark.parametrize("argv", [
    ["manifest", "teams", "--app-id", "nope", "--url", URL],
    ["manifest", "teams", "--app-id", APP_ID, "--url", "http://peer.acme.test"],
    ["manifest", "teams", "--app-id", APP_ID, "--url", f"{URL}/api/messages"],
    ["manifest", "teams", "--app-id", APP_ID],
    ["manifest", "teams", "--url", URL],
    ["manifest", "teams", "--app-id", APP_ID, "--url", URL, "--socket-mode"],
    ["manifest", "teams", "--app-id", APP_ID, "--url", URL, "--zip", "/nonexistent/dir/a.zip"],
    ["manifest", "slack", "--url", URL, "--app-id", APP_ID],
])
@pytest.mark.usefixtures("root_logging")
def test_cli_bad_input_is_one_line_and_exit_2(argv: list[str],
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MICROSOFT_APP_ID", raising=False)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("peerlink: ") and err.count("\n") == 1
