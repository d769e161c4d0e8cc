"""Personal links and the portal's sessions, with no database: how a token is made and kept,
when a link expires and in what state it is, the name check, and the signed session cookie
with its CSRF token."""

import pendulum
import pytest

from models.links import (
    LINK_DAYS,
    LinkState,
    code_hash,
    content_hash,
    link_expiry,
    link_state,
    link_token,
    looks_like_a_token,
    same_name,
    token_hash,
    typed_code,
)
from web.security import Signer

KEY = b"k" * 32
NOW = pendulum.datetime(2026, 11, 25, 10, tz="UTC")


def test_a_token_is_256_bits_of_the_key_and_the_email_and_only_its_hash_is_kept() -> None:
    token = link_token(KEY, "dedupe-1")
    assert looks_like_a_token(token) and len(token) == 43  # 256 bits, URL-safe base64
    assert link_token(KEY, "dedupe-1") == token  # the same email, queued again: the same link
    assert link_token(KEY, "dedupe-2") != token
    assert link_token(b"x" * 32, "dedupe-1") != token  # another register's key: another link
    assert token_hash(token) != token and len(token_hash(token)) == 64
    assert token not in token_hash(token)


@pytest.mark.parametrize("text", ["", "abc", "A" * 42, "A" * 44, "A" * 42 + "/", "A" * 42 + "="])
def test_anything_but_a_token_is_not_looked_up(text: str) -> None:
    assert not looks_like_a_token(text)


def test_a_link_lasts_thirty_days_or_until_the_matters_deadline() -> None:
    assert link_expiry(NOW) == NOW.add(days=LINK_DAYS)
    assert link_expiry(NOW, NOW.add(days=9)) == NOW.add(days=9)
    assert link_expiry(NOW, NOW.add(days=90)) == NOW.add(days=30)


def test_a_used_link_stays_used_then_void_then_expired() -> None:
    later = NOW.add(days=31)
    expires = NOW.add(days=30)
    assert link_state(used_at=None, voided_at=None, expires_at=expires, now=NOW) is LinkState.LIVE
    assert (
        link_state(used_at=None, voided_at=None, expires_at=expires, now=expires)
        is LinkState.EXPIRED
    )
    assert link_state(used_at=NOW, voided_at=NOW, expires_at=expires, now=later) is LinkState.USED
    assert link_state(used_at=None, voided_at=NOW, expires_at=expires, now=later) is LinkState.VOID


def test_the_typed_name_is_compared_without_case_or_spacing_and_never_empty() -> None:
    assert same_name("  sam   PATEL ", "Sam Patel")
    assert not same_name("Sam Pate", "Sam Patel")
    assert not same_name("", "")


def test_the_content_hash_changes_with_any_field() -> None:
    shown = {"reference": "ISA-2026-0001", "version": 3, "fields": [("Title", "A")]}
    assert content_hash(shown) == content_hash(dict(shown))
    assert content_hash({**shown, "fields": [("Title", "B")]}) != content_hash(shown)
    assert content_hash({**shown, "version": 4}) != content_hash(shown)


def test_a_session_cookie_is_signed_bound_to_its_kind_and_its_csrf_to_the_session() -> None:
    signer = Signer(KEY)
    cookie = signer.session_cookie(7, NOW, 20)
    held = signer.session(cookie)
    assert held is not None and held.link == 7 and held.live(NOW.add(minutes=19))
    assert not held.live(NOW.add(minutes=20))
    assert signer.session(cookie[:-1] + ("A" if cookie[-1] != "A" else "B")) is None
    assert signer.session(cookie, "person") is None  # a link's session signs nobody in
    assert Signer(b"z" * 32).session(cookie) is None
    other = signer.session(signer.session_cookie(7, NOW, 20))
    assert other is not None
    assert signer.csrf_ok(held, signer.csrf(held))
    assert not signer.csrf_ok(held, signer.csrf(other))  # another session's form token
    assert not signer.csrf_ok(held, "")
    for junk in ("", "a.b.c", "nodot", "x.y"):
        assert signer.session(junk) is None


def test_a_code_is_six_digits_as_typed_with_spaces_and_nothing_else() -> None:
    assert typed_code(" 123 456 ") == "123456"
    for wrong in ("", "12345", "1234567", "12345a", "١٢٣٤٥٦", "123\x00456"):
        assert typed_code(wrong) == "", wrong


def test_a_code_is_kept_as_a_keyed_hash_bound_to_its_link() -> None:
    kept = code_hash(b"k" * 32, 7, "123456")
    assert len(kept) == 64 and "123456" not in kept
    assert kept != code_hash(b"k" * 32, 8, "123456")  # another link's
    assert kept != code_hash(b"j" * 32, 7, "123456")  # another register's
    assert kept == code_hash(b"k" * 32, 7, "123456")
