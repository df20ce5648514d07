"""Settings from the environment, and program content from YAML: defaults and every error."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Localized, ProgramConfig, load_config
from bot.errors import ConfigError
from bot.settings import DEFAULT_DATABASE_URL, Settings

# --- Settings.from_env -------------------------------------------------------------------


def test_empty_environment_gives_the_defaults() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.is_sqlite
    assert (settings.host, settings.port) == ("127.0.0.1", 3978)
    assert settings.secret_keys == ()
    assert settings.config_path is None
    assert settings.web_chat is False
    assert (settings.log_format, settings.log_level) == ("json", "INFO")
    assert settings.conversation_ttl == timedelta(minutes=30)
    assert settings.delivery_max_attempts == 8
    assert settings.microsoft_app_type == "MultiTenant"


def test_blank_values_count_as_unset() -> None:
    names = ("DATABASE_URL", "PEERLINK_HOST", "PORT", "PEERLINK_SECRET_KEY", "PEERLINK_CONFIG",
             "PEERLINK_WEB_CHAT", "PEERLINK_LOG_FORMAT", "PEERLINK_LOG_LEVEL",
             "PEERLINK_CONVERSATION_TIMEOUT_MINUTES", "PEERLINK_DELIVERY_MAX_ATTEMPTS")
    assert Settings.from_env(dict.fromkeys(names, "  ")) == Settings()


def test_every_variable_is_read() -> None:
    settings = Settings.from_env({
        "DATABASE_URL": " postgresql+asyncpg://u:p@localhost/peerlink ",
        "PEERLINK_HOST": "0.0.0.0",
        "PORT": " 8080 ",
        "PEERLINK_SECRET_KEY": " new-key , old-key ,, ",
        "PEERLINK_CONFIG": "/etc/peerlink.yaml",
        "PEERLINK_WEB_CHAT": "yes",
        "PEERLINK_LOG_FORMAT": "TEXT",
        "PEERLINK_LOG_LEVEL": "debug",
        "PEERLINK_CONVERSATION_TIMEOUT_MINUTES": "45",
        "PEERLINK_DELIVERY_MAX_ATTEMPTS": "3",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "signing",
        "SLACK_APP_TOKEN": "xapp-1",
        "SLACK_API_URL": "http://127.0.0.1:9999/api/",
        "MICROSOFT_APP_ID": "app-id",
        "MICROSOFT_APP_PASSWORD": "app-password",
        "MICROSOFT_APP_TYPE": "SingleTenant",
        "MICROSOFT_APP_TENANT_ID": "tenant",
    })
    assert settings.database_url == "postgresql+asyncpg://u:p@localhost/peerlink"
    assert not settings.is_sqlite
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)
    assert settings.secret_keys == ("new-key", "old-key")
    assert settings.config_path == Path("/etc/peerlink.yaml")
    assert settings.web_chat is True
    assert (settings.log_format, settings.log_level) == ("text", "DEBUG")
    assert settings.conversation_ttl == timedelta(minutes=45)
    assert settings.delivery_max_attempts == 3
    assert (settings.slack_bot_token, settings.slack_signing_secret) == ("xoxb-1", "signing")
    assert (settings.slack_app_token, settings.slack_api_url) == (
        "xapp-1", "http://127.0.0.1:9999/api/"
    )
    assert (settings.microsoft_app_id, settings.microsoft_app_password) == (
        "app-id", "app-password"
    )
    assert (settings.microsoft_app_type, settings.microsoft_app_tenant_id) == (
        "SingleTenant", "tenant"
    )
    assert "app-password" not in repr(settings)


@pytest.mark.parametrize("raw", ["1", "true", "Yes", " ON "])
def test_web_chat_true_spellings(raw: str) -> None:
    assert Settings.from_env({"PEERLINK_WEB_CHAT": raw}).web_chat is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off"])
def test_web_chat_false_spellings(raw: str) -> None:
    assert Settings.from_env({"PEERLINK_WEB_CHAT": raw}).web_chat is False


@pytest.mark.parametrize(
    ("name", "value", "field", "expected"),
    [
        ("PORT", "1", "port", 1),
        ("PORT", "65535", "port", 65535),
        ("PEERLINK_CONVERSATION_TIMEOUT_MINUTES", "1", "conversation_ttl", timedelta(minutes=1)),
        ("PEERLINK_CONVERSATION_TIMEOUT_MINUTES", "1440", "conversation_ttl",
         timedelta(days=1)),
        ("PEERLINK_DELIVERY_MAX_ATTEMPTS", "1", "delivery_max_attempts", 1),
        ("PEERLINK_DELIVERY_MAX_ATTEMPTS", "50", "delivery_max_attempts", 50),
        ("PEERLINK_LOG_LEVEL", "warning", "log_level", "WARNING"),
        ("PEERLINK_LOG_LEVEL", "ERROR", "log_level", "ERROR"),
        ("PEERLINK_LOG_FORMAT", "json", "log_format", "json"),
    ],
)
def test_limits_are_inclusive(name: str, value: str, field: str, expected: object) -> None:
    assert getattr(Settings.from_env({name: value}), field) == expected


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PORT", "abc", "must be a whole number, got 'abc'"),
        ("PORT", "80.5", "must be a whole number"),
        ("PORT", "0", "must be between 1 and 65535, got 0"),
        ("PORT", "70000", "must be between 1 and 65535, got 70000"),
        ("PORT", "-1", "must be between 1 and 65535"),
        ("PEERLINK_WEB_CHAT", "maybe", "must be true or false, got 'maybe'"),
        ("PEERLINK_WEB_CHAT", "2", "must be true or false"),
        ("PEERLINK_LOG_FORMAT", "xml", "must be one of json, text, got 'xml'"),
        ("PEERLINK_LOG_LEVEL", "verbose", "must be one of DEBUG, INFO, WARNING, ERROR"),
        ("PEERLINK_CONVERSATION_TIMEOUT_MINUTES", "0", "must be between 1 and 1440"),
        ("PEERLINK_CONVERSATION_TIMEOUT_MINUTES", "1441", "must be between 1 and 1440"),
        ("PEERLINK_CONVERSATION_TIMEOUT_MINUTES", "half", "must be a whole number"),
        ("PEERLINK_DELIVERY_MAX_ATTEMPTS", "0", "must be between 1 and 50"),
        ("PEERLINK_DELIVERY_MAX_ATTEMPTS", "51", "must be between 1 and 50"),
    ],
)
def test_invalid_value_names_the_variable(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: value})
    assert str(caught.value).startswith(f"{name} ")
    assert says in str(caught.value)


# --- load_config ---------------------------------------------------------------------------

VALID = """\
default_country: ca
programs:
  - key: peer_support
    name: {en: "Peer support", fr: "Soutien par les pairs"}
    description: {en: "Talk", fr: "Parler"}
    capacity_default: 4
