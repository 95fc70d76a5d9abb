"""The owner's e-mails in the owner's language: the locale a submission gives, the text files
per locale, and the mails as they arrive through the real SMTP path (aiosmtpd), decoded.

The text files are held to English's keys and placeholders here, so a translation cannot
lose a sentence (it would fall back to English without anyone noticing) or a placeholder.
"""

from __future__ import annotations

import email
import shutil
import string
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest

from pipeline.models import Reason, Verdict
from tests.support.elig_helpers import add_product
from tests.support.fixture_videos import FIXTURES as VIDEOS
from tests.workers.test_work_service import PRODUCT, run_stages, stub_pipeline
from vidverify.cli import main as vidverify_main
from workers import email_texts, locales, notify, service

# The languages issue #14 asks for: the twelve regions' languages the apps are used in.
EXPECTED_LOCALES = {"en", "fr", "de", "es", "it", "cs", "ja", "ko", "zh-CN", "zh-TW"}


# --------------------------------------------------------------------------- locale tags


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("en", "en"),
        ("fr", "fr"),
        ("fr-FR", "fr"),
        ("fr_CA", "fr"),
        ("  FR-fr ", "fr"),
        ("de-AT", "de"),
        ("gsw", "de"),  # Swiss German readers are served German (CLDR)
        ("es-419", "es"),
        ("it-CH", "it"),
        ("cs-CZ", "cs"),
        ("ja-JP", "ja"),
        ("ko-KR", "ko"),
        ("zh", "zh-CN"),
        ("zh-CN", "zh-CN"),
        ("zh-Hans", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh-SG", "zh-CN"),
        ("zh-TW", "zh-TW"),
        ("zh-Hant", "zh-TW"),
        ("zh-Hant-TW", "zh-TW"),
        ("zh-HK", "zh-TW"),
        ("en-GB", "en"),
        ("en-US-u-ca-gregory", "en"),
        # well-formed, but no text of ours is close: English, not a neighbouring language
        ("nl", "en"),
        ("pt-BR", "en"),
        ("ca", "en"),  # CLDR would offer Spanish
        ("sk", "en"),  # CLDR would offer Czech
        ("und", "en"),
    ],
)
def test_a_locale_tag_is_kept_as_the_closest_language_we_write(tag: str, locale: str) -> None:
    assert locales.normalise_locale(tag) == locale


@pytest.mark.parametrize(
    "tag", ["", "   ", "fr FR", "fr--FR", "en-", "-en", "123", "english", "français", "zh-Hant-TW-", "x" * 65]
)
def test_a_malformed_locale_is_refused_with_the_reason(tag: str) -> None:
    with pytest.raises(ValueError, match="language tag|at most 64|empty"):
        locales.normalise_locale(tag)


def test_the_supported_locales_are_the_text_files() -> None:
    assert set(locales.supported()) == EXPECTED_LOCALES
    assert locales.supported()[0] == "en"


# --------------------------------------------------------------------------- text files


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


ENGLISH = _flatten(email_texts.load("en"))
OTHERS = sorted(EXPECTED_LOCALES - {"en"})


@pytest.mark.parametrize("locale", OTHERS)
def test_every_locale_file_has_every_english_key_and_no_other(locale: str) -> None:
    own = _flatten(email_texts.load(locale))
    assert sorted(set(ENGLISH) - set(own)) == [], f"{locale}.json lacks keys (they would read in English)"
    assert sorted(set(own) - set(ENGLISH)) == [], f"{locale}.json has keys English does not (typos?)"


@pytest.mark.parametrize("locale", OTHERS)
def test_placeholders_are_identical_across_locales(locale: str) -> None:
    own = _flatten(email_texts.load(locale))
    for key, english in ENGLISH.items():
        assert _placeholders(own[key]) == _placeholders(english), (locale, key)


@pytest.mark.parametrize("locale", OTHERS)
def test_every_text_is_translated(locale: str) -> None:
    """A non-empty string in every key, and not English's own words (a copied file)."""
    own = _flatten(email_texts.load(locale))
    assert all(isinstance(v, str) and v.strip() for v in own.values()), locale
    same = [k for k, v in own.items() if v == ENGLISH[k]]
    assert same == [], f"{locale}.json repeats English in {same}"


def test_every_reason_code_has_an_owner_sentence() -> None:
    assert {r.value for r in Reason} == set(email_texts.load("en")["reasons"])


def test_a_missing_key_reads_in_english(monkeypatch: pytest.MonkeyPatch) -> None:
    real = email_texts.load

    def partial(locale: str) -> dict[str, Any]:
        data = real(locale)
        if locale == "fr":
            del data["reasons"]["gps_weak"], data["status_link"]
        return data

    email_texts.texts.cache_clear()
    monkeypatch.setattr(email_texts, "load", partial)
    try:
        fr = email_texts.texts("fr")
        assert fr["reasons"]["gps_weak"] == ENGLISH["reasons.gps_weak"]
        assert fr["status_link"] == ENGLISH["status_link"]
        assert fr["reasons"]["video_edited"] == real("fr")["reasons"]["video_edited"]  # the rest: French
        assert email_texts.texts("xx") == real("en")  # not a locale of ours: English
    finally:
        email_texts.texts.cache_clear()


# --------------------------------------------------------------------------- through SMTP


