"""Settings: precedence flags > env > TOML > defaults, secrets, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bandsense.config import Settings, load_settings
from bandsense.errors import UserError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No BANDSENSE_* from the developer's shell, and a cwd without bandsense.toml."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("BANDSENSE_"):
            monkeypatch.delenv(name)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_defaults_without_any_source() -> None:
    s = load_settings()
    assert s.mqtt.url == "mqtt://127.0.0.1:1883"
    assert (s.mqtt.host, s.mqtt.port, s.mqtt.tls) == ("127.0.0.1", 1883, False)
    assert s.mqtt.topic_prefix == "bandsense" and s.mqtt.qos == 1
    assert s.influx.database == "bandsense" and s.influx.batch_size == 5000
    assert s.analysis.prescription is None
    assert s.mqtt.password is None and s.influx.token is None


def test_precedence_flags_over_env_over_file_over_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(
        tmp_path / "b.toml",
        '[mqtt]\nurl = "mqtt://file:1000"\nqos = 0\ntopic_prefix = "file"\n'
        '[influx]\ndatabase = "filedb"\n',
    )
    monkeypatch.setenv("BANDSENSE_MQTT__URL", "mqtt://env:2000")
    monkeypatch.setenv("BANDSENSE_MQTT__QOS", "2")

    s = load_settings(config, {"mqtt.url": "mqtts://flag:3000", "mqtt.client_id": None})

    assert s.mqtt.url == "mqtts://flag:3000"  # flag beats env and file
    assert s.mqtt.qos == 2  # env beats file
    assert s.mqtt.topic_prefix == "file"  # file beats default, merged key by key
    assert s.influx.database == "filedb"
    assert s.influx.batch_size == 5000  # default
    assert s.mqtt.client_id is None  # a None flag means "not given"
    assert (s.mqtt.host, s.mqtt.port, s.mqtt.tls) == ("flag", 3000, True)


def test_config_file_from_env_then_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    write(clean_env / "bandsense.toml", '[sim]\nscenario = "from_cwd"\n')
    assert load_settings().sim.scenario == "from_cwd"
    other = write(tmp_path / "other.toml", '[sim]\nscenario = "from_env"\n')
    monkeypatch.setenv("BANDSENSE_CONFIG", str(other))
    assert load_settings().sim.scenario == "from_env"
    explicit = write(tmp_path / "explicit.toml", '[sim]\nscenario = "explicit"\n')
    assert load_settings(explicit).sim.scenario == "explicit"


def test_nested_overrides_and_prescription(tmp_path: Path) -> None:
    config = write(tmp_path / "b.toml", "[analysis.prescription]\npause_s = 2\nconcentric_s = 3\n")
    s = load_settings(config, {"analysis": {"prescription": {"eccentric_s": 3.0}}})
    assert s.analysis.prescription is not None
    p = s.analysis.prescription
    assert (p.concentric_s, p.pause_s, p.eccentric_s) == (3.0, 2.0, 3.0)


def test_secrets_from_env_and_files_never_in_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_file = write(tmp_path / "token", "t0ken-from-file\n")
    monkeypatch.setenv("BANDSENSE_MQTT__PASSWORD", "hunter2-env")
    monkeypatch.setenv("BANDSENSE_INFLUX__TOKEN_FILE", str(token_file))

    s = load_settings()

    assert s.mqtt.password is not None and s.influx.token is not None
    assert s.mqtt.password.get_secret_value() == "hunter2-env"
    assert s.influx.token.get_secret_value() == "t0ken-from-file"  # trailing newline dropped
    for text in (repr(s), str(s), s.model_dump_json()):
        assert "hunter2" not in text and "t0ken" not in text


def test_password_file_unreadable_is_a_user_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(
        UserError, match=r"^invalid setting mqtt\.password_file from a flag: cannot read '.*nope': "
    ):
        load_settings(overrides={"mqtt.password_file": missing})


def test_secret_values_are_not_echoed_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDSENSE_INFLUX__TOKEN", "")
    monkeypatch.setenv("BANDSENSE_MQTT__PASSWORD", "s3cret")
    monkeypatch.setenv("BANDSENSE_MQTT__QOS", "9")
    with pytest.raises(UserError) as exc:
        load_settings()
    assert "s3cret" not in str(exc.value)
    assert str(exc.value) == (
        "invalid setting mqtt.qos from $BANDSENSE_MQTT__QOS: "
        "Input should be less than or equal to 2 (got '9')"
    )


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[mqtt]\nurl = "http://x"\n', "invalid setting mqtt.url in {path}: must start with mqtt"),
        ("[mqtt]\nqso = 1\n", "invalid setting mqtt.qso in {path}: unknown setting"),
        ("[mqtt\n", "config file '{path}' is not valid TOML: "),
        ('[collector]\nband_id = "a/#"\n', "invalid setting collector.band_id in {path}"),
        ("[influx]\nbatch_size = 0\n", "invalid setting influx.batch_size in {path}"),
        (
            '[analysis.prescription]\nsides = ["left", "up"]\n',
            "invalid setting analysis.prescription.sides.1 in {path}",
        ),
        (
            "[analysis.prescription]\nconcentric_s = 3\n",
            "invalid setting analysis.prescription in {path}: give at least reps, pause_s or sides",
        ),
    ],
)
def test_invalid_file_values_give_one_line_naming_the_key(
    tmp_path: Path, toml: str, expected: str
) -> None:
    config = write(tmp_path / "bad.toml", toml)
    with pytest.raises(UserError) as exc:
        load_settings(config)
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(expected.format(path=config))


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_settings(tmp_path / "absent.toml")


def test_flag_errors_are_attributed_to_flags() -> None:
    with pytest.raises(UserError, match=r"^invalid setting sim\.rate_hz from a flag: "):
        load_settings(overrides={"sim.rate_hz": 5})


def test_settings_do_not_read_dotenv_files(clean_env: Path) -> None:
    write(clean_env / ".env", "BANDSENSE_MQTT__QOS=0\n")
    assert load_settings().mqtt.qos == 1
    assert isinstance(load_settings(), Settings)


def test_shipped_example_file_is_valid_and_shows_the_defaults(tmp_path: Path) -> None:
    example = Path(__file__).parents[2] / "deploy" / "bandsense.example.toml"
    assert load_settings(example) == load_settings()
    # With its commented prescription switched on, it still validates.
    text = example.read_text().replace("# [analysis.prescription]", "[analysis.prescription]")
    for key in ("reps", "concentric_s", "pause_s", "eccentric_s", "rest_s", "pause_tolerance_s"):
        text = text.replace(f"# {key} =", f"{key} =")
    prescription = load_settings(write(tmp_path / "b.toml", text)).analysis.prescription
    assert prescription is not None
    assert (prescription.reps, prescription.pause_s) == (10, 2.0)
