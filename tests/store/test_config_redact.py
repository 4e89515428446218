from __future__ import annotations

from pathlib import Path

import pytest

from dwatch.config import Settings
from dwatch.redact import is_masked, mask_url, redact_text


def test_settings_default_under_the_data_dir() -> None:
    settings = Settings.from_env({"DWATCH_DATA_DIR": "/srv/dwatch"})
    assert settings.database_url == "sqlite:////srv/dwatch/dwatch.sqlite3"
    assert settings.blob_dir == Path("/srv/dwatch/blobs")
    assert Settings.from_env({}).database_url == "sqlite:///var/dwatch.sqlite3"


def test_settings_explicit_values_win() -> None:
    settings = Settings.from_env(
        {"DWATCH_DATABASE_URL": "postgresql+psycopg://u@db/dwatch", "DWATCH_BLOB_DIR": "/b", "OTHER": "x"}
    )
    assert (settings.database_url, settings.blob_dir, settings.data_dir) == (
        "postgresql+psycopg://u@db/dwatch",
        Path("/b"),
        Path("var"),
    )


def test_settings_read_secrets_from_files(tmp_path: Path) -> None:
    (tmp_path / "db").write_text("postgresql+psycopg://dwatch:s3cret@db/dwatch\n")
    (tmp_path / "web").write_text("k" * 40)
    env = {
        "DWATCH_DATABASE_URL_FILE": str(tmp_path / "db"),
        "DWATCH_WEB__SESSION_SECRET_FILE": str(tmp_path / "web"),
    }
    settings = Settings.from_env(env)
    assert settings.database_url == "postgresql+psycopg://dwatch:s3cret@db/dwatch"
    assert settings.web.session_secret is not None
    assert settings.web.session_secret.get_secret_value() == "k" * 40
    # The variable itself wins over its file.
    assert Settings.from_env(env | {"DWATCH_DATABASE_URL": "sqlite:///x"}).database_url == "sqlite:///x"


def test_settings_unreadable_secret_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"DWATCH_DATABASE_URL_FILE: cannot read .*missing"):
        Settings.from_env({"DWATCH_DATABASE_URL_FILE": str(tmp_path / "missing")})


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("mailto://user:pass@mail.example.gov.cn?to=a@b.cn", "mailto://****@mail.example.gov.cn/****"),
        ("tgram://123456:AAbbCC/987654", "tgram://****/****"),
        ("json://hooks.example.gov.cn/notify?token=t0ken", "json://hooks.example.gov.cn/****"),
        ("slack://TokenA/TokenB/TokenC/#channel", "slack://****/****"),
        ("json://hooks.example.gov.cn", "json://hooks.example.gov.cn"),
    ],
)
def test_mask_url_hides_credentials_and_tokens(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    if masked != url:
        assert is_masked(masked)


def test_redact_text_masks_urls_inside_messages() -> None:
    text = "发送失败：tgram://123456:AAbbCC/987654，请检查。"
    assert redact_text(text) == "发送失败：tgram://****/****，请检查。"