@pytest.fixture
def setup(db_url, env, tmp_path, monkeypatch):
    env(db_url)
    monkeypatch.setenv("VIDVERIFY_PUBLIC_URL", "https://verify.example.org")
    monkeypatch.setenv("VIDVERIFY_OWNER_LINK_SECRET", "locale-test-secret")
    add_product(db_url, PRODUCT)
    video = tmp_path / "clip.mp4"
    shutil.copy(VIDEOS / "rej_video_unreadable.mp4", video)
    return video


def _received(smtp: Any, address: str) -> EmailMessage:
    """The one message the sink got for ``address``, parsed as a mail client would."""
    (envelope,) = smtp.to(address)
    msg = email.message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    assert part.get_content_charset() == "utf-8"
    assert part["Content-Transfer-Encoding"] in ("7bit", "quoted-printable", "base64")  # never raw 8-bit
    return part.get_content().replace("\r\n", "\n")  # SMTP carries CRLF line ends


def test_a_french_approval_and_a_japanese_rejection_arrive_in_their_languages(setup, monkeypatch, smtp):
    fr_texts, ja_texts = email_texts.load("fr"), email_texts.load("ja")

    stub_pipeline(monkeypatch, Verdict.APPROVED)
    fr = service.submit(
        str(setup), PRODUCT["aircraft_sn"], owner_email="a@fr.test", owner_name="Amélie", locale="fr-FR",
        allow_local=True,
    )  # fmt: skip
    assert fr.locale == "fr"
    assert run_stages(fr.id) == "approved"

    stub_pipeline(monkeypatch, Verdict.REJECTED, [Reason.GPS_WEAK, Reason.FLIGHT_STATUS_ERROR])
    ja = service.submit(
        str(setup), "0H5BF9D0084BGD", rc_sn="3N8WT6Q003429S", model="DJI Mini 4 Pro",
        owner_email="k@ja.test", owner_name="山田 花子", locale="ja", allow_local=True,
    )  # fmt: skip
    assert run_stages(ja.id) == "rejected"
    assert notify.send_pending() == 2

    msg = _received(smtp, "a@fr.test")
    assert msg["Content-Language"] == "fr"
    assert msg["Subject"] == fr_texts["purchase_window"]["subject"]
    body = _text(msg)
    assert body.startswith("Bonjour Amélie,\n")
    assert f"numéro de série {PRODUCT['aircraft_sn']}) a été validée" in body
    assert "(72 heures)" in body and "Référence : demande" in body
    assert "Le résultat, étape par étape : https://verify.example.org/status/" in body
    assert "Hello" not in body and "Reference" not in body

    msg = _received(smtp, "k@ja.test")
    assert msg["Content-Language"] == "ja"
    assert msg["Subject"] == "ドローンの確認動画は承認されませんでした"
    body = _text(msg)
    assert body.startswith("山田 花子 様\n")
    assert "お客様のDJI Mini 4 Pro（シリアル番号 0H5BF9D0084BGD）の確認動画" in body
    assert f"- {ja_texts['reasons']['gps_weak']}\n- {ja_texts['reasons']['flight_status_error']}\n" in body
    assert ja_texts["rejected"]["outro"] in body
    assert "ステップごとの結果: https://verify.example.org/status/" in body


def test_a_reviewers_reason_reads_in_the_owners_language(setup, monkeypatch, smtp):
    stub_pipeline(monkeypatch, Verdict.NEEDS_REVIEW)
    view = service.submit(
        str(setup), PRODUCT["aircraft_sn"], owner_email="t@tw.test", locale="zh-Hant-TW", allow_local=True
    )
    assert view.locale == "zh-TW"
    run_stages(view.id)
    service.record_review(view.id, "rita", "rejected", "video_edited")
    assert notify.send_pending() == 1
    msg = _received(smtp, "t@tw.test")
    assert msg["Content-Language"] == "zh-TW"
    body = _text(msg)
    assert body.startswith("親愛的客戶您好：\n")  # no name given
    assert "影片似乎經過剪輯" in body and "因以下原因未被接受" in body


def test_without_a_locale_the_mail_is_english_and_says_so(setup, monkeypatch, smtp):
    stub_pipeline(monkeypatch, Verdict.REJECTED, [Reason.GPS_WEAK])
    view = service.submit(str(setup), PRODUCT["aircraft_sn"], owner_email="e@en.test", allow_local=True)
    assert view.locale is None
    run_stages(view.id)
    assert notify.send_pending() == 1
    msg = _received(smtp, "e@en.test")
    assert msg["Content-Language"] == "en"
    assert msg["Subject"] == "Your drone verification video was not accepted"
    body = _text(msg)
    assert body.startswith("Hello DJI customer,\n") and "GPS signal was weak" in body


def test_submit_refuses_a_malformed_locale(setup):
    with pytest.raises(service.SubmissionError, match="locale: not a language tag"):
        service.submit(str(setup), PRODUCT["aircraft_sn"], locale="fr FR", allow_local=True)


def test_cli_submit_takes_a_locale(setup, capsys):
    argv = ["submit", str(setup), "--aircraft-sn", PRODUCT["aircraft_sn"], "--owner-email", "c@cs.test"]
    assert vidverify_main([*argv, "--locale", "cs-CZ"]) == 0
    sid = int(capsys.readouterr().out.strip())
    assert service.get(sid).locale == "cs"
    assert vidverify_main(["status", str(sid)]) == 0
    assert "locale:   cs" in capsys.readouterr().out
    assert vidverify_main([*argv, "--locale", "česky!"]) == 2
    assert "vidverify submit: error: locale: not a language tag" in capsys.readouterr().err