crisis_lines:
  ca: {emergency: 911, line: "988", line_name: {en: "988 line", fr: "ligne 988"}}
  FR: {emergency: "112", line: "3114", line_name: {en: "3114", fr: "3114"}}
eap:
  name: {en: "EAP", fr: "PAE"}
  contact: "benefits portal"
"""


def test_bundled_config_has_three_programs_in_both_languages() -> None:
    config = load_config(None)
    assert isinstance(config, ProgramConfig)
    assert config.default_country == "CA"
    assert [p.key for p in config.programs] == ["peer_support", "manager_network", "buddy"]
    texts: list[Localized] = [config.eap_name]
    for program in config.programs:
        texts += [program.name, program.description]
    texts += [line.line_name for line in config.crisis_lines.values()]
    for text in texts:
        assert text("en") and text("fr") and text("en") != "" and text.fr == text("fr")
    assert {"CA", "US", "FR"} <= set(config.crisis_lines)
    leaders = {p.key for p in config.programs if p.leaders_only}
    assert leaders == {"manager_network"}


def test_a_config_file_is_read_and_normalised(tmp_path: Path) -> None:
    path = tmp_path / "peerlink.yaml"
    path.write_text(VALID, encoding="utf-8")
    config = load_config(path)
    assert config.default_country == "CA"
    assert set(config.crisis_lines) == {"CA", "FR"}
    assert config.crisis_lines["CA"].emergency == "911"  # a YAML number, read as text
    (program,) = config.programs
    assert program.name("fr") == "Soutien par les pairs"
    assert program.name("en") == program.name("de") == "Peer support"
    assert (program.capacity_default, program.request_expiry_days) == (4, 3)
    assert program.leaders_only is False
    assert config.eap_contact == "benefits portal"


def test_crisis_line_falls_back_to_the_default_country() -> None:
    config = load_config(None)
    assert config.crisis_line("fr").line == "3114"
    assert config.crisis_line("US").emergency == "911"
    assert config.crisis_line("ZZ") == config.crisis_lines["CA"]
    assert config.crisis_line("") == config.crisis_lines["CA"]


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: cannot read (No such file or directory)"


def test_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(VALID.replace("    capacity_default: 4", "    capacity_default: : 4"),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: line 6 is not valid YAML"


def test_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(VALID.replace("Soutien", "Soutien é").encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:")


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ('name: {en: "Peer support", fr: "Soutien par les pairs"}', 'name: {en: "Peer support"}',
         "name needs non-empty text for each of: en, fr"),
        ('fr: "Soutien par les pairs"', 'fr: "  "', "name needs non-empty text"),
        ('description: {en: "Talk", fr: "Parler"}', 'description: "Talk"',
         "description needs non-empty text"),
        ("default_country: ca", "default_country: US",
         "default_country US has no entry in crisis_lines"),
        ("default_country: ca", "", "default_country must be a non-empty string"),
        ("capacity_default: 4", "capacity_default: 0", "capacity_default must be a whole number"),
        ("capacity_default: 4", "capacity_default: true", "capacity_default must be"),
        ("capacity_default: 4", "request_expiry_days: 400", "request_expiry_days must be"),
        ("capacity_default: 4", "open_request_limit: two", "open_request_limit must be"),
        ("  - key: peer_support", "  - key: ''", "key must be a non-empty string"),
        ('  contact: "benefits portal"', "", "contact must be a non-empty string"),
        ('line: "3114"', "line: ''", "line must be a non-empty string"),
    ],
)
def test_invalid_content_names_the_file_and_problem(
    tmp_path: Path, old: str, new: str, says: str
) -> None:
    assert old in VALID
    path = tmp_path / "peerlink.yaml"
    path.write_text(VALID.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert says in str(caught.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "the top level must be a mapping"),
        ("- a\n- b\n", "the top level must be a mapping"),
        ("just text\n", "the top level must be a mapping"),
        ("default_country: CA\n", "crisis_lines must be a non-empty mapping"),
        (VALID.replace("programs:\n", "programs: []\nold_programs:\n"),
         "programs must be a non-empty list"),
        (VALID.replace("eap:\n  name", "eap: {}\nold_eap:\n  name"),
         "eap must be a non-empty mapping"),
        (VALID.replace("crisis_lines:", "  - just a name\ncrisis_lines:"),
         "programs: entry 2 must be a mapping"),
    ],
)
def test_invalid_structure_names_the_file(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "peerlink.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: {says}"


def test_program_keys_must_be_unique(tmp_path: Path) -> None:
    program = VALID[VALID.index("  - key:") : VALID.index("crisis_lines:")]
    path = tmp_path / "peerlink.yaml"
    path.write_text(VALID.replace("crisis_lines:", program + "crisis_lines:"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: programs: each key must be unique"
